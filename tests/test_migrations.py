from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.db_types import alembic_include_name
from app.extensions import db


def test_migrations_match_the_models(app):
    """Every model change must come with an Alembic revision."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": alembic_include_name})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_sqlite_pragmas(app):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_production_refuses_to_start_without_secrets(monkeypatch):
    import pytest

    from app import create_app
    from config import ProductionConfig

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)
