# ruff: noqa: S608 — statements here are assembled from constants, int() values and our own table names only
"""Where an import's checked cells wait between reading and commit, so
memory stays bounded however long the file is.

* **SQLite**: each job gets a scratch database file of its own
  (KPI_STAGING_DIR), attached to the connection while in use, without a
  journal: a million cells never pass through the main database's WAL and
  are forgotten by deleting one file. Its cells table is keyed by agent,
  month, metric and exact period, so a duplicate in the file is a row the
  insert skips; a chunk where fewer cells went in than were sent is
  searched for the duplicates.
* **PostgreSQL**: unlogged tables shared by all jobs (rows tagged with the
  job), loaded with COPY; duplicates are found once at the end with one
  GROUP BY.

Files of whole months (the usual case) are committed straight from the
cells. Files of days or weeks are rolled up first: the cells are read back
in key order and each month is formed by `scoring.aggregate_month` (the one
definition of a month) into the staged values table. The commit moves the
values into `kpi_values` with a few set-based statements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import bindparam, text

from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from app.kpi.catalogue import rule_of
from app.kpi.scoring import Observation, aggregate_month

CHUNK = 5000
# A staged cell: its key (agent, metric, period_key — which also says the month), where it came from
# (row, column, whether that row has another error), what it says (value, a bare rate?, contacts).
CELL_COLUMNS = ("user_id", "metric_code", "period", "row_no", "col", "bad", "value", "bare", "contacts")
_KEY_MATCH = "k.user_id = s.user_id AND k.month = s.month AND k.metric_code = s.metric_code"
_DIFFERS = "(abs(k.value - s.value) > 1e-9 OR coalesce(k.contacts, -1) <> coalesce(s.contacts, -1))"
_SQLITE_TABLES = (
    "CREATE TABLE IF NOT EXISTS {schema}.kpi_staged_cells (user_id INTEGER NOT NULL, metric_code TEXT NOT NULL, "
    "period INTEGER NOT NULL, row_no INTEGER NOT NULL, col INTEGER NOT NULL, bad INTEGER NOT NULL, "
    "value REAL NOT NULL, bare INTEGER NOT NULL, contacts INTEGER, "
    "PRIMARY KEY (user_id, metric_code, period)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS {schema}.kpi_staged_values (job_id INTEGER NOT NULL, user_id INTEGER NOT NULL, "
    "month TEXT NOT NULL, metric_code TEXT NOT NULL, value REAL NOT NULL, contacts INTEGER, rows INTEGER NOT NULL, "
    "PRIMARY KEY (user_id, month, metric_code)) WITHOUT ROWID",
)


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


def _sqlite() -> bool:
    return db.session.connection().dialect.name == "sqlite"


def staging_dir() -> Path:
    folder = Path(current_app.config.get("KPI_STAGING_DIR") or Path(current_app.instance_path) / "kpi-staging")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class StageGone(LookupError):
    """The job's staged cells are gone (committed, discarded or expired)."""


class Stage:
    """The staging tables of one job, as SQL names, on the session's connection."""

    def __init__(self, job_id: int, fresh: bool = False):
        self.job_id = int(job_id)
        self.sqlite = _sqlite()
        if self.sqlite:
            self.schema = f"kpi_stage_{self.job_id}"
            self.path = staging_dir() / f"job-{self.job_id}.db"
            if fresh:
                self._detach()
                self.path.unlink(missing_ok=True)
            elif not self.path.exists():
                raise StageGone(self.job_id)
            self._attach()
            self.cells, self.values = f"{self.schema}.kpi_staged_cells", f"{self.schema}.kpi_staged_values"
            self.where = "1 = 1"
        else:
            self.cells, self.values = "kpi_staged_cells", "kpi_staged_values"
            self.where = f"job_id = {self.job_id}"
            if fresh:
                self._delete_rows()
            elif db.session.execute(text(f"SELECT 1 FROM {self.cells} WHERE {self.where} LIMIT 1")).first() is None:
                raise StageGone(self.job_id)

    def ready(self) -> None:
        """Before each use: a commit returns the connection to the pool, which
        detaches the scratch file (app/__init__.py); attach it again."""
        if self.sqlite:
            self._attach()

    # -- SQLite scratch file

    def _attached(self) -> bool:
        names = {row[1] for row in db.session.connection().exec_driver_sql("PRAGMA database_list")}
        return self.schema in names

    def _attach(self) -> None:
        connection = db.session.connection()
        if not self._attached():
            connection.exec_driver_sql(f"ATTACH DATABASE ? AS {self.schema}", (str(self.path),))
            connection.exec_driver_sql(f"PRAGMA {self.schema}.journal_mode = OFF")   # scratch: no journal
            for statement in _SQLITE_TABLES:
                connection.exec_driver_sql(statement.format(schema=self.schema))

    def _detach(self) -> None:
        if self._attached():
            db.session.connection().exec_driver_sql(f"DETACH DATABASE {self.schema}")

    def _delete_rows(self) -> None:
        _delete_rows(self.job_id)

    # -- what the commit reads

    def source_sql(self, rollup: bool, fraction_columns: list[int]) -> str:
        """A SELECT of the job's monthly values: user_id, month, metric_code, value, contacts."""
        if rollup:
            return f"SELECT user_id, month, metric_code, value, contacts FROM {self.values} WHERE {self.where}"
        value = "value"
        if fraction_columns:
            listed = ", ".join(str(int(c)) for c in sorted(fraction_columns))
            value = f"CASE WHEN bare = 1 AND col IN ({listed}) THEN value * 100 ELSE value END"
        # The month from the period key: its first day's ordinal (Python's) is period / 32.
        month = ("date(period / 32 + 1721424.5, 'start of month')" if self.sqlite else
                 "CAST(date_trunc('month', DATE '0001-01-01' + (period / 32 - 1)) AS date)")
        return (f"SELECT user_id, {month} AS month, metric_code, {value} AS value, contacts FROM {self.cells} "
                f"WHERE {self.where}")


def discard(job_id: int) -> None:
    """Forget a job's staged rows. SQLite: the file goes now (a connection
    still holding it attached keeps a nameless copy until it lets go);
    PostgreSQL: the rows go with the caller's transaction."""
    if _sqlite():
        (staging_dir() / f"job-{int(job_id)}.db").unlink(missing_ok=True)
    else:
        _delete_rows(job_id)


def _delete_rows(job_id: int) -> None:
    db.session.execute(text("DELETE FROM kpi_staged_cells WHERE job_id = :job"), {"job": job_id})
    db.session.execute(text("DELETE FROM kpi_staged_values WHERE job_id = :job"), {"job": job_id})


def exists(job_id: int) -> bool:
    """Whether anything of the job is staged (for checks)."""
    if _sqlite():
        return (staging_dir() / f"job-{int(job_id)}.db").exists()
    return db.session.execute(text("SELECT 1 FROM kpi_staged_cells WHERE job_id = :job LIMIT 1"),
                              {"job": job_id}).first() is not None


@dataclass
class Duplicate:
    row: int
    first_row: int
    user_id: int
    metric_code: str
    period: int
    col: int
    bad: bool              # the row already had another error


class Stager:
    """Takes checked cells (tuples in CELL_COLUMNS order) and writes them in
    chunks; duplicates go to `report` as they are found, a chunk at a time."""

    def __init__(self, stage: Stage, report: Callable[[list[Duplicate]], None]):
        self.stage = stage
        self.report = report
        self.cells: list[tuple] = []
        self.sent = 0
        self.kept = 0
        if stage.sqlite:
            marks = ", ".join("?" * len(CELL_COLUMNS))
            self.insert = (f"INSERT INTO {stage.cells} ({', '.join(CELL_COLUMNS)}) VALUES ({marks}) "
                           "ON CONFLICT DO NOTHING")

    def flush(self) -> None:
        """Write the buffered cells (SQLite reports a chunk's duplicates at once)."""
        if not self.cells:
            return
        self.stage.ready()
        connection = db.session.connection()
        self.sent += len(self.cells)
        if self.stage.sqlite:
            kept = connection.exec_driver_sql(self.insert, self.cells).rowcount
            if kept != len(self.cells):
                self.report(self._duplicates_in_chunk())
            self.kept += kept
        else:
            cursor = connection.connection.driver_connection.cursor()
            job_id = self.stage.job_id
            with cursor.copy(f"COPY {self.stage.cells} (job_id, {', '.join(CELL_COLUMNS)}) FROM STDIN") as copy:
                for cell in self.cells:
                    copy.write_row((job_id, *cell))
            self.kept += len(self.cells)
        self.cells = []

    def _duplicates_in_chunk(self) -> list[Duplicate]:
        """The chunk's cells whose key the table holds under another row (SQLite)."""
        keys = list({cell[:3] for cell in self.cells})
        stored = {}
        connection = db.session.connection()
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            rows = connection.exec_driver_sql(
                f"SELECT user_id, metric_code, period, row_no FROM {self.stage.cells} "
                f"WHERE (user_id, metric_code, period) IN (VALUES {', '.join(['(?, ?, ?)'] * len(part))})",
                tuple(value for key in part for value in key))
            for user_id, code, period, row_no in rows:
                stored[(user_id, code, period)] = row_no
        found = []
        for cell in self.cells:
            first_row = stored.get(cell[:3])
            if first_row is not None and first_row != cell[3]:
                found.append(Duplicate(cell[3], first_row, cell[0], cell[1], cell[2], cell[4], bool(cell[5])))
        return found

    def finish(self) -> None:
        """Write what is left; in PostgreSQL, find the duplicates now (one
        GROUP BY; when there are any, one DELETE keeps the first cell of each
        key, as SQLite's insert did) and report them a chunk at a time."""
        self.flush()
        if self.stage.sqlite:
            return
        cells, where = self.stage.cells, self.stage.where
        any_twice = db.session.execute(text(
            f"SELECT 1 FROM {cells} WHERE {where} GROUP BY user_id, metric_code, period "
            "HAVING count(*) > 1 LIMIT 1")).first()
        if any_twice is None:
            return
        window = "WINDOW w AS (PARTITION BY user_id, metric_code, period ORDER BY row_no)"
        found = db.session.connection().exec_driver_sql(
            "SELECT row_no, first_row, user_id, metric_code, period, col, bad FROM ("
            "SELECT row_no, user_id, metric_code, period, col, bad, first_value(row_no) OVER w AS first_row, "
            f"row_number() OVER w AS nth FROM {cells} WHERE {where} {window}) d WHERE nth > 1 ORDER BY row_no",
            execution_options={"stream_results": True, "yield_per": CHUNK})
        for part in found.partitions(CHUNK):
            self.report([Duplicate(row_no, first_row, user_id, code, period, col, bool(bad))
                         for row_no, first_row, user_id, code, period, col, bad in part])
        count = db.session.connection().exec_driver_sql(
            f"DELETE FROM {cells} c USING (SELECT ctid AS at, row_number() OVER w AS nth FROM {cells} "
            f"WHERE {where} {window}) d WHERE c.ctid = d.at AND d.nth > 1").rowcount
        self.kept -= count


def roll_up(stage: Stage, metrics_by_code: dict, fraction_columns: list[int]) -> int:
    """Form each month of the job from its staged cells (read back in key
    order, so one month at a time is in memory) into the staged values.
    Returns how many months."""
    rules = {code: replace(rule_of(metric), min_contacts=0) for code, metric in metrics_by_code.items()}
    fractions = set(fraction_columns)
    stage.ready()
    insert = driver_sql(f"INSERT INTO {stage.values} (job_id, user_id, month, metric_code, value, contacts, rows) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)")
    # One connection reads and writes: a server-side cursor in PostgreSQL, a lazy cursor in SQLite (over a
    # clustered table that the inserts into another table do not disturb).
    cells = db.session.connection().exec_driver_sql(
        f"SELECT user_id, metric_code, period, value, bare, col, contacts FROM {stage.cells} "
        f"WHERE {stage.where} ORDER BY user_id, metric_code, period",
        execution_options={"stream_results": True, "yield_per": CHUNK})
    months = 0
    out: list[tuple] = []
    key = None
    group: list[Observation] = []

    def close_group():
        nonlocal months
        month = aggregate_month(rules[key[2]], group)
        out.append((stage.job_id, key[0], _iso(key[1]), key[2], month.value, month.contacts, month.rows))
        months += 1

    months_of: dict[int, str] = {}                     # period's first day → its month, ISO
    for user_id, code, period, value, bare, col, contacts in cells:
        if bare and col in fractions:
            value *= 100
        day = period // 32
        month = months_of.get(day)
        if month is None:
            month = months_of[day] = date.fromordinal(day).replace(day=1).isoformat()
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


def write_values(source: str, batch_id: int, counts: Counts) -> tuple[int, int]:
    """Replace what differs (the old value kept in the batch's changes), add
    what is new. Returns how many were added and replaced."""
    stamp = {"batch": batch_id, "now": utcnow()}
    typed = [bindparam("now", type_=UTCDateTime)]
    replaced = 0
    if counts.replaced:
        replaced = db.session.execute(text(
            "INSERT INTO kpi_batch_changes (batch_id, user_id, month, metric_code, action, old_value, old_contacts, "
            "old_batch_id, new_value, new_contacts) "
            f"SELECT :batch, s.user_id, s.month, s.metric_code, 'replaced', k.value, k.contacts, k.batch_id, "
            f"s.value, s.contacts FROM ({source}) s JOIN kpi_values k ON {_KEY_MATCH} WHERE {_DIFFERS}"),
            {"batch": batch_id}).rowcount
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
    return added, replaced
