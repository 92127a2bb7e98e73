"""Bearer-token authentication for /api/v1. Sessions and cookies play no part."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, request
from flask_babel import gettext as _

from app.api.services import user_for_token


def bearer_user():
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return user_for_token(value.strip())


def token_required(*roles: str):
    """A valid bearer token (and, if given, one of `roles`), else 401/403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = bearer_user()
            if user is None:
                abort(401, description=_("Send a valid personal API token as 'Authorization: Bearer <token>'."))
            if roles and user.role not in roles:
                abort(403)
            g.api_user = user
            return view(*args, **kwargs)

        return wrapped

    return decorator
