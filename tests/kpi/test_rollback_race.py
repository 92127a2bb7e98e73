"""Rolling back import A while import B over the same values is committed:
whatever the interleaving, no import is lost, no committed import records a
rolled-back one as what it replaced, a refused rollback names the later
import, and rolling back the newest import always works.

Each case runs on the suite's database (SQLite or PostgreSQL), the two
operations on their own connections. The "at a statement" cases start the
other operation in a second thread at the exact moment the first is about
to run that statement and give it time to finish; the "together" cases
release both at once from a barrier, many times."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.kpi.catalogue import seed_catalogue
from app.kpi.files import read_table
from app.kpi.importer import ImportRefused, commit_import, plan_import, rollback_batch, suggest_mapping
from app.kpi.models import BatchChange, ImportBatch, KpiValue

HEADER = "工号,姓名,月份,接待人数,客户满意度,首次响应(秒),平均接待时长\n"
BASE = HEADER + "KF9001,甲,2025-10,40,90%,12,250\n"
IMPORT_A = HEADER + "KF9001,甲,2025-10,45,91%,13,260\nKF9002,乙,2025-10,30,88%,20,300\n"    # replaces and adds
IMPORT_B = HEADER + "KF9001,甲,2025-10,50,92%,14,270\nKF9002,乙,2025-10,35,89%,21,310\n"    # the same keys again
WAIT_FOR_OTHER = 0.4        # seconds the first operation gives the second before it goes on


@pytest.fixture
def agents(app, make_user, make_team):
    seed_catalogue()
    team = make_team()
    return [make_user("agent", team=team, employee_no=no) for no in ("KF9001", "KF9002")]


def preview_of(text: str):
    table = read_table("kpi.csv", text.encode())
    mapping = suggest_mapping(table.headers)[0]
    return plan_import(table, mapping), mapping


def commit(preview_and_mapping):
    preview, mapping = preview_and_mapping
    return commit_import(preview, None, source="cli", filename="kpi.csv", digest="x", mapping=mapping)


def stored() -> dict:
    db.session.expire_all()
    return {(v.user_id, v.metric_code): (round(v.value, 3), v.contacts, v.batch_id)
            for v in db.session.scalars(select(KpiValue))}


def setting():
    """Import A over a base import, then preview B over the same values. Returns (base id, A id, B's preview)."""
    base = commit(preview_of(BASE)).batch.id
    first = commit(preview_of(IMPORT_A)).batch.id
    return base, first, preview_of(IMPORT_B)


class Outcome:
    """What one operation answered: its result or its refusal."""

    def __init__(self):
        self.result = None
        self.refused: ImportRefused | None = None
        self.crashed: BaseException | None = None


def run(app, work, outcome: Outcome, barrier: threading.Barrier | None = None) -> threading.Thread:
    """Run `work` in a thread of its own: its own app context, session and connection."""

    def body():
        with app.app_context():
            try:
                if barrier is not None:
                    barrier.wait()
                outcome.result = work()
            except ImportRefused as refused:
                outcome.refused = refused
            except BaseException as crash:          # reported by the test, never swallowed
                outcome.crashed = crash
            finally:
                db.session.remove()

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread


def operations(first_id: int, preview_b):
    def commit_b():                                  # the batch's id: its row goes with the thread's session
        batch = commit(preview_b).batch
        return batch.id if batch is not None else None

    def roll_back_a():
        return rollback_batch(db.session.get(ImportBatch, first_id), None)

    return commit_b, roll_back_a


def check_and_unwind(base_id: int, first_id: int, committed: Outcome, rolled_back: Outcome) -> None:
    """The invariants after any interleaving, then every import rolled back newest first."""
    assert committed.crashed is None and rolled_back.crashed is None, (committed.crashed, rolled_back.crashed)
    db.session.expire_all()
    batches = {b.id: b for b in db.session.scalars(select(ImportBatch))}
    values = stored()
    owners = {batch_id for _, _, batch_id in values.values()}
    assert all(batches[owner].status == "committed" for owner in owners), \
        f"a value belongs to a rolled-back import: {values}"
    if committed.result is not None:
        second_id = committed.result
        assert batches[second_id].status == "committed"
        assert owners == {second_id}, f"import #{second_id} was reported committed but lost values: {values}"
        if rolled_back.refused is not None:
            assert f"#{second_id}" in str(rolled_back.refused), str(rolled_back.refused)
            assert batches[first_id].status == "committed"
    else:
        assert committed.refused is not None and "nothing was imported" in str(committed.refused)
    if rolled_back.refused is None:
        assert batches[first_id].status == "rolled_back"
    for change in db.session.scalars(select(BatchChange)):
        if batches[change.batch_id].status == "committed" and change.old_batch_id is not None:
            assert batches[change.old_batch_id].status == "committed", \
                f"import #{change.batch_id} recorded the rolled-back import #{change.old_batch_id} as replaced"
    for batch_id in sorted((i for i, b in batches.items() if b.status == "committed" and i != base_id),
                           reverse=True):
        rollback_batch(db.session.get(ImportBatch, batch_id), None)
    base_values = stored()
    assert {(code, owner) for (_, code), (_, _, owner) in base_values.items()} == \
        {(code, base_id) for code in ("csat", "first_response", "aht")}
    assert {key[1]: value[:2] for key, value in base_values.items()} == \
        {"csat": (90.0, 40), "first_response": (12.0, 40), "aht": (250.0, 40)}
    rollback_batch(db.session.get(ImportBatch, base_id), None)
    assert stored() == {}


def test_commit_then_rollback_and_rollback_then_commit(app, agents):
    for _ in range(5):
        base_id, first_id, preview_b = setting()
        commit_b, roll_back_a = operations(first_id, preview_b)
        committed, rolled_back = Outcome(), Outcome()
        committed.result = commit_b()
        with pytest.raises(ImportRefused) as refused:
            roll_back_a()
        rolled_back.refused = refused.value
        check_and_unwind(base_id, first_id, committed, rolled_back)

        base_id, first_id, preview_b = setting()
        commit_b, roll_back_a = operations(first_id, preview_b)
        committed, rolled_back = Outcome(), Outcome()
        rolled_back.result = roll_back_a()
        committed.result = commit_b()
        assert committed.result is not None
        check_and_unwind(base_id, first_id, committed, rolled_back)


@pytest.mark.parametrize("first, at", [
    ("rollback", r"^\s*(UPDATE|DELETE FROM) kpi_values"),        # the rollback is about to write
    ("commit", r"^\s*INSERT INTO kpi_batch_changes"),            # the commit is about to record what it replaces
    ("commit", r"^\s*UPDATE kpi_values"),                        # … and has recorded it, about to replace
    ("commit", r"^\s*INSERT INTO kpi_values"),                   # … about to add
])
def test_the_other_operation_runs_at_a_statement(app, agents, first, at):
    base_id, first_id, preview_b = setting()
    commit_b, roll_back_a = operations(first_id, preview_b)
    committed, rolled_back = Outcome(), Outcome()
    mine, other = (rolled_back, committed) if first == "rollback" else (committed, rolled_back)
    my_work, other_work = (roll_back_a, commit_b) if first == "rollback" else (commit_b, roll_back_a)
    me, started = threading.get_ident(), []

    def interleave(conn, cursor, statement, *args):
        if threading.get_ident() == me and not started and re.match(at, statement):
            started.append(run(app, other_work, other))
            started[0].join(WAIT_FOR_OTHER)            # done, or waiting for us: then we go on

    event.listen(db.engine, "before_cursor_execute", interleave)
    try:
        try:
            mine.result = my_work()
        except ImportRefused as refused:
            mine.refused = refused
    finally:
        event.remove(db.engine, "before_cursor_execute", interleave)
    assert started, f"the {first} never ran a statement matching {at}"
    started[0].join(30)
    check_and_unwind(base_id, first_id, committed, rolled_back)


def test_commit_and_rollback_released_together(app, agents):
    for _ in range(12):
        base_id, first_id, preview_b = setting()
        commit_b, roll_back_a = operations(first_id, preview_b)
        committed, rolled_back = Outcome(), Outcome()
        barrier = threading.Barrier(2)
        threads = [run(app, commit_b, committed, barrier), run(app, roll_back_a, rolled_back, barrier)]
        for thread in threads:
            thread.join(30)
        check_and_unwind(base_id, first_id, committed, rolled_back)


def test_on_sqlite_a_turn_not_free_in_time_is_refused_and_nothing_is_written(app, app_factory, agents):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL waits for the turn (pg_advisory_xact_lock)")
    base_id, first_id, preview_b = setting()
    before = stored()
    holder = db.engine.raw_connection()                  # another writer, holding SQLite's write lock
    holder.driver_connection.execute("BEGIN IMMEDIATE")
    try:
        with app_factory(SQLITE_BUSY_TIMEOUT_MS=50).app_context():
            with pytest.raises(ImportRefused, match="try again in a moment"):
                rollback_batch(db.session.get(ImportBatch, first_id), None)
            with pytest.raises(ImportRefused, match="try again in a moment"):
                commit(preview_b)
            db.session.remove()
    finally:
        holder.driver_connection.rollback()
        holder.close()
    assert stored() == before and db.session.get(ImportBatch, first_id).status == "committed"
    second_id = commit(preview_b).batch.id                       # the turn is free again: both go ahead
    for batch_id in (second_id, first_id, base_id):
        rollback_batch(db.session.get(ImportBatch, batch_id), None)
    assert stored() == {}
