"""Column types shared by every domain."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


# Database objects made by hand in migrations (full-text search; PostgreSQL's
# KPI staging tables), which the models do not describe: Alembic's
# comparisons leave them alone.
UNMANAGED_PREFIXES = ("question_fts", "ix_questions_search_trgm", "kpi_staged_", "ix_kpi_staged_",
                      "pk_kpi_staged_")


def alembic_include_name(name, type_, parent_names) -> bool:
    return not (name or "").startswith(UNMANAGED_PREFIXES)
