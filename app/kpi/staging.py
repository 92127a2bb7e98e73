# ruff: noqa: S608 — statements here are assembled from constants and int() values only
"""The staging tables of an import: checked cells go to `kpi_staged_cells`
in chunks as the file is read, so memory stays bounded however long the
file is; the database finds duplicates (the table's key is agent, month,
metric and exact period) and, at commit, moves the values into
`kpi_values` with a few set-based statements.

Files of whole months (the usual case) are committed straight from the
cells. Files of days or weeks are rolled up first: the cells are read back
in key order and each month is formed by `scoring.aggregate_month` (the one
definition of a month), into `kpi_staged_values`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import bindparam, text

from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from app.kpi.catalogue import rule_of
from app.kpi.scoring import Observation, aggregate_month

CHUNK = 5000
_CELL_COLUMNS = "job_id, user_id, month, metric_code, period, row_no, value, scale_col, contacts"
_KEY_MATCH = "k.user_id = s.user_id AND k.month = s.month AND k.metric_code = s.metric_code"
_DIFFERS = "(abs(k.value - s.value) > 1e-9 OR coalesce(k.contacts, -1) <> coalesce(s.contacts, -1))"


def driver_sql(statement: str) -> str:
    """A constant statement written with ? marks, in the driver's own style."""
    return statement if db.session.connection().dialect.paramstyle == "qmark" else statement.replace("?", "%s")


def _iso(day) -> str:
    return day if isinstance(day, str) else day.isoformat()


def period_key(first: date, last: date) -> int:
    """A period inside one month as one integer (compact to store and compare)."""
    return first.toordinal() * 32 + (last - first).days


def period_first(key: int) -> date:
    return date.fromordinal(key // 32)


@dataclass
class Duplicate:
    row: int
    first_row: int
    cell: tuple            # the staged tuple (job, user, month, metric, period, row, value, scale, contacts)
    bad: bool              # the row already had another error
    column: str
    agent: str


class Stager:
    """Buffers checked cells and writes them in chunks. A chunk where the
    database kept fewer cells than it was given held duplicates: each is
    reported with the row that came first."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.cells: list[tuple] = []
        self.meta: list[tuple[bool, str, str]] = []     # per cell: row had an error, column, agent text
        self.kept = 0
        self.insert = driver_sql(f"INSERT INTO kpi_staged_cells ({_CELL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                  "ON CONFLICT DO NOTHING")

    def add(self, cell: tuple, bad: bool, column: str, agent: str) -> None:
        self.cells.append(cell)
        self.meta.append((bad, column, agent))

    @property
    def full(self) -> bool:
        return len(self.cells) >= CHUNK

    def flush(self) -> list[Duplicate]:
        if not self.cells:
            return []
        kept = db.session.connection().exec_driver_sql(self.insert, self.cells).rowcount
        self.kept += kept
        duplicates = self._duplicates() if kept != len(self.cells) else []
        self.cells, self.meta = [], []
        return duplicates

    def _duplicates(self) -> list[Duplicate]:
        """The chunk's cells whose key the table holds under another row."""
        users = sorted({cell[1] for cell in self.cells})
        stored = {}
        for start in range(0, len(users), 500):
            part = users[start:start + 500]
            rows = db.session.execute(text(
                "SELECT user_id, month, metric_code, period, row_no FROM kpi_staged_cells "
                "WHERE job_id = :job AND user_id IN :users").bindparams(bindparam("users", expanding=True)),
                {"job": self.job_id, "users": part})
            for user_id, month, code, period, row_no in rows:
                stored[(user_id, _iso(month), code, period)] = row_no
        found = []
        for cell, (bad, column, agent) in zip(self.cells, self.meta, strict=True):
            first_row = stored.get((cell[1], cell[2], cell[3], cell[4]))
            if first_row is not None and first_row != cell[5]:
                found.append(Duplicate(cell[5], first_row, cell, bad, column, agent))
        return found


def source_sql(job_id: int, rollup: bool, fraction_columns: list[int]) -> str:
    """A SELECT of the job's monthly values: user_id, month, metric_code, value, contacts."""
    if rollup:
        return f"SELECT user_id, month, metric_code, value, contacts FROM kpi_staged_values WHERE job_id = {int(job_id)}"
    value = "value"
    if fraction_columns:
        listed = ", ".join(str(int(c)) for c in sorted(fraction_columns))
        value = f"CASE WHEN scale_col IN ({listed}) THEN value * 100 ELSE value END"
    return (f"SELECT user_id, month, metric_code, {value} AS value, contacts FROM kpi_staged_cells "
            f"WHERE job_id = {int(job_id)}")


def roll_up(job_id: int, metrics_by_code: dict, fraction_columns: list[int]) -> int:
    """Form each month of the job from its staged cells (read back in key
    order, so one month at a time is in memory) into kpi_staged_values.
    Returns how many months."""
    rules = {code: replace(rule_of(metric), min_contacts=0) for code, metric in metrics_by_code.items()}
    fractions = set(fraction_columns)
    insert = driver_sql("INSERT INTO kpi_staged_values (job_id, user_id, month, metric_code, value, contacts, rows) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)")
    # One connection reads and writes: a server-side cursor in PostgreSQL, a lazy cursor in SQLite (over a
    # clustered table that the inserts into another table do not disturb).
    cells = db.session.connection().execution_options(stream_results=True, yield_per=CHUNK).exec_driver_sql(
        f"SELECT user_id, month, metric_code, value, scale_col, contacts FROM kpi_staged_cells "
        f"WHERE job_id = {int(job_id)} ORDER BY user_id, month, metric_code, period")
    months = 0
    out: list[tuple] = []
    key = None
    group: list[Observation] = []

    def close_group():
        nonlocal months
        month = aggregate_month(rules[key[2]], group)
        out.append((job_id, key[0], _iso(key[1]), key[2], month.value, month.contacts, month.rows))
        months += 1

    for user_id, month, code, value, scale_col, contacts in cells:
        if scale_col in fractions:
            value *= 100
        this = (user_id, month, code)
        if this != key:
            if key is not None:
                close_group()
                if len(out) >= CHUNK:
                    db.session.connection().exec_driver_sql(insert, out)
                    out.clear()
            key, group = this, []
        group.append(Observation(value, contacts))
    if key is not None:
        close_group()
    if out:
        db.session.connection().exec_driver_sql(insert, out)
    return months


def discard(job_id: int) -> None:
    """Empty the job's staging rows (part of the caller's transaction)."""
    db.session.execute(text("DELETE FROM kpi_staged_cells WHERE job_id = :job"), {"job": job_id})
    db.session.execute(text("DELETE FROM kpi_staged_values WHERE job_id = :job"), {"job": job_id})


@dataclass
class Counts:
    matched: int        # values already stored for these keys
    replaced: int       # … of which the file changes


def count_existing(source: str, months: list[date]) -> Counts:
    """How many of the job's values are stored already and how many of those differ."""
    if not months:
        return Counts(0, 0)
    anything = db.session.execute(text("SELECT 1 FROM kpi_values WHERE month IN :months LIMIT 1").bindparams(
        bindparam("months", expanding=True)), {"months": [m.isoformat() if _sqlite() else m for m in months]}).first()
    if anything is None:
        return Counts(0, 0)
    matched, replaced = db.session.execute(text(
        f"SELECT count(*), coalesce(sum(CASE WHEN {_DIFFERS} THEN 1 ELSE 0 END), 0) "
        f"FROM ({source}) s JOIN kpi_values k ON {_KEY_MATCH}")).one()
    return Counts(int(matched), int(replaced))


def _sqlite() -> bool:
    return db.session.connection().dialect.name == "sqlite"


def write_values(source: str, batch_id: int, counts: Counts) -> int:
    """Replace what differs (the old value kept in the batch's changes), add
    what is new. Returns how many were added."""
    stamp = {"batch": batch_id, "now": utcnow()}
    typed = [bindparam("now", type_=UTCDateTime)]
    if counts.replaced:
        db.session.execute(text(
            "INSERT INTO kpi_batch_changes (batch_id, user_id, month, metric_code, action, old_value, old_contacts, "
            "old_batch_id, new_value, new_contacts) "
            f"SELECT :batch, s.user_id, s.month, s.metric_code, 'replaced', k.value, k.contacts, k.batch_id, "
            f"s.value, s.contacts FROM ({source}) s JOIN kpi_values k ON {_KEY_MATCH} WHERE {_DIFFERS}"),
            {"batch": batch_id})
        db.session.execute(text(
            "UPDATE kpi_values SET value = c.new_value, contacts = c.new_contacts, batch_id = :batch, "
            "updated_at = :now FROM kpi_batch_changes c WHERE c.batch_id = :batch "
            "AND c.user_id = kpi_values.user_id AND c.month = kpi_values.month "
            "AND c.metric_code = kpi_values.metric_code").bindparams(*typed), stamp)
    only_new = "" if not counts.matched else \
        f" WHERE NOT EXISTS (SELECT 1 FROM kpi_values k WHERE {_KEY_MATCH})"
    added = db.session.execute(text(
        "INSERT INTO kpi_values (user_id, month, metric_code, value, contacts, batch_id, updated_at) "
        f"SELECT s.user_id, s.month, s.metric_code, s.value, s.contacts, :batch, :now FROM ({source}) s{only_new}")
        .bindparams(*typed), stamp).rowcount
    return added
