"""Assessment writes: each validates, writes, leaves an audit row and commits once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.assessment.models import PolicyVersion
from app.assessment.scoring import Policy, PolicyError, policy_from_json, policy_to_json
from app.auth.models import User
from app.auth.services import record_audit
from app.extensions import db


def current_policy() -> tuple[PolicyVersion | None, Policy]:
    """The newest stored policy version and its policy; the shipped defaults
    (and no version) until an admin saves one."""
    latest = db.session.scalar(select(PolicyVersion).order_by(PolicyVersion.version.desc()).limit(1))
    return latest, (Policy() if latest is None else policy_from_json(latest.definition))


def save_policy(actor: User | None, definition: dict, note: str = "") -> PolicyVersion | None:
    """Store `definition` as the next policy version when it differs from the
    current one (None when it does not). Raises PolicyError naming the part
    that is wrong; nothing is written then. Two admins saving at once: the
    second is refused by the unique version number and asked to reload."""
    policy = policy_from_json(definition)
    latest, current = current_policy()
    stored = policy_to_json(policy)
    before = policy_to_json(current)
    if latest is not None and stored == before:
        return None
    number = (db.session.scalar(select(func.max(PolicyVersion.version))) or 0) + 1
    version = PolicyVersion(version=number, definition=stored, note=note.strip()[:2000],
                            created_by_id=actor.id if actor else None)
    db.session.add(version)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise PolicyError("policy: someone else saved a new version meanwhile; reload and try again") from None
    record_audit(actor, "assessment.policy_changed", "assessment_policy", number, before, stored)
    db.session.commit()
    return version
