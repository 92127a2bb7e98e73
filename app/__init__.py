"""AgentPath: the application factory."""

from __future__ import annotations

import functools
import os
import sqlite3

from babel import Locale
from flask import Flask, g, has_request_context, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import event

from config import CONFIGS, DevelopmentConfig, ProductionConfig, instance_secret_key


def _config_from_env():
    return CONFIGS.get(os.environ.get("AGENTPATH_ENV", "development"), DevelopmentConfig)


def create_app(config_class=None) -> Flask:
    config_class = config_class or _config_from_env()
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_class)
    if issubclass(config_class, ProductionConfig):
        config_class.check()
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            "sqlite://" if app.testing else f"sqlite:///{os.path.join(app.instance_path, 'agentpath.db')}"
        )

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind a proxy every request comes from its address: trust the forwarded client address
        # (and scheme) from exactly that many proxies, so sign-in limits count per real client.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from app.web import BoundedInt

    app.url_map.converters["int"] = BoundedInt
    _init_extensions(app)
    _register_blueprints(app)

    from app.errors import register_error_handlers
    from app.web import register_web_hooks

    register_error_handlers(app)
    register_web_hooks(app)

    from app.cli import register_cli

    register_cli(app)
    return app


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_connection, _record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return on_connect


def _detach_scratch(dbapi_connection, record) -> None:
    """A pooled SQLite connection lets go of the KPI staging files it attached (app/kpi/staging.py)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        attached = [row[1] for row in dbapi_connection.execute("PRAGMA database_list")]
        for name in attached:
            if name.startswith("kpi_stage_"):
                try:
                    dbapi_connection.execute(f"DETACH DATABASE {name}")
                except sqlite3.OperationalError:           # cannot let go: replace the connection instead
                    record.invalidate()
                    return


def _init_extensions(app: Flask) -> None:
    from app.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas(app.config["SQLITE_BUSY_TIMEOUT_MS"]))
            event.listen(db.engine, "checkin", _detach_scratch)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)

    import app.api.models  # noqa: F401  (register every model with the metadata)
    import app.assessment.models  # noqa: F401
    import app.auth.models  # noqa: F401
    import app.bank.models  # noqa: F401
    import app.kpi.models  # noqa: F401
    import app.quiz.models  # noqa: F401
    import app.scenarios.models  # noqa: F401
    import app.uploads  # noqa: F401


def load_user(user_id: str):
    from app.auth.services import load_session_user

    return load_session_user(user_id)


SUPPORTED_LOCALES = ("zh_CN", "en")


@functools.cache
def _locale(name: str) -> Locale:
    """Parsed once: Babel's Locale.parse lists its data folder on every call,
    which cost about a millisecond per request."""
    return Locale.parse(name)


def select_locale() -> Locale | None:
    """The user's own choice, else the visitor's session choice, else zh_CN.
    Outside a request (CLI) the default locale, or AGENTPATH_CLI_LOCALE."""
    if not has_request_context():
        chosen = os.environ.get("AGENTPATH_CLI_LOCALE")
        return _locale(chosen) if chosen in SUPPORTED_LOCALES else None
    if current_user.is_authenticated and current_user.locale in SUPPORTED_LOCALES:
        return _locale(current_user.locale)
    if getattr(g, "api_user", None) is not None and g.api_user.locale in SUPPORTED_LOCALES:
        return _locale(g.api_user.locale)
    chosen = session.get("locale")
    return _locale(chosen if chosen in SUPPORTED_LOCALES else "zh_CN")


def _register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.bank import bp as bank_bp
    from app.dashboard import bp as dashboard_bp
    from app.extensions import csrf
    from app.kpi import bp as kpi_bp
    from app.quiz import bp as quiz_bp
    from app.scenarios import bp as scenarios_bp

    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(bank_bp, url_prefix="/bank")
    app.register_blueprint(quiz_bp, url_prefix="/quizzes")
    app.register_blueprint(scenarios_bp, url_prefix="/scenarios")
    app.register_blueprint(kpi_bp, url_prefix="/kpi")
    csrf.exempt(api_bp)  # bearer tokens, no cookies
    app.register_blueprint(api_bp, url_prefix="/api/v1")

    @app.route("/favicon.ico")
    def favicon():
        return redirect(url_for("static", filename="favicon.svg"), 301)

    @app.route("/healthz")
    def healthz():
        from sqlalchemy import text

        from app.extensions import db

        db.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    @app.before_request
    def force_password_change():
        if (
            current_user.is_authenticated
            and current_user.must_change_password
            and request.endpoint not in {"auth.change_password_view", "auth.logout", "auth.switch_locale", "static"}
            and not request.path.startswith("/api/")
        ):
            return redirect(url_for("auth.change_password_view"))
        return None
