"""KPI import: map columns, read and check every row, roll days and weeks
up to months, preview, then commit all or nothing; roll a batch back.

Two layouts:

* **long** — one row per agent, period and metric: agent, period, metric,
  value, contacts (optional);
* **wide** — one row per agent and period, one column per metric, and an
  optional contacts column shared by the row's metrics.

A mapping names the file's header for each role (and, for wide files, the
metric of each metric column). `suggest_mapping` proposes one from the
headers in Chinese or English; mappings can be saved under a name.

Rates are stored as percentages. In a rate column, bare numbers are read as
fractions (0.925 → 92.5 %) when every bare number in that column is at most
1; a `%` sign always means a percentage. A header naming a unit — 秒,
分钟/分, 小时 — scales plain numbers in a time column to seconds.

Rows whose agent cell says 汇总 / 合计 / 总计 / 平均 / 均值 (or Total,
Average) are sheet totals, not agents: they are skipped and counted.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import delete, func, select, update

from app.auth.models import Role, User, team_managers
from app.auth.services import record_audit
from app.db_types import utcnow
from app.extensions import db
from app.kpi import parsing
from app.kpi.catalogue import active_metrics, rule_of
from app.kpi.files import Table
from app.kpi.models import BatchChange, ImportBatch, KpiValue, Metric
from app.kpi.scoring import Observation, aggregate_month

MAX_LISTED_ERRORS = 200
TOTAL_ROWS = {"汇总", "合计", "总计", "平均", "均值", "平均值", "total", "totals", "sum", "average", "avg", "mean"}

ROLE_ALIASES = {
    "agent": ["工号", "员工编号", "员工号", "客服工号", "坐席工号", "坐席号", "employee no", "employee number",
              "employee_no", "agent id", "agent", "staff id"],
    "name": ["姓名", "客服姓名", "客服", "员工姓名", "name", "agent name"],
    "period": ["日期", "统计日期", "月份", "统计月份", "周期", "统计周期", "时间", "date", "month", "period", "day"],
    "metric": ["指标", "指标代码", "指标名称", "metric", "kpi", "metric code"],
    "value": ["数值", "值", "指标值", "value", "result"],
    "contacts": ["接待人数", "咨询人数", "会话数", "接待量", "服务人数", "进线量", "评价数", "样本数", "contacts",
                 "sessions", "volume", "count"],
}
METRIC_ALIASES = {
    "csat": ["满意度", "客户满意度", "客户满意比", "满意率", "csat", "customer satisfaction"],
    "fcr": ["首次解决率", "一次解决率", "首解率", "一次性解决率", "fcr", "first contact resolution"],
    "resolution": ["解决率", "问题解决率", "resolution rate", "resolution"],
    "first_response": ["首次响应", "首次响应时长", "首响", "首响时长", "first response", "first response time", "frt"],
    "avg_response": ["平均响应", "平均响应时长", "平响", "average response", "average response time", "art"],
    "aht": ["平均接待时长", "平均处理时长", "平均通话时长", "aht", "average handle time"],
    "complaint_rate": ["投诉率", "投诉转化率", "complaint rate"],
    "repeat_rate": ["重复咨询率", "重复来电率", "重复进线率", "repeat rate", "repeat contact rate"],
    "qa_pass": ["质检合格率", "质检通过率", "qa pass rate", "qa pass"],
}
_UNIT = re.compile(r"[(（\[]\s*(秒|s|sec|seconds|分钟|分|min|minutes|小时|h|hours|%|％)\s*[)）\]]\s*$", re.I)
_SCALE = {"秒": 1, "s": 1, "sec": 1, "seconds": 1, "分钟": 60, "分": 60, "min": 60, "minutes": 60, "小时": 3600,
          "h": 3600, "hours": 3600}


def header_key(header: str) -> tuple[str, int | None]:
    """A header without its unit in brackets, normalised, and the unit's
    scale to seconds if it names a time unit."""
    text = unicodedata.normalize("NFKC", header or "").strip()
    scale = None
    unit = _UNIT.search(text)
    if unit:
        scale = _SCALE.get(unit.group(1).lower())
        text = text[:unit.start()]
    return re.sub(r"\s+", " ", text).strip().lower(), scale


class MappingError(ValueError):
    """A column mapping that does not fit the file; the message says what is missing or wrong."""


@dataclass
class Mapping:
    layout: str                                   # long | wide
    agent: str
    period: str
    metric: str = ""                              # long
    value: str = ""                               # long
    contacts: str = ""
    metrics: dict[str, str] = field(default_factory=dict)   # wide: header → metric code

    def as_json(self) -> dict:
        return {"layout": self.layout, "agent": self.agent, "period": self.period, "metric": self.metric,
                "value": self.value, "contacts": self.contacts, "metrics": dict(self.metrics)}

    @classmethod
    def from_json(cls, data: dict) -> Mapping:
        return cls(layout=data.get("layout", "long"), agent=data.get("agent", ""), period=data.get("period", ""),
                   metric=data.get("metric", ""), value=data.get("value", ""), contacts=data.get("contacts", ""),
                   metrics=dict(data.get("metrics") or {}))

    def check(self, headers: list[str], metric_codes: set[str]) -> None:
        """Every mapped header exists (once) and the layout is complete."""
        present = set(headers)
        duplicated = sorted({h for h in headers if h and headers.count(h) > 1})
        needed = [self.agent, self.period] + ([self.metric, self.value] if self.layout == "long" else []) \
            + ([self.contacts] if self.contacts else []) + list(self.metrics)
        if self.layout not in ("long", "wide"):
            raise MappingError(f"unknown layout {self.layout!r}")
        missing_roles = [role for role, header in (("agent", self.agent), ("period", self.period)) if not header]
        if self.layout == "long":
            missing_roles += [role for role, header in (("metric", self.metric), ("value", self.value)) if not header]
        elif not self.metrics:
            missing_roles.append("metric columns")
        if missing_roles:
            raise MappingError("no column chosen for: " + ", ".join(missing_roles))
        absent = [h for h in needed if h and h not in present]
        if absent:
            raise MappingError("the file has no column " + ", ".join(repr(h) for h in absent))
        clash = [h for h in needed if h in duplicated]
        if clash:
            raise MappingError("the file has more than one column named " + ", ".join(repr(h) for h in clash))
        unknown = sorted(set(self.metrics.values()) - metric_codes)
        if unknown:
            raise MappingError("unknown metric codes: " + ", ".join(unknown))


def suggest_mapping(headers: list[str]) -> tuple[Mapping, list[str]]:
    """A mapping guessed from the headers, and the headers left unmapped."""
    roles = {alias: role for role, aliases in ROLE_ALIASES.items() for alias in aliases}
    metrics = {alias: code for code, aliases in METRIC_ALIASES.items() for alias in aliases}
    found: dict[str, str] = {}
    metric_columns: dict[str, str] = {}
    unmapped = []
    for header in headers:
        key, _ = header_key(header)
        role = roles.get(key)
        if role and role not in found:
            found[role] = header
        elif key in metrics and metrics[key] not in metric_columns.values():
            metric_columns[header] = metrics[key]
        elif header:
            unmapped.append(header)
    layout = "long" if "metric" in found and "value" in found else "wide"
    mapping = Mapping(layout=layout, agent=found.get("agent", ""), period=found.get("period", ""),
                      metric=found.get("metric", "") if layout == "long" else "",
                      value=found.get("value", "") if layout == "long" else "", contacts=found.get("contacts", ""),
                      metrics=metric_columns if layout == "wide" else {})
    if layout == "long":
        unmapped += list(metric_columns)
    return mapping, unmapped


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column or '—'}: {self.message}"


@dataclass
class Preview:
    values: dict[tuple[int, date, str], tuple[float, int | None, int]]   # (user, month, metric) → value, contacts, rows
    errors: list[RowError]
    error_count: int                                # errors found (the first MAX_LISTED_ERRORS are listed)
    error_rows: int                                 # rows with at least one
    warnings: list[RowError]
    rows_read: int
    rows_ok: int
    skipped_totals: int
    agents: dict[int, str]                          # user id → employee number
    months: list[date]
    metrics: list[str]
    samples: list[dict]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and bool(self.values)


class _Collector:
    def __init__(self):
        self.errors: list[RowError] = []
        self.count = 0

    def add(self, row: int, column: str, message: str) -> None:
        self.count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(RowError(row, column, message))


def _metric_lookup(metrics: list[Metric]) -> dict[str, Metric]:
    """Metric cells may hold the code or the Chinese or English name."""
    out = {}
    for metric in metrics:
        for key in (metric.code, metric.name_zh, metric.name_en, *METRIC_ALIASES.get(metric.code, [])):
            out[header_key(key)[0]] = metric
    return out


def plan_import(table: Table, mapping: Mapping, metrics: list[Metric] | None = None,
                fractions: bool = True) -> Preview:
    """Read every row and check it; nothing is written. Raises MappingError
    when the mapping does not fit the file. `fractions=False` reads bare
    numbers in rate columns as percentages always (the API's contract)."""
    metrics = metrics if metrics is not None else active_metrics()
    by_code = {m.code: m for m in metrics}
    mapping.check(table.headers, set(by_code))
    index = {h: i for i, h in enumerate(table.headers)}
    errors, warnings = _Collector(), _Collector()
    people = {u.employee_no.upper(): (u.id, u.employee_no) for u in db.session.scalars(
        select(User).where(User.role == Role.AGENT.value))}
    lookup = _metric_lookup(metrics)
    metric_cells: dict[str, Metric | None] = {}         # a metric cell's text → metric (cached)
    periods: dict = {}                                   # a period cell → (first, last, month) or the error
    # (user, metric, first day, last day) → (row, value, bare?, contacts, column)
    cells: dict[tuple, tuple] = {}
    bare_max: dict[str, float] = defaultdict(float)    # metric column → largest bare number seen
    bare_any: dict[str, bool] = defaultdict(bool)
    rows_read = rows_ok = skipped = error_rows = 0
    samples = []
    agent_at, period_at = index[mapping.agent], index[mapping.period]
    contacts_at = index[mapping.contacts] if mapping.contacts else None
    metric_at = index[mapping.metric] if mapping.layout == "long" else None
    if mapping.layout == "long":
        columns = [(None, mapping.value, index[mapping.value], header_key(mapping.value)[1])]
    else:
        columns = [(code, header, index[header], header_key(header)[1]) for header, code in mapping.metrics.items()]
    width = max(index.values()) + 1

    for number, row in table.rows:
        if len(row) < width:
            row = list(row) + [None] * (width - len(row))
        raw_agent = parsing.clean(row[agent_at])
        if not raw_agent and not any(c not in (None, "") and str(c).strip() for c in row):
            continue                                     # a blank line
        rows_read += 1
        if raw_agent.lower() in TOTAL_ROWS or raw_agent.rstrip("：:").lower() in TOTAL_ROWS:
            skipped += 1
            continue
        row_errors = errors.count
        person = people.get(raw_agent.upper())
        if not raw_agent:
            errors.add(number, mapping.agent, "no employee number")
        elif person is None:
            errors.add(number, mapping.agent, f"no agent has the employee number {raw_agent}")
        raw_period = row[period_at]
        period = periods.get(raw_period) if isinstance(raw_period, str) else None
        if period is None:
            try:
                first, last = parsing.parse_period(raw_period)
                period = (first, last, parsing.month_of(first, last))
            except ValueError as exc:
                period = str(exc)
            if isinstance(raw_period, str) and len(periods) < 10_000:
                periods[raw_period] = period
        if isinstance(period, str):
            errors.add(number, mapping.period, period)
            first = last = month = None
        else:
            first, last, month = period
        contacts = None
        if contacts_at is not None:
            try:
                count = parsing.parse_number(row[contacts_at])
                if count is not None:
                    if count < 0 or count != int(count):
                        raise ValueError(f"contacts must be a whole number ≥ 0, not {count:g}")
                    contacts = int(count)
            except ValueError as exc:
                errors.add(number, mapping.contacts, str(exc))
        for code, header, position, scale in columns:
            if code is None:
                text = row[metric_at]
                metric = metric_cells.get(text, False) if isinstance(text, str) else False
                if metric is False:
                    name = parsing.clean(text)
                    metric = lookup.get(header_key(name)[0])
                    if isinstance(text, str) and len(metric_cells) < 10_000:
                        metric_cells[text] = metric
                if metric is None:
                    name = parsing.clean(text)
                    errors.add(number, mapping.metric, f"unknown metric {name!r}" if name else "no metric")
                    continue
            else:
                metric = by_code[code]
            raw = row[position]
            if raw is None or raw == "" or parsing.is_empty(raw):
                continue
            try:
                value, bare = _read_value(metric, raw, scale)
            except ValueError as exc:
                errors.add(number, header, str(exc))
                continue
            if bare and metric.unit == "percent":
                bare_any[header] = True
                if value > bare_max[header]:
                    bare_max[header] = value
            if person is None or month is None:
                continue
            key = (person[0], metric.code, first, last)
            earlier = cells.get(key)
            if earlier is not None:
                errors.add(number, header, f"{raw_agent} {metric.code} for {first.isoformat()} is already in row "
                                           f"{earlier[0]}")
                continue
            cells[key] = (number, value, bare, contacts, header)
        if errors.count != row_errors:
            error_rows += 1
        else:
            rows_ok += 1
            if len(samples) < 5:
                samples.append({"row": number, "agent": raw_agent,
                                "period": first.isoformat() if first else "",
                                "values": {h: _text(row[p]) for _, h, p, _ in columns}})
    fraction_columns = {h for h in bare_any if bare_max[h] <= 1} if fractions else set()
    rules = {code: replace(rule_of(metric), min_contacts=0) for code, metric in by_code.items()}
    values: dict[tuple[int, date, str], tuple[float, int | None, int]] = {}
    grouped: dict[tuple[int, date, str], list[Observation]] = {}
    for (user_id, code, first, _last), (number, value, bare, contacts, header) in cells.items():
        if bare and header in fraction_columns:
            value *= 100
        metric = by_code[code]
        if metric.unit != "count" and (value < 0 or (metric.unit == "percent" and value > 100)):
            _plausible(metric, value, number, header, warnings)
        key = (user_id, first.replace(day=1), code)
        if key in values:                                # a second row in the month: aggregate
            grouped.setdefault(key, [Observation(values[key][0], values[key][1])]).append(Observation(value, contacts))
        values[key] = (value, contacts, 1)
    cells.clear()
    for key, observations in grouped.items():
        month_value = aggregate_month(rules[key[2]], observations)
        values[key] = (month_value.value, month_value.contacts, month_value.rows)
    user_ids = {key[0] for key in values}
    agents = {pid: no for pid, no in people.values() if pid in user_ids}
    notes = list(table.notes)
    if fraction_columns:
        notes.append("read as fractions (0.925 → 92.5 %): " + ", ".join(sorted(fraction_columns)))
    return Preview(values=values, errors=errors.errors, error_count=errors.count, error_rows=error_rows,
                   warnings=warnings.errors,
                   rows_read=rows_read, rows_ok=rows_ok, skipped_totals=skipped, agents=agents,
                   months=sorted({k[1] for k in values}), metrics=sorted({k[2] for k in values}), samples=samples,
                   notes=notes)


def _text(value) -> str:
    return "" if value is None else str(value)


def _read_value(metric: Metric, raw, scale: int | None) -> tuple[float, bool]:
    """The value in the metric's unit and whether it was a bare number."""
    if metric.unit == "percent":
        value, had_sign = parsing.parse_percent(raw)
        return value, not had_sign
    if metric.unit == "seconds":
        plain = (isinstance(raw, int | float) and not isinstance(raw, bool)) or (
            isinstance(raw, str) and re.fullmatch(r"[\d.,]+", parsing.clean(raw)) is not None)
        seconds = parsing.parse_seconds(raw)
        return (seconds * scale if plain and scale else seconds), False
    value = parsing.parse_number(raw)
    return value, False


def _plausible(metric: Metric, value: float, row: int, column: str, warnings: _Collector) -> None:
    if metric.unit == "percent" and not 0 <= value <= 100:
        warnings.add(row, column, f"a rate of {value:g} % is outside 0–100 %")
    elif metric.unit == "seconds" and value < 0:
        warnings.add(row, column, f"a negative time ({value:g} s)")
    elif metric.unit in ("count", "ratio") and value < 0:
        warnings.add(row, column, f"a negative value ({value:g})")


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ commit and rollback

class ImportRefused(ValueError):
    """An import or rollback that cannot go ahead; nothing was written."""


def teams_touched(user_ids) -> set[int | None]:
    ids = list(set(user_ids))
    found: set[int | None] = set()
    for start in range(0, len(ids), 5000):
        found |= set(db.session.scalars(select(User.team_id).where(User.id.in_(ids[start:start + 5000]))))
    return found


def check_scope(actor: User, preview: Preview) -> None:
    """A manager imports only for agents in the teams they manage."""
    if actor is None or actor.role in (Role.ADMIN, Role.TRAINER):
        return
    managed = set(db.session.scalars(select(team_managers.c.team_id).where(team_managers.c.user_id == actor.id)))
    members = _members(managed)
    outside = sorted(no for pid, no in preview.agents.items() if pid not in members)
    if outside:
        raise ImportRefused("these agents are not in the teams you manage: " + ", ".join(outside[:20])
                            + (" …" if len(outside) > 20 else ""))


def _members(team_ids: set[int]) -> set[int]:
    if not team_ids:
        return set()
    return set(db.session.scalars(select(User.id).where(User.team_id.in_(team_ids))))


@dataclass
class CommitResult:
    batch: ImportBatch | None          # None when nothing changed
    added: int
    replaced: int
    unchanged: int


CHUNK = 2000


def _driver_sql(statement: str) -> str:
    """A constant statement written with ? marks, in the driver's own style."""
    return statement if db.session.connection().dialect.paramstyle == "qmark" else statement.replace("?", "%s")


def _existing(keys) -> dict[tuple, tuple]:
    """Stored values for these (user, month, metric) keys: key → (id, value, contacts, batch id)."""
    users = sorted({k[0] for k in keys})
    months = sorted({k[1] for k in keys})
    wanted = set(keys)
    found = {}
    for start in range(0, len(users), 500):
        rows = db.session.execute(select(KpiValue.user_id, KpiValue.month, KpiValue.metric_code, KpiValue.id,
                                         KpiValue.value, KpiValue.contacts, KpiValue.batch_id).where(
            KpiValue.user_id.in_(users[start:start + 500]), KpiValue.month.in_(months)))
        for user_id, month, code, *rest in rows:
            if (user_id, month, code) in wanted:
                found[(user_id, month, code)] = tuple(rest)
    return found


def commit_import(preview: Preview, actor: User | None, *, source: str, filename: str, digest: str,
                  mapping: Mapping) -> CommitResult:
    """Write the previewed values in one transaction: new ones are added,
    different ones replace the old (kept in the batch's changes), equal ones
    are left alone. Importing the same data again changes nothing and makes
    no batch. Raises ImportRefused (nothing written) when the preview has
    errors or the actor may not import for some of the agents.

    Rows go to the database driver in chunks (executemany), not through
    ORM objects: a million values must fit in memory and in seconds."""
    if preview.error_count:
        raise ImportRefused(f"{preview.error_rows} rows have errors; nothing was imported")
    if not preview.values:
        raise ImportRefused("the file holds no values")
    check_scope(actor, preview)
    existing = _existing(preview.values)
    added = replaced = unchanged = 0
    for key, (value, contacts, _rows) in preview.values.items():
        old = existing.get(key)
        if old is None:
            added += 1
        elif abs(old[1] - value) > 1e-9 or old[2] != contacts:
            replaced += 1
        else:
            unchanged += 1
    if not added and not replaced:
        db.session.rollback()
        return CommitResult(None, 0, 0, unchanged)
    batch = ImportBatch(source=source, filename=filename[:255], file_hash=digest, layout=mapping.layout,
                        mapping=mapping.as_json(), rows_read=preview.rows_read, added=added, replaced=replaced,
                        unchanged=unchanged,
                        team_ids=sorted(t for t in teams_touched(k[0] for k in preview.values) if t is not None),
                        created_by_id=actor.id if actor else None)
    db.session.add(batch)
    db.session.flush()
    now = utcnow().replace(tzinfo=None)          # stored naive UTC, as UTCDateTime does
    connection = db.session.connection()
    insert_value = _driver_sql("INSERT INTO kpi_values (user_id, month, metric_code, value, contacts, batch_id, "
                               "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
    insert_change = _driver_sql("INSERT INTO kpi_batch_changes (batch_id, user_id, month, metric_code, action, "
                                "old_value, old_contacts, old_batch_id, new_value, new_contacts) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    update_value = _driver_sql("UPDATE kpi_values SET value = ?, contacts = ?, batch_id = ?, updated_at = ? "
                               "WHERE id = ?")
    adds, changes, updates = [], [], []

    def flush(final=False):
        if adds and (final or len(adds) >= CHUNK):
            connection.exec_driver_sql(insert_value, adds)
            adds.clear()
        if changes and (final or len(changes) >= CHUNK):
            connection.exec_driver_sql(insert_change, changes)
            connection.exec_driver_sql(update_value, updates)
            changes.clear()
            updates.clear()

    for key, (value, contacts, _rows) in preview.values.items():
        old = existing.get(key)
        if old is None:
            adds.append((key[0], key[1], key[2], value, contacts, batch.id, now))
        elif abs(old[1] - value) > 1e-9 or old[2] != contacts:
            # Only replacements are written down: what a batch added is what still carries its id.
            changes.append((batch.id, key[0], key[1], key[2], "replaced", old[1], old[2], old[3], value, contacts))
            updates.append((value, contacts, batch.id, now, old[0]))
        flush()
    flush(final=True)
    record_audit(actor, "kpi.imported", "kpi_import_batch", batch.id, None,
                 {"file": filename, "hash": digest, "added": added, "replaced": replaced, "unchanged": unchanged})
    db.session.commit()
    return CommitResult(batch, added, replaced, unchanged)


def can_roll_back(actor: User, batch: ImportBatch) -> bool:
    if batch.status != "committed":
        return False
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.MANAGER:
        return False
    managed = set(db.session.scalars(select(team_managers.c.team_id).where(team_managers.c.user_id == actor.id)))
    return bool(batch.team_ids) and set(batch.team_ids) <= managed


def rollback_batch(batch: ImportBatch, actor: User | None) -> int:
    """Undo a batch exactly: values it added are removed, values it replaced
    get their old value, contacts and batch back. Refused when a later batch
    has since changed one of its values (roll that one back first). Returns
    how many values were restored or removed. Commits."""
    if batch.status != "committed":
        raise ImportRefused("this import was already rolled back")
    still_ours = db.session.scalar(select(func.count(KpiValue.id)).where(KpiValue.batch_id == batch.id))
    if still_ours != batch.added + batch.replaced:
        later = sorted(set(db.session.scalars(select(BatchChange.batch_id).join(
            ImportBatch, ImportBatch.id == BatchChange.batch_id).where(
            BatchChange.old_batch_id == batch.id, ImportBatch.status == "committed"))))
        raise ImportRefused("later imports changed some of these values; roll back import "
                            + ", ".join(f"#{b}" for b in later) + " first")
    connection = db.session.connection()
    restore = [(c.old_value, c.old_contacts, c.old_batch_id, c.user_id, c.month, c.metric_code)
               for c in db.session.scalars(select(BatchChange).where(BatchChange.batch_id == batch.id))]
    statement = _driver_sql("UPDATE kpi_values SET value = ?, contacts = ?, batch_id = ? "
                            "WHERE user_id = ? AND month = ? AND metric_code = ?")
    for start in range(0, len(restore), CHUNK):
        connection.exec_driver_sql(statement, restore[start:start + CHUNK])
    db.session.execute(delete(KpiValue).where(KpiValue.batch_id == batch.id))
    db.session.execute(update(ImportBatch).where(ImportBatch.id == batch.id).values(
        status="rolled_back", rolled_back_at=utcnow(), rolled_back_by_id=actor.id if actor else None))
    record_audit(actor, "kpi.rolled_back", "kpi_import_batch", batch.id, None,
                 {"removed": batch.added, "restored": batch.replaced})
    db.session.commit()
    return batch.added + batch.replaced
