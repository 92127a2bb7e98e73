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

from sqlalchemy import select, tuple_, update

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
    pass


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
    # (user, metric, first day, last day) → (row, raw value, bare?, contacts, column, scale)
    cells: dict[tuple, tuple] = {}
    seen_rows: dict[tuple, int] = {}
    bare_max: dict[str, float] = defaultdict(float)    # metric column → largest bare number seen
    bare_any: dict[str, bool] = defaultdict(bool)
    rows_read = rows_ok = skipped = error_rows = 0
    samples = []

    def cell(cells_row, header):
        position = index[header]
        return cells_row[position] if position < len(cells_row) else None

    if mapping.layout == "long":
        columns = [(None, mapping.value)]
    else:
        columns = [(code, header) for header, code in mapping.metrics.items()]

    for number, row in table.rows:
        if not any(c not in (None, "") and str(c).strip() for c in row):
            continue
        rows_read += 1
        raw_agent = parsing.clean(cell(row, mapping.agent))
        if raw_agent.lower() in TOTAL_ROWS or raw_agent.rstrip("：:").lower() in TOTAL_ROWS:
            skipped += 1
            continue
        row_errors = errors.count
        person = people.get(raw_agent.upper())
        if not raw_agent:
            errors.add(number, mapping.agent, "no employee number")
        elif person is None:
            errors.add(number, mapping.agent, f"no agent has the employee number {raw_agent}")
        try:
            first, last = parsing.parse_period(cell(row, mapping.period))
            month = parsing.month_of(first, last)
        except ValueError as exc:
            errors.add(number, mapping.period, str(exc))
            first = last = month = None
        contacts = None
        if mapping.contacts:
            try:
                count = parsing.parse_number(cell(row, mapping.contacts))
                if count is not None:
                    if count < 0 or count != int(count):
                        raise ValueError(f"contacts must be a whole number ≥ 0, not {count:g}")
                    contacts = int(count)
            except ValueError as exc:
                errors.add(number, mapping.contacts, str(exc))
        for code, header in columns:
            metric = by_code.get(code) if code else None
            if code is None:
                name = parsing.clean(cell(row, mapping.metric))
                metric = lookup.get(header_key(name)[0])
                if metric is None:
                    errors.add(number, mapping.metric, f"unknown metric {name!r}" if name else "no metric")
                    continue
            raw = cell(row, header)
            if parsing.is_empty(raw):
                continue
            try:
                value, bare = _read_value(metric, raw, header_key(header)[1])
            except ValueError as exc:
                errors.add(number, header, str(exc))
                continue
            if bare and metric.unit == "percent":
                bare_any[header] = True
                bare_max[header] = max(bare_max[header], value)
            if person is None or month is None:
                continue
            key = (person[0], metric.code, first, last)
            if key in seen_rows:
                errors.add(number, header, f"{raw_agent} {metric.code} for {first.isoformat()} is already in row "
                                           f"{seen_rows[key]}")
                continue
            seen_rows[key] = number
            cells[key] = (number, value, bare, contacts, header, month)
        if errors.count != row_errors:
            error_rows += 1
        else:
            rows_ok += 1
            if len(samples) < 5:
                samples.append({"row": number, "agent": raw_agent,
                                "period": first.isoformat() if first else "",
                                "values": {h: _text(cell(row, h)) for _, h in columns}})
    fraction_columns = {h for h in bare_any if bare_max[h] <= 1} if fractions else set()
    months: dict[tuple[int, date, str], list[Observation]] = defaultdict(list)
    for (user_id, code, _first, _last), (number, value, bare, contacts, header, month) in cells.items():
        metric = by_code[code]
        if bare and header in fraction_columns:
            value *= 100
        _plausible(metric, value, number, header, warnings)
        months[(user_id, month, code)].append(Observation(value, contacts))
    values = {}
    for key, observations in months.items():
        rule = replace(rule_of(by_code[key[2]]), min_contacts=0)
        month_value = aggregate_month(rule, observations)
        values[key] = (month_value.value, month_value.contacts, month_value.rows)
    agents = {pid: no for pid, no in people.values() if any(k[0] == pid for k in values)}
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
    pass


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
    outside = sorted(no for pid, no in preview.agents.items() if pid not in _members(managed))
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


def commit_import(preview: Preview, actor: User | None, *, source: str, filename: str, digest: str,
                  mapping: Mapping) -> CommitResult:
    """Write the previewed values in one transaction: new ones are added,
    different ones replace the old (kept in the batch's changes), equal ones
    are left alone. Importing the same data again changes nothing and makes
    no batch. Raises ImportRefused (nothing written) when the preview has
    errors or the actor may not import for some of the agents."""
    if preview.error_count:
        raise ImportRefused(f"{preview.error_rows} rows have errors; nothing was imported")
    if not preview.values:
        raise ImportRefused("the file holds no values")
    check_scope(actor, preview)
    keys = list(preview.values)
    existing: dict[tuple, KpiValue] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        for row in db.session.scalars(select(KpiValue).where(
                tuple_(KpiValue.user_id, KpiValue.month, KpiValue.metric_code).in_(chunk))):
            existing[(row.user_id, row.month, row.metric_code)] = row
    added, replaced, unchanged = [], [], 0
    for key, (value, contacts, _rows) in preview.values.items():
        old = existing.get(key)
        if old is None:
            added.append((key, value, contacts))
        elif abs(old.value - value) > 1e-9 or old.contacts != contacts:
            replaced.append((key, value, contacts, old))
        else:
            unchanged += 1
    if not added and not replaced:
        db.session.rollback()
        return CommitResult(None, 0, 0, unchanged)
    batch = ImportBatch(source=source, filename=filename[:255], file_hash=digest, layout=mapping.layout,
                        mapping=mapping.as_json(), rows_read=preview.rows_read, added=len(added),
                        replaced=len(replaced), unchanged=unchanged,
                        team_ids=sorted(t for t in teams_touched(k[0] for k in preview.values) if t is not None),
                        created_by_id=actor.id if actor else None)
    db.session.add(batch)
    db.session.flush()
    now = utcnow()
    changes = [dict(batch_id=batch.id, user_id=k[0], month=k[1], metric_code=k[2], action="added", old_value=None,
                    old_contacts=None, old_batch_id=None, new_value=v, new_contacts=c) for k, v, c in added]
    changes += [dict(batch_id=batch.id, user_id=k[0], month=k[1], metric_code=k[2], action="replaced",
                     old_value=old.value, old_contacts=old.contacts, old_batch_id=old.batch_id, new_value=v,
                     new_contacts=c) for k, v, c, old in replaced]
    for start in range(0, len(changes), CHUNK):
        db.session.execute(BatchChange.__table__.insert(), changes[start:start + CHUNK])
    rows = [dict(user_id=k[0], month=k[1], metric_code=k[2], value=v, contacts=c, batch_id=batch.id, updated_at=now)
            for k, v, c in added]
    for start in range(0, len(rows), CHUNK):
        db.session.execute(KpiValue.__table__.insert(), rows[start:start + CHUNK])
    for _key, value, contacts, old in replaced:
        db.session.execute(update(KpiValue).where(KpiValue.id == old.id).values(
            value=value, contacts=contacts, batch_id=batch.id, updated_at=now))
    record_audit(actor, "kpi.imported", "kpi_import_batch", batch.id, None,
                 {"file": filename, "hash": digest, "added": len(added), "replaced": len(replaced),
                  "unchanged": unchanged})
    db.session.commit()
    return CommitResult(batch, len(added), len(replaced), unchanged)


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
    changes = list(db.session.scalars(select(BatchChange).where(BatchChange.batch_id == batch.id)))
    current = {}
    keys = [(c.user_id, c.month, c.metric_code) for c in changes]
    for start in range(0, len(keys), CHUNK):
        for row in db.session.scalars(select(KpiValue).where(
                tuple_(KpiValue.user_id, KpiValue.month, KpiValue.metric_code).in_(keys[start:start + CHUNK]))):
            current[(row.user_id, row.month, row.metric_code)] = row
    later = sorted({row.batch_id for row in current.values() if row.batch_id != batch.id and row.batch_id})
    if later:
        raise ImportRefused("later imports changed some of these values; roll back import "
                            + ", ".join(f"#{b}" for b in later) + " first")
    for change in changes:
        row = current.get((change.user_id, change.month, change.metric_code))
        if row is None:
            continue
        if change.action == "added":
            db.session.delete(row)
        else:
            row.value, row.contacts, row.batch_id = change.old_value, change.old_contacts, change.old_batch_id
    db.session.execute(update(ImportBatch).where(ImportBatch.id == batch.id).values(
        status="rolled_back", rolled_back_at=utcnow(), rolled_back_by_id=actor.id if actor else None))
    record_audit(actor, "kpi.rolled_back", "kpi_import_batch", batch.id, None, {"values": len(changes)})
    db.session.commit()
    return len(changes)
