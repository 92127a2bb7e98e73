"""Exam load test (../shared/BENCHMARKS.md, "Exam load").

    .venv/bin/python bench/exam_load.py --users 200 [--workers 3 --threads 8] [--seed-users-only]

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
the same number of closed-loop clients as the autosave saturation phase.

Traffic goes only to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import http.client
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
import threading
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
    command = [str(Path(PYTHON).parent / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", str(workers),
               "-k", "gthread", "--threads", str(threads), "--backlog", "4096", "--keep-alive", "30",
               "--log-level", "warning", target]
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


# --- a tiny HTTP client with cookies ---------------------------------------------

class Client:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(form, doseq=True) if form is not None else None
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location"), data.decode("utf-8", "replace")


CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
RADIO = re.compile(r'name="r(\d+)" value="([^"]+)"')


class VirtualUser(threading.Thread):
    def __init__(self, index, port, quiz_id, barrier, stats, rng_seed):
        super().__init__(daemon=True)
        self.index, self.port, self.quiz_id, self.barrier, self.stats = index, port, quiz_id, barrier, stats
        self.rng = random.Random(rng_seed)
        self.sent: dict[int, str] = {}
        self.attempt_id = None

    def fail(self, what: str):
        self.stats["errors"].append(f"user {self.index}: {what}")

    def run(self):
        try:
            self.flow()
        except Exception as exc:  # noqa: BLE001  (every failure is counted and reported)
            self.fail(repr(exc))
            try:
                self.barrier.abort() if not self.started else None
            except threading.BrokenBarrierError:
                pass

    started = False

    def flow(self):
        c = Client(self.port)
        _, _, page = c.request("GET", "/auth/login")
        token = CSRF.search(page).group(1)
        status, _, _ = c.request("POST", "/auth/login", {"csrf_token": token, "identifier": f"LB{self.index:05d}",
                                                          "password": PASSWORD})
        if status != 302:
            return self.fail(f"login {status}")
        _, _, page = c.request("GET", f"/quizzes/{self.quiz_id}")
        token = CSRF.search(page).group(1)
        self.barrier.wait(timeout=600)
        self.started = True
        t0 = time.perf_counter()
        status, location, _ = c.request("POST", f"/quizzes/{self.quiz_id}/start", {"csrf_token": token})
        if status != 302 or "/attempts/" not in (location or ""):
            return self.fail(f"start {status} {location}")
        path = urllib.parse.urlsplit(location)
        status, _, page = c.request("GET", path.path + ("?" + path.query if path.query else ""))
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
                status, _, _ = c.request("POST", f"{base}/save", {"csrf_token": token, "position": position,
                                                                   "seq": seq, f"r{position}": answers[position]},
                                         {"HX-Request": "true"})
                self.stats["autosave"].append(time.perf_counter() - t)
                if status != 200:
                    self.fail(f"autosave {status}")
                self.sent[position] = answers[position]
            time.sleep(self.rng.uniform(0.5, 2.0))
            seq += 1
            goto = "summary" if page_no == 7 else str(page_no + 1)
            form = {"csrf_token": token, "page": page_no, "seq": seq, "goto": goto,
                    **{f"r{p}": v for p, v in answers.items()}}
            t = time.perf_counter()
            status, location, _ = c.request("POST", f"{base}/page", form)
            if status != 302:
                return self.fail(f"page submit {status}")
            path = urllib.parse.urlsplit(location)
            status, _, page = c.request("GET", path.path + ("?" + path.query if path.query else ""))
            self.stats["page_submit"].append(time.perf_counter() - t)
            self.stats["page_submit_at"].append(time.monotonic())
            if status != 200:
                return self.fail(f"next page {status}")
        status, location, _ = c.request("POST", f"{base}/submit", {"csrf_token": token})
        status2, _, review = c.request("GET", f"{base}/review")
        if status != 302 or status2 != 200:
            self.fail(f"submit {status}/{status2}")


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def saturate(port: int, path: str, clients: int, seconds: float, make_form, headers=None, login=None) -> tuple[int, list]:
    """Closed-loop clients sending back-to-back POSTs for `seconds`: (requests, latencies)."""
    done, latencies, stop_at = [0], [], time.monotonic() + seconds
    lock = threading.Lock()

    def worker(n):
        c = login(n) if login else Client(port)
        i = 0
        while time.monotonic() < stop_at and i < 100_000:
            i += 1
            t = time.perf_counter()
            status, _, _ = c.request("POST", path(n) if callable(path) else path, make_form(n, i), headers)
            dt = time.perf_counter() - t
            with lock:
                if status == 200:
                    done[0] += 1
                    latencies.append(dt)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    return done[0], latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--saturation-clients", type=int, default=32)
    parser.add_argument("--saturation-seconds", type=float, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.db"
        env = {**os.environ, "AGENTPATH_ENV": "production", "DATABASE_URL": f"sqlite:///{db_path}",
               "SECRET_KEY": "bench-only-secret", "SESSION_COOKIE_SECURE": "0",
               "LOGIN_LIMIT_PER_IP": "1000000 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute"}
        subprocess.run([PYTHON, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        quiz_id = int(subprocess.run([PYTHON, "-c", SETUP, str(args.users), PASSWORD], cwd=ROOT, env=env,
                                     check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])

        port = free_port()
        server = serve("app:create_app()", env, port, args.workers, args.threads)
        stats = {"start": [], "autosave": [], "page_submit": [], "page_submit_at": [], "errors": []}
        try:
            barrier = threading.Barrier(args.users)
            users = [VirtualUser(i, port, quiz_id, barrier, stats, i) for i in range(args.users)]
            began = time.monotonic()
            for u in users:
                u.start()
            for u in users:
                u.join(timeout=900)
            elapsed = time.monotonic() - began

            # Autosave at saturation: closed-loop clients on fresh attempts, no think time.
            sat_users = users[: args.saturation_clients]
            token_clients = {}

            def login(n):
                c = Client(port)
                _, _, page = c.request("GET", "/auth/login")
                token = CSRF.search(page).group(1)
                c.request("POST", "/auth/login", {"csrf_token": token, "identifier": f"LB{n:05d}", "password": PASSWORD})
                c.request("POST", f"/quizzes/attempts/{sat_users[n].attempt_id}/submit", {"csrf_token": token})
                _, location, _ = c.request("POST", f"/quizzes/{quiz_id}/start", {"csrf_token": token})
                token_clients[n] = (token, int(re.search(r"/attempts/(\d+)", location).group(1)))
                return c

            saves, save_lat = saturate(
                port, lambda n: f"/quizzes/attempts/{token_clients[n][1]}/save", len(sat_users),
                args.saturation_seconds,
                lambda n, i: {"csrf_token": token_clients[n][0], "position": i % 16, "seq": i, f"r{i % 16}": "0"},
                {"HX-Request": "true"}, login)
        finally:
            stop(server)

        ceiling_env = {**env, "DATABASE_URL": f"sqlite:///{Path(folder) / 'ceiling.db'}"}
        # Create the ceiling's table once, before several workers race to do it.
        subprocess.run([PYTHON, "-c", "import ceiling_app; ceiling_app.create_app()"], cwd=ROOT / "bench",
                       env=ceiling_env, check=True)
        ceiling_port = free_port()
        ceiling = serve("ceiling_app:create_app()", ceiling_env, ceiling_port, args.workers, args.threads,
                        cwd=ROOT / "bench")
        try:
            inserts, insert_lat = saturate(ceiling_port, "/insert", args.saturation_clients, args.saturation_seconds,
                                           lambda n, i: {"user": str(n), "value": str(i)})
        finally:
            stop(ceiling)

        lost = check_database(db_path, users)

    submits = stats["page_submit_at"]
    window = (max(submits) - min(submits)) if len(submits) > 1 else float("nan")
    report = {
        "users": args.users, "workers": args.workers, "threads": args.threads, "wall_s": round(elapsed, 1),
        "start_to_page1_s": {"p50": round(pct(stats["start"], .5), 3), "p95": round(pct(stats["start"], .95), 3),
                             "max": round(max(stats["start"] or [float("nan")]), 3)},
        "page_submit_s": {"p50": round(pct(stats["page_submit"], .5), 3), "p95": round(pct(stats["page_submit"], .95), 3),
                          "per_s_during_exam": round(len(submits) / window, 1) if window == window else None},
        "autosave_during_exam_s": {"p50": round(pct(stats["autosave"], .5), 4), "p95": round(pct(stats["autosave"], .95), 4)},
        "autosave_saturation": {"clients": args.saturation_clients, "per_s": round(saves / args.saturation_seconds, 1),
                                "p95_s": round(pct(save_lat, .95), 4)},
        "ceiling_insert_saturation": {"per_s": round(inserts / args.saturation_seconds, 1),
                                      "p95_s": round(pct(insert_lat, .95), 4)},
        "autosave_to_ceiling_ratio": round(saves / inserts, 3) if inserts else None,
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
