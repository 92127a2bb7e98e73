"""Who may see and do what. Every route goes through these helpers.

Scope of people:
- agent: only themself;
- manager: themself and the members of the teams they manage;
- trainer and admin: everyone.

Missing role → 403. A record outside one's scope → 404, so its existence
does not leak.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, false, or_, select

from app.auth.models import Role, Team, User, team_managers
from app.extensions import db

ALL_ROLES = frozenset(Role)
STAFF_ROLES = frozenset({Role.TRAINER, Role.MANAGER, Role.ADMIN})


def role_required(*roles: Role):
    """Log-in required, then one of `roles`, else 403."""
    allowed = {str(r) for r in roles}

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(allowed)
        return wrapped

    return decorator


def managed_team_ids(user: User) -> Select:
    return select(team_managers.c.team_id).where(team_managers.c.user_id == user.id)


def visible_users(user: User) -> Select:
    """A SELECT of the users `user` may see (compose further filters onto it)."""
    query = select(User)
    if user.role in (Role.ADMIN, Role.TRAINER):
        return query
    if user.role == Role.MANAGER:
        return query.where(or_(User.id == user.id, User.team_id.in_(managed_team_ids(user))))
    if user.role == Role.AGENT:
        return query.where(User.id == user.id)
    return query.where(false())


def visible_teams(user: User) -> Select:
    query = select(Team)
    if user.role in (Role.ADMIN, Role.TRAINER):
        return query
    if user.role == Role.MANAGER:
        return query.where(Team.id.in_(managed_team_ids(user)))
    return query.where(false())


def can_view_user(viewer: User, target: User) -> bool:
    if viewer.role in (Role.ADMIN, Role.TRAINER) or viewer.id == target.id:
        return True
    if viewer.role == Role.MANAGER and target.team_id is not None:
        return any(team.id == target.team_id for team in viewer.managed_teams)
    return False


def get_visible_user_or_404(viewer: User, user_id: int) -> User:
    user = db.session.scalar(visible_users(viewer).where(User.id == user_id))
    if user is None:
        abort(404)
    return user


def get_visible_team_or_404(viewer: User, team_id: int) -> Team:
    team = db.session.scalar(visible_teams(viewer).where(Team.id == team_id))
    if team is None:
        abort(404)
    return team
