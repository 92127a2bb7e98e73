"""Page weight: SQL queries and server time per request for the main pages.

Run by hand (not part of `make test`):

    .venv/bin/python bench/page_weight.py [--repeat 200]

It builds a fresh SQLite database with the demo organisation in a temporary
folder, signs in as each role through the test client (no network), and
prints, per page, the number of SQL statements one request runs and the
median / p95 server time. Lean pages keep the exam-load targets in reach
(../shared/BENCHMARKS.md: Moodle runs 31–104 queries per request).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, select  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.models import Team, User  # noqa: E402
from app.extensions import db  # noqa: E402
from config import DevelopmentConfig  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="requests per page")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        config = type("BenchConfig", (DevelopmentConfig,), {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
            "SECRET_KEY": "bench-only",
            "WTF_CSRF_ENABLED": False,
        })
        app = create_app(config)
        with app.app_context():
            from flask_migrate import upgrade

            from app.auth.services import start_session
            from app.demo import seed_demo

            upgrade()
            seed_demo()
            team_id = db.session.scalar(select(Team.id).where(Team.name == "售后服务组"))
            people = {u.employee_no: u for u in db.session.scalars(select(User))}
            logins = {role: start_session(people[number])
                      for role, number in (("agent", "KF1003"), ("manager", "M001"), ("admin", "A001"))}
            agent_id = people["KF1003"].id

            statements = []
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(1))

        pages = [
            ("agent", "/"), ("agent", f"/people/{agent_id}"),
            ("manager", "/"), ("manager", f"/teams/{team_id}"),
            ("admin", "/"), ("admin", "/admin/users"), ("admin", "/admin/users?q=林"),
            ("anonymous", "/auth/login"),
        ]
        print(f"{'role':<10} {'page':<24} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8}")
        for role, url in pages:
            client = app.test_client()
            if role != "anonymous":
                with client.session_transaction() as session:
                    session["_user_id"] = logins[role]
            client.get(url)  # warm up
            timings, counts = [], []
            for _ in range(args.repeat):
                statements.clear()
                start = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
                counts.append(len(statements))
                assert response.status_code == 200, (url, response.status_code)
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(f"{role:<10} {url:<24} {max(counts):>7} {statistics.median(timings):>8.2f} {p95:>8.2f}")


if __name__ == "__main__":
    main()
