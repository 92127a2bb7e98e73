"""KPI import benchmark: a generated long-format CSV (agents × 12 months ×
8 metrics; 1,000,000 rows by default) and its wide equivalent, imported
through the CLI's code path (read_table → plan_import → commit_import)
into a fresh database, against a same-run ceiling: the raw
`sqlite3.executemany` of the same rows, CSV parsing included.

Run by hand (not part of `make test`):

    .venv/bin/python bench/kpi_import.py [--agents 10000] [--postgres URL]

Prints wall time, rows/s, peak RSS of the import (measured in a child
process each, so one run does not inflate the next) and the ratio to the
ceiling. Targets (../shared/BENCHMARKS.md): ≤ 3× the ceiling, peak RSS
≤ 300 MB. With --postgres URL the imports run on PostgreSQL too (the URL's
database is emptied: use a scratch one).
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

METRICS = [("csat", "客户满意度", "{:.1f}%"), ("fcr", "首次解决率", "{:.1f}%"), ("resolution", "问题解决率", "{:.1f}%"),
           ("first_response", "首次响应(秒)", "{:.0f}"), ("avg_response", "平均响应(秒)", "{:.0f}"),
           ("aht", "平均接待时长(秒)", "{:.0f}"), ("complaint_rate", "投诉率", "{:.2f}%"),
           ("repeat_rate", "重复咨询率", "{:.1f}%")]
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def agent_no(i: int) -> str:
    return f"B{i:06d}"


def value_for(i: int, month: int, metric: int) -> float:
    seed = (i * 7919 + month * 104729 + metric * 1299709) % 1000 / 1000
    return [80 + 20 * seed, 75 + 25 * seed, 85 + 15 * seed, 5 + 40 * seed, 20 + 40 * seed, 200 + 300 * seed,
            3 * seed, 15 * seed][metric]


def write_files(folder: Path, agents: int) -> tuple[Path, Path, int]:
    long_path, wide_path = folder / "kpi_long.csv", folder / "kpi_wide.csv"
    rows = 0
    with long_path.open("w", encoding="utf-8", newline="") as long_file, \
            wide_path.open("w", encoding="utf-8", newline="") as wide_file:
        long_writer, wide_writer = csv.writer(long_file), csv.writer(wide_file)
        long_writer.writerow(["工号", "月份", "指标", "数值", "接待人数"])
        wide_writer.writerow(["工号", "月份", "接待人数"] + [label for _, label, _ in METRICS])
        for i in range(agents):
            number = agent_no(i)
            for m, month in enumerate(MONTHS):
                contacts = 300 + (i + m) % 500
                cells = [fmt.format(value_for(i, m, k)) for k, (_, _, fmt) in enumerate(METRICS)]
                for (code, _, _), cell in zip(METRICS, cells, strict=True):
                    long_writer.writerow([number, month, code, cell, contacts])
                    rows += 1
                wide_writer.writerow([number, month, contacts] + cells)
    return long_path, wide_path, rows


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ceiling(path: Path, db_path: Path) -> float:
    """Parse the long CSV and executemany the rows into a bare table (no
    keys or indexes: the fastest the rows can go in)."""
    started = time.perf_counter()
    connection = sqlite3.connect(db_path)
    connection.execute("CREATE TABLE v (agent TEXT, month TEXT, metric TEXT, value REAL, contacts INTEGER)")
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        next(reader)
        connection.executemany("INSERT INTO v VALUES (?, ?, ?, ?, ?)",
                               ((a, m, k, float(v.rstrip("%")), int(c)) for a, m, k, v, c in reader))
    connection.commit()
    connection.close()
    return time.perf_counter() - started


def _import_child(url: str, path: str, agents: int, queue) -> None:
    try:
        queue.put(_import(url, path, agents))
    except BaseException as error:  # noqa: BLE001 — reported to the parent, which would wait forever
        import traceback

        queue.put({"failed": f"{error!r}\n{traceback.format_exc()}"})


def _import(url: str, path: str, agents: int) -> dict:
    """One import in a fresh process: build the app, create the agents, import."""
    os.environ["AGENTPATH_ENV"] = "development"
    from sqlalchemy import text

    from app import create_app
    from app.auth.models import User
    from app.extensions import db
    from app.kpi.catalogue import seed_catalogue
    from app.kpi.files import read_table
    from app.kpi.importer import commit_import, file_hash, plan_import, suggest_mapping
    from config import DevelopmentConfig

    config = type("BenchConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url,
                                                        "SECRET_KEY": "bench"})
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        seed_catalogue()
        db.session.execute(User.__table__.insert(), [
            {"employee_no": agent_no(i), "name": f"坐席{i}", "role": "agent", "password_hash": "x",
             "tier": "in_service", "ladder_level": "specialist", "is_active": True, "must_change_password": False,
             "session_version": 1, "created_at": datetime.now(UTC)} for i in range(agents)])
        db.session.commit()
        data = Path(path).read_bytes()
        rss_before = _peak_rss_mb()
        started = time.perf_counter()
        table = read_table(Path(path).name, data)
        mapping, _ = suggest_mapping(table.headers)
        preview = plan_import(table, mapping)
        planned = time.perf_counter()
        result = commit_import(preview, None, source="cli", filename=Path(path).name, digest=file_hash(data),
                               mapping=mapping)
        finished = time.perf_counter()
        return {"errors": preview.error_count, "values": preview.value_count, "added": result.added,
                   "plan_s": planned - started, "commit_s": finished - planned, "wall_s": finished - started,
                "peak_rss_mb": _peak_rss_mb(), "rss_before_mb": rss_before}


def run_import(url: str, path: Path, agents: int) -> dict:
    queue = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(target=_import_child, args=(url, str(path), agents, queue))
    process.start()
    result = queue.get()
    process.join()
    if "failed" in result:
        raise SystemExit(f"the import failed: {result['failed']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10_000, help="agents (rows = agents × 12 × 8)")
    parser.add_argument("--postgres", default="", help="also import into this PostgreSQL database (emptied)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        long_path, wide_path, rows = write_files(folder, args.agents)
        print(f"files: {rows:,} long rows ({long_path.stat().st_size / 2**20:.1f} MB), "
              f"{rows // len(METRICS):,} wide rows ({wide_path.stat().st_size / 2**20:.1f} MB)")
        ceiling_s = ceiling(long_path, folder / "ceiling.db")
        print(f"ceiling: sqlite3 executemany of the same rows, CSV parsing included: {ceiling_s:.2f} s "
              f"({rows / ceiling_s:,.0f} rows/s)")
        targets = [("sqlite", f"sqlite:///{folder}/import_long.db", long_path),
                   ("sqlite", f"sqlite:///{folder}/import_wide.db", wide_path)]
        if args.postgres:
            targets += [("postgres", args.postgres, long_path), ("postgres", args.postgres, wide_path)]
        report = {"rows": rows, "ceiling_s": round(ceiling_s, 2), "imports": []}
        for engine, url, path in targets:
            result = run_import(url, path, args.agents)
            layout = "long" if path == long_path else "wide"
            ratio = result["wall_s"] / ceiling_s
            print(f"{engine:8} {layout}: {result['wall_s']:.2f} s (plan {result['plan_s']:.2f} s, commit "
                  f"{result['commit_s']:.2f} s), {rows / result['wall_s']:,.0f} rows/s, "
                  f"{ratio:.2f}× the ceiling, peak RSS {result['peak_rss_mb']:.0f} MB, "
                  f"{result['added']:,} values, {result['errors']} errors")
            report["imports"].append({"engine": engine, "layout": layout, **{k: round(v, 2) if isinstance(v, float)
                                                                                else v for k, v in result.items()},
                                      "ratio": round(ratio, 2)})
        print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
