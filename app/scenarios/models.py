"""Rubrics, scenarios and their versions, drill runs, live role-play sessions."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Team, User
from app.db_types import UTCDateTime, utcnow
from app.extensions import db
from app.web import localized

SITUATION_LABELS = {
    "daily_inquiry": _l("Daily inquiry"),
    "complaint_escalation": _l("Complaint escalation"),
    "special_request": _l("Special request"),
    "privacy_identity": _l("Privacy and identity"),
    "outage": _l("Service outage"),
    "handoff": _l("Hand-off"),
}
COMPETENCY_LABELS = {
    "communication": _l("Communication"),
    "problem_solving": _l("Problem solving"),
    "emotion": _l("Emotion management"),
    "knowledge": _l("Product and business knowledge"),
    "compliance": _l("Compliance and information security"),
}
EMOTION_LABELS = {
    "calm": _l("Calm"),
    "confused": _l("Confused"),
    "anxious": _l("Anxious"),
    "annoyed": _l("Annoyed"),
    "angry": _l("Angry"),
}
ENDING_LABELS = {
    "resolved": _l("Resolved"),
    "escalated": _l("Escalated properly"),
    "lost": _l("Customer lost"),
}
KIND_LABELS = {"drill": _l("Drill"), "roleplay": _l("Role-play")}
RUBRIC_KIND_LABELS = {
    "observation": _l("Role-play observation sheet"),
    "chat_qa": _l("Chat QA scorecard"),
    "call_qa": _l("Call QA scorecard"),
    "survey": _l("Questionnaire"),
}


class _Bilingual:
    title_zh: str
    title_en: str

    @property
    def title(self) -> str:
        return localized(self.title_zh, self.title_en)


class Rubric(_Bilingual, db.Model):
    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    source_path: Mapped[str | None] = mapped_column(String(255))
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("rubric_versions.id", use_alter=True, ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    current_version: Mapped[RubricVersion | None] = relationship(foreign_keys=[current_version_id], post_update=True)
    versions: Mapped[list[RubricVersion]] = relationship(
        back_populates="rubric", foreign_keys="RubricVersion.rubric_id", order_by="RubricVersion.version")


class RubricVersion(db.Model):
    __tablename__ = "rubric_versions"
    __table_args__ = (UniqueConstraint("rubric_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    rubric: Mapped[Rubric] = relationship(back_populates="versions", foreign_keys=[rubric_id])


class Scenario(_Bilingual, db.Model):
    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)          # drill | roleplay
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    situation: Mapped[str] = mapped_column(String(32), index=True)
    difficulty: Mapped[int] = mapped_column(Integer)
    competencies: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active")
    source_path: Mapped[str | None] = mapped_column(String(255))
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("scenario_versions.id", use_alter=True, ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    current_version: Mapped[ScenarioVersion | None] = relationship(foreign_keys=[current_version_id],
                                                                   post_update=True)
    versions: Mapped[list[ScenarioVersion]] = relationship(
        back_populates="scenario", foreign_keys="ScenarioVersion.scenario_id", order_by="ScenarioVersion.version")

    @property
    def summary(self) -> str:
        definition = self.current_version.definition if self.current_version else {}
        return localized(definition.get("summary_zh", ""), definition.get("summary_en", ""))


class ScenarioVersion(db.Model):
    __tablename__ = "scenario_versions"
    __table_args__ = (UniqueConstraint("scenario_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    max_total: Mapped[float | None] = mapped_column(Float)
    max_competencies: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    scenario: Mapped[Scenario] = relationship(back_populates="versions", foreign_keys=[scenario_id])


class DrillRun(db.Model):
    """One agent's run through one version of a drill. `state` is the
    engine's RunState; `steps` the transcript with feedback, one entry per
    step taken. `step_count` guards against double submits: a step posted
    with a stale count changes nothing."""

    __tablename__ = "drill_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    scenario_version_id: Mapped[int] = mapped_column(ForeignKey("scenario_versions.id", ondelete="RESTRICT"),
                                                     index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="in_progress", index=True)  # in_progress | finished
    state: Mapped[dict] = mapped_column(JSON)
    steps: Mapped[list] = mapped_column(JSON, default=list)
    step_count: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    ending: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    scenario: Mapped[Scenario] = relationship()
    version: Mapped[ScenarioVersion] = relationship()
    user: Mapped[User] = relationship()


class RoleplaySession(db.Model):
    __tablename__ = "roleplay_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    scenario_version_id: Mapped[int] = mapped_column(ForeignKey("scenario_versions.id", ondelete="RESTRICT"))
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id", ondelete="RESTRICT"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    customer_player_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    held_on: Mapped[date]
    supervisor_weight: Mapped[float] = mapped_column(Float, default=2.0)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | closed
    result: Mapped[dict | None] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    scenario: Mapped[Scenario] = relationship()
    version: Mapped[ScenarioVersion] = relationship()
    rubric_version: Mapped[RubricVersion] = relationship()
    agent: Mapped[User] = relationship(foreign_keys=[agent_id])
    customer_player: Mapped[User | None] = relationship(foreign_keys=[customer_player_id])
    team: Mapped[Team | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    raters: Mapped[list[RoleplayRater]] = relationship(
        back_populates="session", order_by="RoleplayRater.id", cascade="all, delete-orphan")


class RoleplayRater(db.Model):
    """An observer of a session and, once submitted, their sheet. Supervisors
    (trainers, managers, admins) weigh `session.supervisor_weight`; peers 1."""

    __tablename__ = "roleplay_raters"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("roleplay_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_supervisor: Mapped[bool] = mapped_column(Boolean, default=False)
    ratings: Mapped[dict | None] = mapped_column(JSON)      # criterion code → level index or None (N/A)
    percent: Mapped[float | None] = mapped_column(Float)
    competencies: Mapped[dict | None] = mapped_column(JSON)
    critical_failures: Mapped[list | None] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[RoleplaySession] = relationship(back_populates="raters")
    user: Mapped[User] = relationship()
