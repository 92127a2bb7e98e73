"""Exam load test (../shared/BENCHMARKS.md, "Exam load").

    .venv/bin/python bench/exam_load.py --users 200 [--workers 3] [--threads 0]

Builds a fresh SQLite (WAL) database in a temporary folder with N agents and
a 16-question exam on 8 pages (single choice and true/false), serves the app
with gunicorn on 127.0.0.1, and runs N virtual users: all log in first, then
start the attempt at the same instant (a barrier), then for each page answer
both questions (one autosave each), think 0.5–2 s, submit the page (POST that
saves the page + GET of the next page), and finally submit the attempt and
open its review. Afterwards it checks in the database that every attempt is
finished and that every answer sent is stored exactly.

In the same run it measures the stack's ceiling: bench/ceiling_app.py (one
Flask-SQLAlchemy insert per request) under the same gunicorn settings, with
the same number of closed-loop clients as the autosave saturation phase, and
for reference a Flask endpoint that does nothing.

The virtual users run on one asyncio event loop (one process), so the load
generator takes little of the two cores from the server it measures. gunicorn
runs sync workers by default: with keep-alive connections, gthread workers
let one process take most connections while the other idles.

Traffic goes only to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PASSWORD = "bench-pass-1"  # noqa: S105


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- set-up -------------------------------------------------------------------

SETUP = r'''
import sys
from werkzeug.security import generate_password_hash
from app import create_app
from app.extensions import db
from config import ProductionConfig
from app.auth.models import User, Team
from app.bank.services import QuestionData, save_question
from app.quiz.models import Quiz, QuizSection, Assignment
n = int(sys.argv[1])
app = create_app(ProductionConfig)
with app.app_context():
    from flask_migrate import upgrade
    upgrade()
    team = Team(name="压测组")
    db.session.add(team)
    author = User(employee_no="BT0001", name="出题人", role="trainer", password_hash="x")
    db.session.add(author)
    db.session.commit()
    # A cheap hash: log-ins are set-up here, not what is measured.
    hashed = generate_password_hash(sys.argv[2], method="pbkdf2:sha256:1000")
    db.session.bulk_save_objects([User(employee_no=f"LB{i:05d}", name=f"压测{i}", role="agent", team_id=team.id,
                                       password_hash=hashed, tier="in_service") for i in range(n)])
    db.session.commit()
    uids = []
    for i in range(16):
        if i % 2:
            payload, kind = {"correct": i % 4 == 1}, "true_false"
        else:
            payload, kind = {"options": [{"text": f"选项{j}", "fraction": 1 if j == 0 else 0} for j in range(4)]}, "single_choice"
        q, _ = save_question(author, None, QuestionData(type_key=kind, category="压测/考试", tags=[], competency="knowledge",
                             difficulty=2, title="", stem=f"压测题 {i}", stem_format="plain", explanation="解析", payload=payload))
        uids.append(q.uid)
    quiz = Quiz(slug="load-exam", title="压测考试", kind="exam", questions_per_page=2, time_limit_minutes=120)
    quiz.sections = [QuizSection(position=0, fixed_uids=uids)]
    db.session.add(quiz)
    db.session.flush()
    db.session.add(Assignment(quiz_id=quiz.id, team_id=team.id))
    db.session.commit()
    print(quiz.id)
'''


def serve(target: str, env: dict, port: int, workers: int, threads: int, cwd: Path = ROOT) -> subprocess.Popen:
    """gunicorn on 127.0.0.1: sync workers when threads == 0, else gthread."""
    kind = ["-k", "sync"] if threads == 0 else ["-k", "gthread", "--threads", str(threads),
                                                "--worker-connections", "4000", "--keep-alive", "30"]
    command = [str(Path(PYTHON).parent / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", str(workers), *kind,
               "--backlog", "4096", "--log-level", "warning", target]
    process = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{target} did not start")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


# --- a small asyncio HTTP/1.1 client with cookies --------------------------------
# One event loop drives every virtual user: 1,000 OS threads would fight over
# the GIL and take CPU from the server that is being measured.

class Client:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.reader = self.writer = None

    async def _connect(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 20)

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Connection: keep-alive"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            lines.append("Content-Type: application/x-www-form-urlencoded")
        lines.append(f"Content-Length: {len(body)}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        for attempt in range(2):
            try:
                if self.writer is None:
                    await self._connect()
                self.writer.write(raw)
                return await asyncio.wait_for(self._response(), 120)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _response(self):
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        location, length, chunked, close = None, 0, False, False
        for line in header_lines:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
            elif name == "location":
                location = value
            elif name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            data = b"".join(p[:-2] for p in parts)
        else:
            data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, location, data.decode("utf-8", "replace")


def local_path(location: str) -> str:
    parts = urllib.parse.urlsplit(location)
    return parts.path + ("?" + parts.query if parts.query else "")


CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
RADIO = re.compile(r'name="r(\d+)" value="([^"]+)"')


class VirtualUser:
    def __init__(self, index, port, quiz_id, barrier, stats, rng_seed):
        self.index, self.port, self.quiz_id, self.barrier, self.stats = index, port, quiz_id, barrier, stats
        self.rng = random.Random(rng_seed)
        self.sent: dict[int, str] = {}
        self.attempt_id = None
        self.client = Client(port)
        self.token = None

    def fail(self, what: str):
        self.stats["errors"].append(f"user {self.index}: {what}")

    async def log_in(self) -> bool:
        c = self.client
        try:
            _, _, page = await c.request("GET", "/auth/login")
            token = CSRF.search(page).group(1)
            status, _, _ = await c.request("POST", "/auth/login", {"csrf_token": token,
                                                                    "identifier": f"LB{self.index:05d}",
                                                                    "password": PASSWORD})
            if status != 302:
                self.fail(f"login {status}")
                return False
            _, _, page = await c.request("GET", f"/quizzes/{self.quiz_id}")
            self.token = CSRF.search(page).group(1)
            return True
        except Exception as exc:  # noqa: BLE001  (every failure is counted and reported)
            self.fail(f"login {exc!r}")
            return False

    async def run(self):
        try:
            await self.flow()
        except Exception as exc:  # noqa: BLE001  (every failure is counted and reported)
            self.fail(repr(exc))

    async def flow(self):
        c, token = self.client, self.token
        await self.barrier.wait()
        t0 = time.perf_counter()
        status, location, _ = await c.request("POST", f"/quizzes/{self.quiz_id}/start", {"csrf_token": token})
        if status != 302 or "/attempts/" not in (location or ""):
            return self.fail(f"start {status} {location}")
        status, _, page = await c.request("GET", local_path(location))
        self.stats["start"].append(time.perf_counter() - t0)
        if status != 200:
            return self.fail(f"first page {status}")
        self.attempt_id = int(re.search(r"/attempts/(\d+)", location).group(1))
        base = f"/quizzes/attempts/{self.attempt_id}"
        seq = 0
        for page_no in range(8):
            choices: dict[int, list[str]] = {}
            for position, value in RADIO.findall(page):
                choices.setdefault(int(position), []).append(value)
            if len(choices) != 2:
                return self.fail(f"page {page_no} shows {len(choices)} questions")
            answers = {}
            for position, values in choices.items():
                answers[position] = self.rng.choice(values)
                seq += 1
                t = time.perf_counter()
                status, _, _ = await c.request("POST", f"{base}/save", {"csrf_token": token, "position": position,
                                                                         "seq": seq, f"r{position}": answers[position]},
                                               {"HX-Request": "true"})
                self.stats["autosave"].append(time.perf_counter() - t)
                self.stats["autosave_at"].append(time.monotonic())
                if status != 200:
                    self.fail(f"autosave {status}")
                self.sent[position] = answers[position]
            await asyncio.sleep(self.rng.uniform(0.5, 2.0))
            seq += 1
            goto = "summary" if page_no == 7 else str(page_no + 1)
            form = {"csrf_token": token, "page": page_no, "seq": seq, "goto": goto,
                    **{f"r{p}": v for p, v in answers.items()}}
            t = time.perf_counter()
            status, location, _ = await c.request("POST", f"{base}/page", form)
            if status != 302:
                return self.fail(f"page submit {status}")
            status, _, page = await c.request("GET", local_path(location))
            self.stats["page_submit"].append(time.perf_counter() - t)
            self.stats["page_submit_at"].append(time.monotonic())
            if status != 200:
                return self.fail(f"next page {status}")
        status, location, _ = await c.request("POST", f"{base}/submit", {"csrf_token": token})
        status2, _, review = await c.request("GET", f"{base}/review")
        if status != 302 or status2 != 200:
            self.fail(f"submit {status}/{status2}")


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def saturate(clients: list, seconds: float, send) -> tuple[int, list]:
    """Closed-loop clients sending back-to-back requests for `seconds`:
    (requests answered 200, their latencies). `send(n, client, i)` sends one."""
    done, latencies, stop_at = [0], [], time.monotonic() + seconds

    async def worker(n, client):
        i = 0
        while time.monotonic() < stop_at and i < 100_000:
            i += 1
            t = time.perf_counter()
            status = await send(n, client, i)
            if status == 200:
                done[0] += 1
                latencies.append(time.perf_counter() - t)

    await asyncio.gather(*(worker(n, c) for n, c in enumerate(clients)))
    return done[0], latencies


async def in_batches(coroutines, size: int = 50):
    """Run set-up steps (log-ins) a few at a time, so set-up is not a burst."""
    results = []
    for i in range(0, len(coroutines), size):
        results += await asyncio.gather(*coroutines[i:i + size])
    return results


async def exam(port: int, quiz_id: int, users: int, stats: dict) -> tuple[list, float]:
    """Log everyone in, then release them all at one instant."""
    barrier = asyncio.Barrier(users)
    crowd = [VirtualUser(i, port, quiz_id, barrier, stats, i) for i in range(users)]
    logged_in = await in_batches([u.log_in() for u in crowd])
    if not all(logged_in):
        raise SystemExit(f"log-in failed for {logged_in.count(False)} users: {stats['errors'][:3]}")
    began, cpu = time.monotonic(), time.process_time()
    await asyncio.gather(*(u.run() for u in crowd))
    stats["generator_cpu_s"] = time.process_time() - cpu
    return crowd, time.monotonic() - began


async def autosave_saturation(port: int, quiz_id: int, crowd: list, clients: int, seconds: float):
    """Closed-loop autosaves on fresh attempts, no think time."""
    chosen = crowd[:clients]

    async def fresh_attempt(user):
        await user.client.request("POST", f"/quizzes/attempts/{user.attempt_id}/submit", {"csrf_token": user.token})
        _, location, _ = await user.client.request("POST", f"/quizzes/{quiz_id}/start", {"csrf_token": user.token})
        user.saturation_attempt = int(re.search(r"/attempts/(\d+)", location).group(1))

    await in_batches([fresh_attempt(u) for u in chosen])

    async def send(n, client, i):
        user = chosen[n]
        status, _, _ = await client.request(
            "POST", f"/quizzes/attempts/{user.saturation_attempt}/save",
            {"csrf_token": user.token, "position": i % 16, "seq": i, f"r{i % 16}": "0"}, {"HX-Request": "true"})
        return status

    return await saturate([u.client for u in chosen], seconds, send)


async def insert_saturation(port: int, clients: int, seconds: float):
    async def send(n, client, i):
        status, _, _ = await client.request("POST", "/insert", {"user": str(n), "value": str(i)})
        return status

    return await saturate([Client(port) for _ in range(clients)], seconds, send)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="0: sync workers; N: gthread with N threads")
    parser.add_argument("--saturation-clients", type=int, default=8)
    parser.add_argument("--saturation-seconds", type=float, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.db"
        env = {**os.environ, "AGENTPATH_ENV": "production", "DATABASE_URL": f"sqlite:///{db_path}",
               "SECRET_KEY": "bench-only-secret", "SESSION_COOKIE_SECURE": "0",
               "LOGIN_LIMIT_PER_IP": "1000000 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute",
               "LOGIN_LIMIT_PER_ACCOUNT_AND_IP": "1000 per minute"}
        subprocess.run([PYTHON, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        quiz_id = int(subprocess.run([PYTHON, "-c", SETUP, str(args.users), PASSWORD], cwd=ROOT, env=env,
                                     check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])

        port = free_port()
        server = serve("app:create_app()", env, port, args.workers, args.threads)
        stats = {"start": [], "autosave": [], "autosave_at": [], "page_submit": [], "page_submit_at": [],
                 "errors": []}
        try:
            async def both():
                crowd, elapsed = await exam(port, quiz_id, args.users, stats)
                return crowd, elapsed, await autosave_saturation(
                    port, quiz_id, crowd, min(args.saturation_clients, args.users), args.saturation_seconds)

            crowd, elapsed, (saves, save_lat) = asyncio.run(both())
        finally:
            stop(server)

        ceiling_env = {**env, "DATABASE_URL": f"sqlite:///{Path(folder) / 'ceiling.db'}"}
        # Create the ceiling's table once, before several workers race to do it.
        subprocess.run([PYTHON, "-c", "import ceiling_app; ceiling_app.create_app()"], cwd=ROOT / "bench",
                       env=ceiling_env, check=True)
        def reference(target: str):
            """Serve a bench/ceiling_app.py app like the real one and saturate it."""
            port = free_port()
            process = serve(target, ceiling_env, port, args.workers, args.threads, cwd=ROOT / "bench")
            try:
                return asyncio.run(insert_saturation(port, min(args.saturation_clients, args.users),
                                                     args.saturation_seconds))
            finally:
                stop(process)

        inserts, insert_lat = reference("ceiling_app:create_app()")
        noops, _ = reference("ceiling_app:create_noop_app()")

        lost = check_database(db_path, crowd)

    def rate(moments):
        window = (max(moments) - min(moments)) if len(moments) > 1 else 0
        return round(len(moments) / window, 1) if window else None

    report = {
        "users": args.users, "workers": args.workers, "threads": args.threads, "wall_s": round(elapsed, 1),
        "generator_cpu_s": round(stats["generator_cpu_s"], 1),
        "start_to_page1_s": {"p50": round(pct(stats["start"], .5), 3), "p95": round(pct(stats["start"], .95), 3),
                             "max": round(max(stats["start"] or [float("nan")]), 3)},
        "page_submit_s": {"p50": round(pct(stats["page_submit"], .5), 3), "p95": round(pct(stats["page_submit"], .95), 3),
                          "per_s_during_exam": rate(stats["page_submit_at"])},
        "autosave_during_exam_s": {"p50": round(pct(stats["autosave"], .5), 4),
                                   "p95": round(pct(stats["autosave"], .95), 4),
                                   "per_s": rate(stats["autosave_at"])},
        "autosave_saturation": {"clients": min(args.saturation_clients, args.users),
                                "per_s": round(saves / args.saturation_seconds, 1),
                                "p95_s": round(pct(save_lat, .95), 4)},
        "ceiling_insert_saturation": {"per_s": round(inserts / args.saturation_seconds, 1),
                                      "p95_s": round(pct(insert_lat, .95), 4)},
        "autosave_to_ceiling_ratio": round(saves / inserts, 3) if inserts else None,
        "reference_flask_noop_per_s": round(noops / args.saturation_seconds, 1),
        "errors": len(stats["errors"]), "lost_answers": lost,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    for error in stats["errors"][:10]:
        print("error:", error)


def check_database(db_path: Path, users) -> int:
    """Answers sent but not stored exactly, plus attempts left unfinished."""
    lost = 0
    with sqlite3.connect(db_path) as db:
        for user in users:
            if user.attempt_id is None:
                continue
            status = db.execute("SELECT status FROM attempts WHERE id = ?", (user.attempt_id,)).fetchone()[0]
            if status == "in_progress":
                lost += 1
            stored = dict(db.execute("SELECT position, response FROM attempt_slots WHERE attempt_id = ?",
                                     (user.attempt_id,)).fetchall())
            for position, value in user.sent.items():
                expected = value if value in ("true", "false") else int(value)
                raw = stored.get(position)
                got = json.loads(raw) if isinstance(raw, str) else raw
                if expected in ("true", "false"):
                    expected = expected == "true"
                if got != expected:
                    lost += 1
    return lost


if __name__ == "__main__":
    main()
