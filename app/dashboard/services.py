"""Read models for the home pages: counts and lists, scoped by permissions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth.models import AuditLog, Role, Team, Tier, User
from app.auth.permissions import visible_teams
from app.extensions import db


@dataclass(frozen=True)
class TeamSummary:
    team: Team
    members: int
    onboarding: int
    not_cleared: int


def team_summaries(viewer: User) -> list[TeamSummary]:
    """One query for the counts of every team the viewer may see."""
    teams = list(db.session.scalars(
        visible_teams(viewer).options(selectinload(Team.managers)).order_by(Team.name)
    ))
    if not teams:
        return []
    agent = (User.role == Role.AGENT.value) & User.is_active
    rows = db.session.execute(
        select(
            User.team_id,
            func.count(User.id).filter(agent),
            func.count(User.id).filter(agent & (User.tier == Tier.ONBOARDING.value)),
            func.count(User.id).filter(agent & User.cleared_for_live_at.is_(None)),
        )
        .where(User.team_id.in_([t.id for t in teams]))
        .group_by(User.team_id)
    ).all()
    counts = {team_id: (m, o, n) for team_id, m, o, n in rows}
    return [TeamSummary(t, *counts.get(t.id, (0, 0, 0))) for t in teams]


def team_members(team: Team) -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.team_id == team.id).order_by(User.is_active.desc(), User.employee_no)
    ))


def people_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(User.role, func.count(User.id)).where(User.is_active).group_by(User.role)
    ).all()
    counts = {role.value: 0 for role in Role}
    counts.update({role: n for role, n in rows})
    counts["inactive"] = db.session.scalar(select(func.count(User.id)).where(~User.is_active))
    return counts


def recent_audit(limit: int = 8) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)))


@dataclass(frozen=True)
class PipelineRow:
    person: User
    attempts: int
    best: float | None
    last_at: object
    cleared_at: object


def onboarding_pipeline(members: list[User]) -> list[PipelineRow]:
    """New hires (not yet cleared) and their onboarding certification attempts."""
    from app.quiz.models import Attempt, AttemptStatus, Quiz, QuizKind

    people = [m for m in members if m.role == Role.AGENT and m.is_active and m.cleared_for_live_at is None]
    if not people:
        return []
    rows = db.session.execute(
        select(Attempt.user_id, func.count(Attempt.id),
               func.max(Attempt.percent).filter(Attempt.status == AttemptStatus.GRADED.value),
               func.max(Attempt.started_at))
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Quiz.kind == QuizKind.ONBOARDING.value, Attempt.user_id.in_([p.id for p in people]))
        .group_by(Attempt.user_id)
    ).all()
    found = {user_id: (n, best, last) for user_id, n, best, last in rows}
    return [PipelineRow(p, *found.get(p.id, (0, None, None)), cleared_at=p.cleared_for_live_at) for p in people]
