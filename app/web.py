"""What every HTML response shares: security headers, template helpers."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, abort, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user
from werkzeug.routing import IntegerConverter

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def page_number(limit: int = 100_000) -> int:
    """The ?page= of a listing, kept within sane bounds."""
    number = request.args.get("page", 1, type=int)
    return number if 1 <= number <= limit else 1


def wants_partial() -> bool:
    """An htmx swap asks for the fragment; a history restore needs the page."""
    from app.extensions import htmx

    return bool(htmx) and not htmx.history_restore_request


def localized(zh: str, en: str) -> str:
    """The zh or en text (of bilingual content) for the current locale, falling back to the other."""
    return (en or zh) if str(get_locale() or "").startswith("en") else (zh or en)


def nav_items(user) -> list[tuple[str, str]]:
    """(endpoint, label) pairs for the signed-in user's role."""
    if not user.is_authenticated:
        return []
    return _nav_for(user.role, str(get_locale()))


@lru_cache(maxsize=64)
def _nav_for(role: str, locale: str) -> list[tuple[str, str]]:
    """Built once per role and language: pages render it on every request."""
    from flask_babel import gettext as _

    items = [("dashboard.home", _("Home")), ("quiz.my_training", _("My training")),
             ("scenarios.library", _("Scenarios"))]
    if role in ("manager", "trainer", "admin"):
        items += [("dashboard.teams", _("Teams")), ("quiz.manage", _("Quizzes"))]
    if role in ("manager", "admin"):
        items.append(("kpi.history", _("KPI")))
    elif role == "trainer":
        items.append(("kpi.metrics", _("KPI")))
    if role in ("trainer", "admin"):
        items.append(("bank.index", _("Question bank")))
    if role == "admin":
        items += [
            ("admin.users", _("Users")),
            ("admin.teams", _("Manage teams")),
            ("admin.import_users_view", _("Import users")),
            ("admin.tokens", _("API tokens")),
            ("admin.audit_log", _("Audit log")),
        ]
    return items


def competency_label(code: str) -> str:
    from app.bank.models import COMPETENCY_LABELS, Competency

    try:
        return str(COMPETENCY_LABELS[Competency(code)])
    except ValueError:
        return code


def audit_value(value) -> str:
    """Audit before/after values as a person reads them."""
    from flask_babel import gettext as _

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "、".join(audit_value(v) for v in value) or "—"
    return str(value)


class BoundedInt(IntegerConverter):
    """`<int:…>` in URLs: ids beyond a 32-bit column cannot exist, so they
    answer 404 instead of overflowing the database driver."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def register_web_hooks(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        # A NUL in a posted form value cannot be stored (PostgreSQL refuses it
        # in text) and is never typed by a person: a clear 400, up front.
        # (Query strings are only compared or searched, and searches cope.)
        if any("\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)):
            abort(400, description="NUL characters are not allowed in form values.")

    @app.before_request
    def settle_locale():
        # Resolve the language while the user row is fresh: after a commit it
        # would be reloaded just to read `locale`. API calls resolve theirs
        # from the token's user in the view.
        if request.endpoint != "static" and not request.path.startswith("/api/"):
            get_locale()

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SECURE_HEADERS_HSTS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if response.mimetype == "text/html":
            # Pages answer htmx requests with partials: caches must keep both.
            response.vary.add("HX-Request")
            if request.endpoint != "static":
                headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def template_helpers():
        return {
            # A callable: partials never pay for the navigation they do not show.
            "nav_items": lambda: nav_items(current_user),
            "current_locale": "zh_CN" if get_locale().language == "zh" else "en",
            "languages": app.config["LANGUAGES"],
            "competency_label": competency_label,
        }

    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    from app.bank.i18n import translate
    from app.bank.rendering import render_text

    app.jinja_env.filters["rich"] = render_text
    app.jinja_env.filters["tr"] = translate
    app.jinja_env.filters["audit_value"] = audit_value
    app.jinja_env.filters["number"] = lambda value: format_decimal(value) if value is not None else ""
