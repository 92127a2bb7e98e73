"""The metric catalogue: shipped defaults, rules for scoring, versions.

Defaults follow common Chinese service schemes (see docs in DESIGN §7):
weights add up to 100 inside the KPI dimension; rates are percentages
(0–100), times are seconds. Admins change them in the browser; every change
appends a catalogue version.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import User
from app.auth.services import record_audit
from app.extensions import db
from app.kpi.models import CatalogueVersion, Metric
from app.kpi.scoring import Aggregation, Band, Direction, MetricRule


def _bands(*pairs):
    return [{"threshold": t, "points": p} for t, p in pairs]


DEFAULT_METRICS = [
    dict(code="csat", name_zh="客户满意度", name_en="Customer satisfaction (CSAT)", unit="percent", direction="higher",
         min_contacts=30, weight=25, bands=_bands((90, 100), (85, 90), (80, 80), (70, 60)),
         formula_zh="（非常满意 + 满意）÷ 全部评价数；评价少于 30 条的月份不计分。",
         formula_en="(very satisfied + satisfied) ÷ all ratings; months with fewer than 30 ratings do not count."),
    dict(code="fcr", name_zh="首次解决率", name_en="First-contact resolution", unit="percent", direction="higher",
         min_contacts=30, weight=15, bands=_bands((90, 100), (85, 0)), interpolate=True,
         formula_zh="首次接触即解决的会话 ÷ 全部会话；90% 以上满分，85%–90% 线性计分，85% 以下不得分。",
         formula_en="Contacts resolved at the first contact ÷ all contacts; full points above 90 %, linear "
                    "between 85 % and 90 %, none below 85 %."),
    dict(code="resolution", name_zh="问题解决率", name_en="Resolution rate", unit="percent", direction="higher",
         min_contacts=30, weight=10, bands=_bands((95, 100), (90, 80), (85, 60)),
         formula_zh="已解决的会话 ÷ 全部会话。", formula_en="Contacts resolved ÷ all contacts."),
    dict(code="first_response", name_zh="首次响应时长", name_en="First response time", unit="seconds",
         direction="lower", min_contacts=30, weight=10, bands=_bands((15, 100), (30, 80), (45, 60)),
         formula_zh="客户首条消息到客服首次回复的时间，按会话平均（秒）。",
         formula_en="Customer's first message to the agent's first reply, averaged over sessions (seconds)."),
    dict(code="avg_response", name_zh="平均响应时长", name_en="Average response time", unit="seconds",
         direction="lower", min_contacts=30, weight=10, bands=_bands((35, 100), (45, 80), (55, 60)),
         formula_zh="每条客户消息到回复的平均间隔（秒），不含 0 轮会话。",
         formula_en="Mean gap between each customer message and its reply (seconds), sessions with no round excluded."),
    dict(code="aht", name_zh="平均处理时长", name_en="Average handle time", unit="seconds", direction="lower",
         min_contacts=30, weight=5, bands=_bands((300, 100), (420, 80), (600, 60)),
         formula_zh="（通话/会话 + 保持 + 事后处理）÷ 处理量（秒）。",
         formula_en="(talk or chat + hold + after-contact work) ÷ contacts handled (seconds)."),
    dict(code="complaint_rate", name_zh="投诉率", name_en="Complaint rate", unit="percent", direction="lower",
         min_contacts=30, weight=10, bands=_bands((0.5, 100), (1, 80), (2, 60)),
         formula_zh="转为投诉的咨询 ÷ 全部咨询。", formula_en="Inquiries that became complaints ÷ all inquiries."),
    dict(code="repeat_rate", name_zh="重复咨询率", name_en="Repeat-contact rate", unit="percent", direction="lower",
         min_contacts=30, weight=5, bands=_bands((5, 100), (8, 80), (12, 60)),
         formula_zh="7 天内因同一问题再次联系的客户 ÷ 全部客户（各团队可按需调整口径）。",
         formula_en="Customers contacting again about the same issue within 7 days ÷ all customers (adjustable)."),
    dict(code="qa_pass", name_zh="质检合格率", name_en="QA pass rate", unit="percent", direction="higher",
         min_contacts=0, weight=10, bands=_bands((95, 100), (90, 80), (85, 60)),
         formula_zh="质检合格的抽检样本 ÷ 抽检样本数（接触数填抽检样本数）。",
         formula_en="Passing samples ÷ samples checked (give the number of samples as contacts)."),
]

FIELDS = ("code", "name_zh", "name_en", "unit", "direction", "aggregation", "min_contacts", "bands", "interpolate",
          "weight", "formula_zh", "formula_en", "active", "position")


def snapshot() -> list[dict]:
    return [{name: getattr(m, name) for name in FIELDS}
            for m in db.session.scalars(select(Metric).order_by(Metric.position, Metric.id))]


def record_version(actor: User | None, note: str) -> CatalogueVersion:
    number = 1 + (db.session.scalar(select(func.max(CatalogueVersion.version))) or 0)
    version = CatalogueVersion(version=number, definition=snapshot(), note=note,
                               created_by_id=actor.id if actor else None)
    db.session.add(version)
    return version


def seed_catalogue() -> int:
    """Add the default metrics that are missing (matched by code). Commits;
    returns how many were added. A change appends a catalogue version."""
    existing = set(db.session.scalars(select(Metric.code)))
    added = 0
    for position, fields in enumerate(DEFAULT_METRICS):
        if fields["code"] not in existing:
            db.session.add(Metric(position=position, **{"aggregation": "weighted_mean", **fields}))
            added += 1
    if added:
        db.session.flush()
        record_version(None, "defaults")
    db.session.commit()
    return added


def current_version() -> CatalogueVersion | None:
    return db.session.scalar(select(CatalogueVersion).order_by(CatalogueVersion.version.desc()).limit(1))


def rule_of(metric: Metric | dict) -> MetricRule:
    get = metric.get if isinstance(metric, dict) else (lambda name: getattr(metric, name))
    return MetricRule(code=get("code"), direction=Direction(get("direction")),
                      bands=tuple(Band(float(b["threshold"]), float(b["points"])) for b in get("bands") or []),
                      aggregation=Aggregation(get("aggregation")), min_contacts=int(get("min_contacts") or 0),
                      weight=float(get("weight")), interpolate=bool(get("interpolate")))


def active_metrics() -> list[Metric]:
    return list(db.session.scalars(select(Metric).where(Metric.active).order_by(Metric.position, Metric.id)))


def update_metric(actor: User, metric: Metric, changes: dict) -> bool:
    """Apply changes to one metric; a real change appends a catalogue version
    and an audit row. Returns whether anything changed. Commits."""
    before = {name: getattr(metric, name) for name in FIELDS if name in changes}
    changed = {name: value for name, value in changes.items() if getattr(metric, name) != value}
    if not changed:
        return False
    for name, value in changed.items():
        setattr(metric, name, value)
    db.session.flush()
    version = record_version(actor, f"{metric.code}: {', '.join(sorted(changed))}")
    record_audit(actor, "kpi.metric_changed", "kpi_metric", metric.id, before,
                 {**changed, "catalogue_version": version.version})
    db.session.commit()
    return True
