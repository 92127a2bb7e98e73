"""Reading KPI values back: the team table for a month, a person's months,
formatting. Points and the dimension score come from scoring.py under the
current catalogue."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.kpi.catalogue import active_metrics, rule_of
from app.kpi.models import KpiValue, Metric
from app.kpi.scoring import DimensionScore, MetricRule, MonthValue, band_points, dimension_score
from app.web import localized


def metric_name(metric: Metric) -> str:
    return localized(metric.name_zh, metric.name_en)


def format_value(metric: Metric, value: float | None) -> str:
    if value is None:
        return "—"
    if metric.unit == "percent":
        return f"{value:.1f}%"
    if metric.unit == "seconds":
        if value < 60:
            return f"{value:.0f}s" if value == int(value) else f"{value:.1f}s"
        minutes, seconds = divmod(round(value), 60)
        return f"{minutes}:{seconds:02d}"
    return f"{value:g}"


@dataclass
class Cell:
    value: float | None
    contacts: int | None
    points: float | None
    sufficient: bool


@dataclass
class Row:
    person: User
    cells: dict[str, Cell]
    dimension: DimensionScore


def _values(user_ids: list[int], months: list[date] | None = None) -> dict[tuple[int, date, str], KpiValue]:
    out = {}
    for start in range(0, len(user_ids), 2000):
        query = select(KpiValue).where(KpiValue.user_id.in_(user_ids[start:start + 2000]))
        if months:
            query = query.where(KpiValue.month.in_(months))
        for row in db.session.scalars(query):
            out[(row.user_id, row.month, row.metric_code)] = row
    return out


def months_with_data(user_ids: list[int]) -> list[date]:
    if not user_ids:
        return []
    return list(db.session.scalars(select(KpiValue.month).where(KpiValue.user_id.in_(user_ids)).distinct()
                                   .order_by(KpiValue.month.desc())))


def _row(person: User, month: date, metrics: list[Metric], rules: dict[str, MetricRule], values) -> Row:
    cells, months = {}, {}
    for metric in metrics:
        rule = rules[metric.code]
        stored = values.get((person.id, month, metric.code))
        if stored is None:
            cells[metric.code] = Cell(None, None, None, False)
            months[metric.code] = None
            continue
        sufficient = (stored.contacts or 0) >= rule.min_contacts
        month_value = MonthValue(stored.value if sufficient else None, stored.contacts, 1)
        months[metric.code] = month_value
        cells[metric.code] = Cell(stored.value, stored.contacts,
                                  band_points(rule, stored.value) if sufficient else None, sufficient)
    return Row(person, cells, dimension_score(list(rules.values()), months))


def team_table(members: list[User], month: date) -> dict:
    metrics = active_metrics()
    rules = {m.code: rule_of(m) for m in metrics}
    values = _values([m.id for m in members], [month])
    rows = [_row(person, month, metrics, rules, values) for person in members]
    lacking = [(row.person, [m for m in metrics if not row.cells[m.code].sufficient]) for row in rows]
    return {"metrics": metrics, "rows": rows, "lacking": [(p, ms) for p, ms in lacking if ms]}


def team_csv(table: dict) -> str:
    """The team table as CSV (UTF-8 with BOM, for Excel): per metric the
    value and its points, then the KPI score and coverage. Cells that would
    start a spreadsheet formula are neutralised."""
    import csv
    import io

    from app.spreadsheets import neutralise

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["工号 employee_no", "姓名 name"]
    for metric in table["metrics"]:
        header += [f"{metric.name_zh} {metric.code}", f"{metric.name_zh} points"]
    writer.writerow([neutralise(c) for c in header + ["KPI score", "coverage %"]])  # metric names are typed by people
    for row in table["rows"]:
        cells = [row.person.employee_no, row.person.name]
        for metric in table["metrics"]:
            cell = row.cells[metric.code]
            cells += ["" if cell.value is None else round(cell.value, 3),
                      "" if cell.points is None else round(cell.points, 2)]
        score = row.dimension.score
        cells += ["" if score is None else round(score, 2), round(100 * row.dimension.coverage, 1)]
        writer.writerow([neutralise(c) for c in cells])
    return "\ufeff" + buffer.getvalue()


def person_history(person: User, count: int = 12) -> dict:
    metrics = active_metrics()
    rules = {m.code: rule_of(m) for m in metrics}
    months = months_with_data([person.id])[:count]
    values = _values([person.id], months)
    rows = [(month, _row(person, month, metrics, rules, values)) for month in sorted(months)]
    return {"metrics": metrics, "rows": rows}


def chart_data(history: dict) -> dict:
    """For the trend chart: months, the dimension score, and each metric's points."""
    rows = history["rows"]
    series = defaultdict(list)
    for _month, row in rows:
        for metric in history["metrics"]:
            series[metric.code].append(row.cells[metric.code].points)
    return {"labels": [m.strftime("%Y-%m") for m, _ in rows],
            "score": [round(r.dimension.score, 1) if r.dimension.score is not None else None for _, r in rows],
            "metrics": {metric_name(m): series[m.code] for m in history["metrics"]}}
