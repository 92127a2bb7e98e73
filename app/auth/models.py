"""People: users, teams, and the audit log every sensitive write leaves behind."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UTCDateTime, utcnow
from app.extensions import db


class Role(enum.StrEnum):
    AGENT = "agent"
    TRAINER = "trainer"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self):
        return ROLE_LABELS[self]


class Tier(enum.StrEnum):
    ONBOARDING = "onboarding"
    IN_SERVICE = "in_service"
    ELITE = "elite"

    @property
    def label(self):
        return TIER_LABELS[self]


class LadderLevel(enum.StrEnum):
    SPECIALIST = "specialist"
    SENIOR = "senior"
    EXPERT = "expert"
    MANAGER = "manager"

    @property
    def label(self):
        return LADDER_LABELS[self]


ROLE_LABELS = {
    Role.AGENT: _l("Agent"),
    Role.TRAINER: _l("Trainer"),
    Role.MANAGER: _l("Manager"),
    Role.ADMIN: _l("Administrator"),
}
TIER_LABELS = {
    Tier.ONBOARDING: _l("Onboarding"),
    Tier.IN_SERVICE: _l("In service"),
    Tier.ELITE: _l("Elite"),
}
LADDER_LABELS = {
    LadderLevel.SPECIALIST: _l("Specialist"),
    LadderLevel.SENIOR: _l("Senior specialist"),
    LadderLevel.EXPERT: _l("Service expert"),
    LadderLevel.MANAGER: _l("Service manager"),
}


team_managers = Table(
    "team_managers",
    db.metadata,
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(
        back_populates="team", foreign_keys="User.team_id", order_by="User.employee_no"
    )
    managers: Mapped[list[User]] = relationship(
        secondary=team_managers, back_populates="managed_teams", order_by="User.name"
    )

    def __repr__(self):
        return f"<Team {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT.value, index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    hire_date: Mapped[date | None]
    tier: Mapped[str] = mapped_column(String(16), default=Tier.ONBOARDING.value)
    ladder_level: Mapped[str] = mapped_column(String(16), default=LadderLevel.SPECIALIST.value)
    cleared_for_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Bumped on password change or deactivation: every other session and
    # remember-me cookie built on the old value stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team | None] = relationship(back_populates="members", foreign_keys=[team_id])
    managed_teams: Mapped[list[Team]] = relationship(
        secondary=team_managers, back_populates="managers", order_by="Team.name"
    )

    # The login session this object was loaded for (set by start_session and the user loader).
    session_key = None

    def get_id(self) -> str:
        """What the session and remember-me cookies carry: the user, the
        password generation and the login session, each checked on load."""
        return f"{self.id}.{self.session_version}.{self.session_key or ''}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def tier_enum(self) -> Tier:
        return Tier(self.tier)

    @property
    def ladder_enum(self) -> LadderLevel:
        return LadderLevel(self.ladder_level)

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {str(r) for r in roles}

    def __repr__(self):
        return f"<User {self.employee_no}>"


class LoginSession(db.Model):
    """One sign-in on one device. The cookies carry its key; signing out
    ends the row, so a replayed session or remember-me cookie is refused
    while the person's other devices stay signed in."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()
