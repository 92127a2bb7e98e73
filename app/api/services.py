from __future__ import annotations

from sqlalchemy import select

from app.api.models import ApiToken, hash_token, new_token_value
from app.auth.models import User
from app.auth.services import record_audit
from app.db_types import utcnow
from app.extensions import db


def create_token(actor: User, owner: User, name: str) -> tuple[ApiToken, str]:
    """The stored token and its secret value, which is never stored or shown again."""
    value = new_token_value()
    token = ApiToken(user_id=owner.id, name=name.strip(), token_hash=hash_token(value),
                     display_prefix=value[:10], created_by_id=actor.id)
    db.session.add(token)
    db.session.flush()
    record_audit(actor, "api_token.created", "api_token", token.id, None,
                 {"name": token.name, "user_id": owner.id, "prefix": token.display_prefix})
    db.session.commit()
    return token, value


def revoke_token(actor: User, token: ApiToken) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    record_audit(actor, "api_token.revoked", "api_token", token.id, {"revoked": False}, {"revoked": True})
    db.session.commit()


def user_for_token(value: str) -> User | None:
    """The active owner of an unrevoked token, or None."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(value)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    # One write a minute at most: the API stays cheap under load.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        db.session.commit()
    return token.user
