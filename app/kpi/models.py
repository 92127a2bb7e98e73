"""The metric catalogue and its versions, KPI values, import batches with
the history of what each changed, saved column mappings."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db_types import UTCDateTime, utcnow
from app.extensions import db

UNIT_LABELS = {"percent": _l("Percent"), "seconds": _l("Seconds"), "count": _l("Count"), "ratio": _l("Ratio")}
DIRECTION_LABELS = {"higher": _l("Higher is better"), "lower": _l("Lower is better")}
AGGREGATION_LABELS = {"weighted_mean": _l("Mean weighted by contacts"), "mean": _l("Plain mean"), "sum": _l("Sum")}


class Metric(db.Model):
    """One metric of the catalogue. Bands: [{"threshold": 90, "points": 100}, …]."""

    __tablename__ = "kpi_metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    aggregation: Mapped[str] = mapped_column(String(16), default="weighted_mean")
    min_contacts: Mapped[int] = mapped_column(Integer, default=0)
    bands: Mapped[list] = mapped_column(JSON, default=list)
    interpolate: Mapped[bool] = mapped_column(Boolean, default=False)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    formula_zh: Mapped[str] = mapped_column(Text, default="")
    formula_en: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class CatalogueVersion(db.Model):
    """A snapshot of the whole catalogue; every change of bands, weights or
    rules appends one. A published month keeps the version it used."""

    __tablename__ = "kpi_catalogue_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    definition: Mapped[list] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KpiValue(db.Model):
    """An agent's value of a metric for a month (the first day stands for it)."""

    __tablename__ = "kpi_values"
    __table_args__ = (UniqueConstraint("user_id", "month", "metric_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique (user, month, metric) index serves lookups by user and month: no more indexes to
    # maintain on a million-row import.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    month: Mapped[date]
    metric_code: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    contacts: Mapped[int | None] = mapped_column(Integer)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_import_batches.id", ondelete="SET NULL"),
                                                 index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class ImportBatch(db.Model):
    __tablename__ = "kpi_import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))               # upload | cli | api
    filename: Mapped[str] = mapped_column(String(255), default="")
    file_hash: Mapped[str] = mapped_column(String(64), default="")
    layout: Mapped[str] = mapped_column(String(8), default="long")  # long | wide
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    replaced: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    team_ids: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="committed")   # committed | rolled_back
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rolled_back_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rolled_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class BatchChange(db.Model):
    """What a batch did to one value: added it, or replaced an older one
    (kept here, so a rollback restores it exactly)."""

    __tablename__ = "kpi_batch_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("kpi_import_batches.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    month: Mapped[date]
    metric_code: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(8))                 # added | replaced
    old_value: Mapped[float | None] = mapped_column(Float)
    old_contacts: Mapped[int | None] = mapped_column(Integer)
    old_batch_id: Mapped[int | None] = mapped_column(Integer)
    new_value: Mapped[float] = mapped_column(Float)
    new_contacts: Mapped[int | None] = mapped_column(Integer)


class ColumnMapping(db.Model):
    """A saved column mapping (a template), chosen by name on the next import."""

    __tablename__ = "kpi_column_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    layout: Mapped[str] = mapped_column(String(8))
    columns: Mapped[dict] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportJob(db.Model):
    """One import on its way: the file is read and checked into the staging
    tables (status `reading`, then `checked` with the preview in `summary`),
    then committed (`committing`, then `committed` with the batch) — or
    `failed` with a message. Large files run in the background; `progress`
    (0..1) and `updated_at` (a heartbeat) let the page show how far it got."""

    __tablename__ = "kpi_import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))               # upload | cli | api
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    upload_key: Mapped[str] = mapped_column(String(43), default="")
    filename: Mapped[str] = mapped_column(String(255), default="")
    file_hash: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)                # bytes of the file
    encoding: Mapped[str] = mapped_column(String(20), default="")
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="reading")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    rollup: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_import_batches.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

