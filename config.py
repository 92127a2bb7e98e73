"""Configuration classes. Every setting can come from the environment.

| variable | used by | meaning |
| --- | --- | --- |
| SECRET_KEY | all | signs sessions and CSRF tokens; production refuses to start without it |
| DATABASE_URL | dev, prod | SQLAlchemy URL; development defaults to SQLite in the instance folder |
| TEST_DATABASE_URL | tests | database for the test suite; SQLite in a temp folder when unset |
| RATELIMIT_STORAGE_URI | all | Flask-Limiter storage, e.g. redis://127.0.0.1:6379/0; memory:// by default |
| LOGIN_LIMIT_PER_IP | all | log-in attempts allowed per client address |
| LOGIN_LIMIT_PER_ACCOUNT_AND_IP | all | failed log-in attempts allowed per account from one client address (a short slowdown) |
| LOGIN_LIMIT_PER_ACCOUNT | all | failed log-in attempts allowed per account from all addresses together (the ceiling) |
| TRUSTED_PROXIES | all | proxies in front of the app that set X-Forwarded-For (0 by default) |
| BABEL_DEFAULT_TIMEZONE | all | time zone dates are shown in (Asia/Shanghai) |
"""

import json
import os
import secrets
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env(name, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Config:
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
    # JSON columns keep Chinese readable (and searchable) instead of escaped code points.
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        "json_serializer": lambda value: json.dumps(value, ensure_ascii=False),
    }
    SQLITE_BUSY_TIMEOUT_MS = 5000

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 14
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # KPI files up to this size are read and committed within the request; larger ones run in a
    # background thread while the page shows a progress bar.
    KPI_INLINE_BYTES = int(_env("KPI_INLINE_BYTES", str(256 * 1024)))
    # SQLite: where each KPI import stages its checked cells (a scratch file per job); default instance/kpi-staging
    KPI_STAGING_DIR = _env("KPI_STAGING_DIR")

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = _env("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    LANGUAGES = {"zh_CN": "中文", "en": "English"}

    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_IP = _env("LOGIN_LIMIT_PER_IP", "30 per minute")
    # Failures count per person (employee number and e-mail alike). From one address (an IPv6 /64)
    # a person or a guesser gets 5 tries per 15 minutes, then waits — at most 20 an hour; across all
    # addresses 100 per hour, a ceiling one address alone can never reach, so a crowd of addresses
    # guesses slowly too while one stranger's guesses lock nobody else out.
    LOGIN_LIMIT_PER_ACCOUNT_AND_IP = _env("LOGIN_LIMIT_PER_ACCOUNT_AND_IP", "5 per 15 minutes")
    LOGIN_LIMIT_PER_ACCOUNT = _env("LOGIN_LIMIT_PER_ACCOUNT", "100 per hour")
    # How many proxies in front of the app set X-Forwarded-For (0: none; 1 behind one nginx). Client
    # addresses, and so the sign-in limits, come from that header only when this says it can be trusted.
    TRUSTED_PROXIES = int(_env("TRUSTED_PROXIES", "0"))

    USERS_PER_PAGE = 25
    QUESTIONS_PER_PAGE = 30
    # Saves that reach the server up to this long after an attempt's deadline still count.
    ATTEMPT_GRACE_SECONDS = int(_env("ATTEMPT_GRACE_SECONDS", "15"))
    QUESTION_BANK_DIR = _env("QUESTION_BANK_DIR", str(BASE_DIR / "question_bank"))
    SCENARIOS_DIR = _env("SCENARIOS_DIR", str(BASE_DIR / "scenarios"))
    # In a live role-play, a supervisor's (trainer's, manager's) sheet counts this many times a peer's.
    ROLEPLAY_SUPERVISOR_WEIGHT = float(_env("ROLEPLAY_SUPERVISOR_WEIGHT", "2"))
    SECURE_HEADERS_HSTS = False


class DevelopmentConfig(Config):
    """Local development: SQLite file in the instance folder, key kept there too."""

    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only-key"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL")
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105  (fast hashes keep the suite quick)
    KPI_STAGING_DIR = _env("KPI_STAGING_DIR", os.path.join(tempfile.gettempdir(), "agentpath-test-kpi-staging"))


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _env("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HEADERS_HSTS = SESSION_COOKIE_SECURE

    @classmethod
    def check(cls):
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not _env(name)]
        if missing:
            raise RuntimeError(
                "ProductionConfig refuses to start: set " + ", ".join(missing) + " in the environment"
            )


def instance_secret_key(instance_path: str) -> str:
    """Development only: a random key generated once and kept in the instance folder."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
