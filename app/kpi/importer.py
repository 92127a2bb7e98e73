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

import contextlib
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.auth.models import Role, User, team_managers
from app.auth.services import record_audit
from app.db_types import utcnow
from app.extensions import db
from app.kpi import limits, parsing, staging
from app.kpi.catalogue import active_metrics
from app.kpi.files import Table
from app.kpi.messages import N_, KpiProblem, Msg, msg
from app.kpi.models import ImportBatch, ImportJob, KpiValue, Metric
from app.uploads import UPLOAD_TTL

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


ROLE_NAMES = {"agent": msg(N_("employee number")), "period": msg(N_("date or month")), "metric": msg(N_("metric")),
              "value": msg(N_("value")), "metric columns": msg(N_("metric columns"))}


class MappingError(KpiProblem):
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
            raise MappingError(N_("unknown layout %(layout)s"), layout=repr(self.layout))
        missing_roles = [role for role, header in (("agent", self.agent), ("period", self.period)) if not header]
        if self.layout == "long":
            missing_roles += [role for role, header in (("metric", self.metric), ("value", self.value)) if not header]
        elif not self.metrics:
            missing_roles.append("metric columns")
        if missing_roles:
            raise MappingError(N_("no column chosen for: %(roles)s"), roles=[ROLE_NAMES[r] for r in missing_roles])
        absent = [h for h in needed if h and h not in present]
        if absent:
            raise MappingError(N_("the file has no column %(columns)s"), columns=", ".join(repr(h) for h in absent))
        clash = [h for h in needed if h in duplicated]
        if clash:
            raise MappingError(N_("the file has more than one column named %(columns)s"),
                               columns=", ".join(repr(h) for h in clash))
        twice = sorted({code for code in self.metrics.values() if list(self.metrics.values()).count(code) > 1})
        if twice:
            raise MappingError(N_("more than one column is mapped to the metric %(metrics)s"), metrics=", ".join(twice))
        unknown = sorted(set(self.metrics.values()) - metric_codes)
        if unknown:
            raise MappingError(N_("unknown metric codes: %(codes)s"), codes=", ".join(unknown))


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
    message: Msg

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column or '—'}: {self.message}"


@dataclass
class Preview:
    """What reading a file found. The checked values wait in the staging
    tables under `job_id` until `commit_import` (or `discard_preview`)."""

    job_id: int
    value_count: int                                # monthly values (agent, month, metric)
    rollup: bool                                    # days or weeks rolled up to months
    fraction_columns: list[int]                     # columns of bare rates read as fractions (staging index)
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
    notes: list[Msg] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.value_count > 0

    def month_values(self) -> dict[tuple[int, date, str], tuple[float, int | None]]:
        """The staged monthly values, (user, month, metric) → (value, contacts): for checks on small files."""
        stage = staging.Stage(self.job_id)
        rows = db.session.execute(text(stage.source_sql(self.rollup, self.fraction_columns)))
        return {(user_id, month if isinstance(month, date) else date.fromisoformat(month), code): (value, contacts)
                for user_id, month, code, value, contacts in rows}

    def as_json(self) -> dict:
        return {"job_id": self.job_id, "value_count": self.value_count, "rollup": self.rollup,
                "fraction_columns": self.fraction_columns,
                "errors": [[e.row, e.column, e.message.as_json()] for e in self.errors],
                "error_count": self.error_count, "error_rows": self.error_rows,
                "warnings": [[w.row, w.column, w.message.as_json()] for w in self.warnings],
                "rows_read": self.rows_read, "rows_ok": self.rows_ok, "skipped_totals": self.skipped_totals,
                "agents": [[pid, no] for pid, no in self.agents.items()],
                "months": [m.isoformat() for m in self.months], "metrics": self.metrics, "samples": self.samples,
                "notes": [n.as_json() for n in self.notes]}

    @classmethod
    def from_json(cls, data: dict) -> Preview:
        return cls(job_id=data["job_id"], value_count=data["value_count"], rollup=data["rollup"],
                   fraction_columns=list(data["fraction_columns"]),
                   errors=[RowError(r, c, Msg.from_json(m)) for r, c, m in data["errors"]],
                   error_count=data["error_count"], error_rows=data["error_rows"],
                   warnings=[RowError(r, c, Msg.from_json(m)) for r, c, m in data["warnings"]],
                   rows_read=data["rows_read"], rows_ok=data["rows_ok"], skipped_totals=data["skipped_totals"],
                   agents={pid: no for pid, no in data["agents"]},
                   months=[date.fromisoformat(m) for m in data["months"]], metrics=list(data["metrics"]),
                   samples=list(data["samples"]), notes=[Msg.from_json(n) for n in data["notes"]])


class _Collector:
    def __init__(self):
        self.errors: list[RowError] = []
        self.count = 0

    def add(self, row: int, column: str, message: Msg) -> None:
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


class _Cache(dict):
    """A memo of cell text → what it was read as; stops growing at `limit`
    entries (then cells are simply read again), so memory stays bounded."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def keep(self, key, value):
        if len(self) < self.limit:
            with contextlib.suppress(TypeError):    # an unhashable cell is not memoised
                self[key] = value
        return value


_TOTAL, _NO_AGENT, _UNKNOWN = "total", "no agent", "unknown"


def plan_import(table: Table, mapping: Mapping, metrics: list[Metric] | None = None,
                fractions: bool = True, *, job: ImportJob | None = None, source: str = "cli",
                progress: Callable[[int, float | None], None] | None = None) -> Preview:
    """Read every row and check it. The checked cells go to the staging
    tables under the job (made here when not given; committed in chunks);
    nothing else is written. Raises MappingError when the mapping does not
    fit the file. `fractions=False` reads bare numbers in rate columns as
    percentages always (the API's contract). `progress(rows, fraction of
    the file)` is called after each chunk."""
    metrics = metrics if metrics is not None else active_metrics()
    by_code = {m.code: m for m in metrics}
    mapping.check(table.headers, set(by_code))
    if job is None:
        drop_old_jobs()
        job = ImportJob(source=source, mapping=mapping.as_json())
        db.session.add(job)
        db.session.commit()                  # SQLite: no write lock held on the main database while reading
    job_id = job.id
    try:
        return _read(table, mapping, metrics, by_code, fractions, job, progress)
    except BaseException:
        db.session.rollback()
        staging.discard(job_id)
        db.session.commit()
        raise


def _read(table: Table, mapping: Mapping, metrics: list[Metric], by_code: dict[str, Metric], fractions: bool,
          job: ImportJob, progress) -> Preview:
    job_id = job.id
    index = {h: i for i, h in enumerate(table.headers)}
    errors, warnings = _Collector(), _Collector()
    people = {u.employee_no.upper(): (u.id, u.employee_no) for u in db.session.execute(
        select(User.id, User.employee_no).where(User.role == Role.AGENT.value))}
    lookup = _metric_lookup(metrics)
    today = datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()   # the teams' calendar
    agent_cells, period_cells, contact_cells = _Cache(200_000), _Cache(20_000), _Cache(20_000)
    metric_cells = _Cache(10_000)
    stage = staging.Stage(job_id, fresh=True)
    bare_max: dict[int, float] = {}                      # staging column → largest bare rate seen
    rows_read = rows_ok = skipped = error_rows = 0
    rollup = False
    samples: list[dict] = []
    agents: set[int] = set()
    months: set[date] = set()
    codes: set[str] = set()
    agent_at, period_at = index[mapping.agent], index[mapping.period]
    contacts_at = index[mapping.contacts] if mapping.contacts else None
    metric_at = index[mapping.metric] if mapping.layout == "long" else None
    if mapping.layout == "long":
        columns = [(None, mapping.value, index[mapping.value], header_key(mapping.value)[1], {})]
    else:
        columns = [((code, by_code[code].unit), header, index[header], header_key(header)[1], {})
                   for header, code in mapping.metrics.items()]
    # Each column: (code and unit, or None when a cell names the metric; header; position; the seconds a
    # plain number in it stands for; per metric, the memo of cell text → (value, bare?) or the error).
    width = max(index.values()) + 1
    headers = [header for _, header, _, _, _ in columns]

    def report(duplicates: list[staging.Duplicate]) -> None:
        nonlocal rows_ok, error_rows
        if not duplicates:
            return
        numbers = {pid: no for pid, no in people.values()}
        newly_bad = set()
        for dup in duplicates:
            errors.add(dup.row, headers[dup.col], msg(
                N_("%(agent)s %(metric)s for %(day)s is already in row %(first)d"),
                agent=numbers.get(dup.user_id, "?"), metric=dup.metric_code,
                day=staging.period_first(dup.period).isoformat(), first=dup.first_row))
            if not dup.bad:
                newly_bad.add(dup.row)
        rows_ok -= len(newly_bad)
        error_rows += len(newly_bad)

    stager = staging.Stager(stage, report)
    staged_cells = stager.cells
    chunk = staging.CHUNK
    next_progress = chunk
    for number, row in table.rows:
        if len(row) < width:
            row = list(row) + [None] * (width - len(row))
        raw_agent = row[agent_at]
        agent = agent_cells.get(raw_agent) if raw_agent is not None else None
        if agent is None:
            agent = agent_cells.keep(raw_agent, _agent_of(raw_agent, people))
        if agent[0] is _NO_AGENT and not any(c not in (None, "") and str(c).strip() for c in row):
            continue                                     # a blank line
        rows_read += 1
        if agent[0] is _TOTAL:
            skipped += 1
            continue
        row_errors = errors.count
        person = agent[2]
        if person is None:
            errors.add(number, mapping.agent, msg(N_("no employee number")) if agent[0] is _NO_AGENT else
                       msg(N_("no agent has the employee number %(number)s"), number=agent[1]))
        raw_period = row[period_at]
        period = period_cells.get(raw_period) if raw_period is not None else None
        if period is None:
            period = period_cells.keep(raw_period, _period_of(raw_period, today))
        if period.__class__ is Msg:
            errors.add(number, mapping.period, period)
        contacts = None
        if contacts_at is not None:
            raw = row[contacts_at]
            if raw is not None:
                contacts = contact_cells.get(raw, _MISSING) if raw.__class__ is not bool else _contacts_of(raw)
                if contacts is _MISSING:
                    contacts = contact_cells.keep(raw, _contacts_of(raw))
                if contacts.__class__ is Msg:
                    errors.add(number, mapping.contacts, contacts)
                    contacts = None
        stageable = person is not None and period.__class__ is not Msg
        if stageable:
            _first, key, _month, whole, month_day = period
            if not whole:
                rollup = True
            user_id = person[0]
            row_bad = 0 if errors.count == row_errors else 1
            first_staged = len(staged_cells)
        for column_no, (metric, header, position, scale, memos) in enumerate(columns):
            if metric is None:                           # long layout: the metric is in a cell
                text_cell = row[metric_at]
                metric = metric_cells.get(text_cell, _MISSING) if text_cell is not None else _MISSING
                if metric is _MISSING:
                    name = parsing.clean(text_cell)
                    found = lookup.get(header_key(name)[0]) if name else None
                    metric = metric_cells.keep(text_cell, (found.code, found.unit) if found else None)
                if metric is None:
                    name = parsing.clean(text_cell)
                    errors.add(number, mapping.metric, msg(N_("unknown metric %(name)s"), name=repr(name))
                               if name else msg(N_("no metric")))
                    continue
            raw = row[position]
            if raw is None or raw == "":
                continue
            code, unit = metric
            memo = memos.get(code)
            if memo is None:
                memo = memos[code] = _Cache(20_000)
            read = memo.get(raw) if raw.__class__ is not bool else None      # True == 1: never memoised
            if read is None:
                read = memo.keep(raw, _read_cell(unit, raw, scale)) if raw.__class__ is not bool else \
                    _read_cell(unit, raw, scale)
            if read is _EMPTY_CELL:
                continue
            if read.__class__ is Msg:
                errors.add(number, header, read)
                continue
            value, bare = read
            if bare and value > bare_max.get(column_no, -1e300):
                bare_max[column_no] = value
            if stageable:
                staged_cells.append((user_id, code, key, number, column_no, row_bad, value, 1 if bare else 0,
                                     contacts))
                codes.add(code)
                if unit in limits.IMPLAUSIBLE_ABOVE:     # possible, but the file's maker should look: a warning
                    doubt = limits.implausible(unit, value)
                    if doubt is not None:
                        warnings.add(number, header, doubt)
        bad = errors.count != row_errors
        if stageable and len(staged_cells) > first_staged:
            if bad and not row_bad:                      # a later cell of the row failed: mark the staged ones
                staged_cells[first_staged:] = [cell[:5] + (1,) + cell[6:] for cell in staged_cells[first_staged:]]
            agents.add(user_id)
            months.add(month_day)
        if bad:
            error_rows += 1
        else:
            rows_ok += 1
            if len(samples) < 5:
                samples.append({"row": number, "agent": agent[1], "period": period[0],
                                "values": {h: _text(row[p]) for _, h, p, _, _ in columns}})
        if len(staged_cells) >= chunk:
            stager.flush()
            staged_cells = stager.cells
        if progress is not None and rows_read >= next_progress:
            next_progress = rows_read + chunk
            progress(rows_read, table.progress())
    stager.finish()
    fraction_columns = sorted(c for c, top in bare_max.items() if top <= 1) if fractions else []
    value_count = staging.roll_up(stage, by_code, fraction_columns) if rollup else stager.kept
    notes = list(table.notes)
    if fraction_columns:
        notes.append(msg(N_("read as fractions (0.925 → 92.5 %%): %(columns)s"),
                         columns=", ".join(headers[c] for c in fraction_columns)))
    errors.errors.sort(key=lambda e: e.row)
    agent_numbers = {pid: no for pid, no in people.values() if pid in agents}
    preview = Preview(job_id=job_id, value_count=value_count, rollup=rollup, fraction_columns=fraction_columns,
                      errors=errors.errors, error_count=errors.count, error_rows=error_rows,
                      warnings=warnings.errors, rows_read=rows_read, rows_ok=rows_ok, skipped_totals=skipped,
                      agents=agent_numbers, months=sorted(months), metrics=sorted(codes), samples=samples,
                      notes=notes)
    job.summary, job.rollup, job.rows_read, job.progress = preview.as_json(), rollup, rows_read, 1.0
    job.status, job.updated_at = "checked", utcnow()
    db.session.commit()
    return preview


_MISSING = object()
_EMPTY_CELL = object()


def _agent_of(raw, people: dict) -> tuple:
    """(kind or None, the cleaned text, (user id, employee number) or None)."""
    cleaned = parsing.clean(raw)
    if not cleaned:
        return _NO_AGENT, "", None
    if cleaned.lower() in TOTAL_ROWS or cleaned.rstrip("：:").lower() in TOTAL_ROWS:
        return _TOTAL, cleaned, None
    person = people.get(cleaned.upper())
    return (None if person else _UNKNOWN), cleaned, person


def _period_of(raw, today: date) -> tuple | Msg:
    """(first day as ISO text, the period's staging key, month as ISO text, whole month?, month) or the error."""
    try:
        first, last = parsing.parse_period(raw)
        month = parsing.month_of(first, last)
    except ValueError as exc:
        return _problem(exc)
    if first > today:
        return msg(N_("%(day)s is in the future"), day=first.isoformat())
    whole = first.day == 1 and last == parsing.month_end(first)
    return first.isoformat(), staging.period_key(first, last), month.isoformat(), whole, month


def _contacts_of(raw) -> int | None | Msg:
    try:
        count = parsing.parse_number(raw)
    except ValueError as exc:
        return _problem(exc)
    if count is None:
        return None
    problem = limits.contacts_problem(count, _shown(raw))
    return problem if problem is not None else int(count)


def _read_cell(unit: str, raw, scale: int | None):
    """(value, bare?) in the unit, _EMPTY_CELL, or the error's message
    (also for a value outside the unit's range)."""
    if parsing.is_empty(raw):
        return _EMPTY_CELL
    try:
        value, bare = _read_value(unit, raw, scale)
    except ValueError as exc:
        return _problem(exc)
    if value is None:
        return _EMPTY_CELL
    problem = limits.value_problem(unit, value)
    return problem if problem is not None else (value, bare)


def _text(value) -> str:
    return "" if value is None else str(value)


def _shown(value) -> str:
    """A cell as text for a message, cut short."""
    text = parsing.clean(value) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 24 else text[:20] + "…"


def _read_value(unit: str, raw, scale: int | None) -> tuple[float, bool]:
    """The value in the unit and whether it was a bare rate (maybe a fraction)."""
    if unit == "percent":
        value, had_sign = parsing.parse_percent(raw)
        return value, not had_sign
    if unit == "seconds":
        plain = (isinstance(raw, int | float) and not isinstance(raw, bool)) or (
            isinstance(raw, str) and re.fullmatch(r"[\d.,]+", parsing.clean(raw)) is not None)
        seconds = parsing.parse_seconds(raw)
        return (seconds * scale if plain and scale and seconds is not None else seconds), False
    value = parsing.parse_number(raw)
    return value, False


def _problem(exc: ValueError) -> Msg:
    return exc.msg if isinstance(exc, KpiProblem) else Msg(str(exc))


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ commit and rollback

class ImportRefused(KpiProblem):
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
        raise ImportRefused(N_("these agents are not in the teams you manage: %(agents)s"),
                            agents=", ".join(outside[:20]) + (" …" if len(outside) > 20 else ""))


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


def commit_import(preview: Preview, actor: User | None, *, source: str, filename: str, digest: str,
                  mapping: Mapping) -> CommitResult:
    """Move the previewed values from the staging tables into kpi_values in
    one transaction, in turn with other commits and rollbacks: new ones are
    added, different ones replace the old (kept in the batch's changes),
    equal ones are left alone. Importing the same data again changes
    nothing and makes no batch. Raises ImportRefused
    (nothing written) when the preview has errors or the actor may not
    import for some of the agents. The staging rows are emptied with it."""
    if preview.error_count:
        raise ImportRefused(N_("%(n)d rows have errors; nothing was imported"), n=preview.error_rows)
    if not preview.value_count:
        raise ImportRefused(N_("the file holds no values"))
    check_scope(actor, preview)
    try:
        stage = staging.Stage(preview.job_id)
    except staging.StageGone:
        raise ImportRefused(N_("this preview is no longer available; preview the file again")) from None
    values = stage.source_sql(preview.rollup, preview.fraction_columns)
    take_write_turn()                        # what is replaced is read and written in one turn, no rollback between
    counts = staging.count_existing(values, preview.months)
    added, replaced = preview.value_count - counts.matched, counts.replaced
    unchanged = counts.matched - counts.replaced
    job = db.session.get(ImportJob, preview.job_id)
    batch = None
    if added or replaced:
        batch = ImportBatch(source=source, filename=filename[:255], file_hash=digest, layout=mapping.layout,
                            mapping=mapping.as_json(), rows_read=preview.rows_read, added=added, replaced=replaced,
                            unchanged=unchanged,
                            team_ids=sorted(t for t in teams_touched(preview.agents) if t is not None),
                            created_by_id=actor.id if actor else None)
        db.session.add(batch)
        db.session.flush()
        try:
            written = staging.write_values(values, batch.id, counts)
        except IntegrityError:
            written = (-1, -1)
        if written != (added, replaced):          # another import wrote some of these keys meanwhile
            db.session.rollback()
            raise ImportRefused(N_("another import changed these values at the same time; nothing was imported "
                                   "— preview the file again"))
        record_audit(actor, "kpi.imported", "kpi_import_batch", batch.id, None,
                     {"file": filename, "hash": digest, "added": added, "replaced": replaced,
                      "unchanged": unchanged})
    if job is not None:
        job.status, job.batch_id, job.updated_at = "committed", batch.id if batch else None, utcnow()
        job.summary = {**job.summary, "result": {"added": added, "replaced": replaced, "unchanged": unchanged}}
    db.session.commit()
    staging.discard(preview.job_id)
    db.session.commit()
    return CommitResult(batch, added, replaced, unchanged)


def drop_old_jobs() -> None:
    """Jobs (and what they staged) older than the uploads they came from. Caller commits."""
    old = list(db.session.scalars(select(ImportJob.id).where(ImportJob.created_at < utcnow() - UPLOAD_TTL)))
    for job_id in old:
        staging.discard(job_id)
    if old:
        db.session.execute(delete(ImportJob).where(ImportJob.id.in_(old)))


def discard_preview(preview: Preview) -> None:
    """Forget a preview that will not be committed (a dry run, a file with errors). Commits."""
    staging.discard(preview.job_id)
    db.session.execute(delete(ImportJob).where(ImportJob.id == preview.job_id))
    db.session.commit()


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
    get their old value, contacts and batch back. Refused, with nothing
    written, when a later import owns one of its values now (the message
    names it: roll that one back first). Runs in turn with commits and
    other rollbacks; every write also requires that the value still belongs
    to the batch. Returns how many values were restored or removed. Commits."""
    take_write_turn()
    status = db.session.scalar(select(ImportBatch.status).where(ImportBatch.id == batch.id))
    if status != "committed":
        db.session.rollback()
        raise ImportRefused(N_("this import was already rolled back"))
    later = later_owners(batch.id)
    if later:
        db.session.rollback()
        raise ImportRefused(N_("later imports changed some of these values; roll back import %(batches)s first"),
                            batches=", ".join(f"#{b}" for b in later))
    restored = db.session.execute(text(
        "UPDATE kpi_values SET value = c.old_value, contacts = c.old_contacts, batch_id = c.old_batch_id "
        "FROM kpi_batch_changes c WHERE c.batch_id = :batch AND c.action = 'replaced' "
        "AND c.user_id = kpi_values.user_id AND c.month = kpi_values.month "
        "AND c.metric_code = kpi_values.metric_code AND kpi_values.batch_id = :batch"), {"batch": batch.id}).rowcount
    removed = db.session.execute(delete(KpiValue).where(KpiValue.batch_id == batch.id)).rowcount
    marked = db.session.execute(update(ImportBatch).where(
        ImportBatch.id == batch.id, ImportBatch.status == "committed").values(
        status="rolled_back", rolled_back_at=utcnow(), rolled_back_by_id=actor.id if actor else None)).rowcount
    if marked != 1:                               # only without the turn taken could this happen; never half-done
        db.session.rollback()
        raise ImportRefused(N_("this import was already rolled back"))
    record_audit(actor, "kpi.rolled_back", "kpi_import_batch", batch.id, None,
                 {"removed": removed, "restored": restored})
    db.session.commit()
    return removed + restored


def later_owners(batch_id: int) -> list[int]:
    """The imports that now own a value the batch wrote: the ones to roll
    back first. The batch's keys are those of its own changes (what it
    replaced) and of later changes that replaced its values (what it added
    and was then replaced: an added value leaves no change row of its own)."""
    rows = db.session.execute(text(
        "SELECT DISTINCT k.batch_id FROM kpi_batch_changes c JOIN kpi_values k ON k.user_id = c.user_id "
        "AND k.month = c.month AND k.metric_code = c.metric_code "
        "WHERE (c.batch_id = :batch OR c.old_batch_id = :batch) AND k.batch_id <> :batch"), {"batch": batch_id})
    return sorted(owner for (owner,) in rows)


# Commits and rollbacks of imports take turns (a transaction-scoped advisory lock on PostgreSQL; the
# write lock from BEGIN IMMEDIATE on SQLite), so each reads the values as the one before left them.
_WRITE_TURN_KEY = 0x6B70_6901


def take_write_turn() -> None:
    """Wait for the other KPI imports and rollbacks being written to end;
    the turn is held until the caller's transaction ends. Raises
    ImportRefused (after rolling back) when SQLite's wait runs out."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITE_TURN_KEY})")
        return
    if connection.connection.driver_connection.in_transaction:
        return                 # pysqlite begins at the first write: this transaction holds the write lock already
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as busy:
        if "locked" not in str(busy.orig):
            raise
        db.session.rollback()
        raise ImportRefused(N_("another import or rollback is being written right now; nothing was changed "
                               "— try again in a moment")) from None
