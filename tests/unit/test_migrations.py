"""The Alembic migrations build exactly the schema the models describe (SQLite here, PostgreSQL in CI)."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import marketplace.models  # noqa: F401
from marketplace.db import make_engine
from marketplace.migrate import upgrade


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    engine.dispose()
    return list(diff)


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade("head", url=url)
    assert _diff(url) == [], "the models changed without a migration: run alembic revision --autogenerate"


def test_migrations_match_the_models_on_postgresql(postgres_url: str) -> None:
    # postgres_url (tests/conftest.py) migrated a fresh schema to head, or skipped saying why.
    assert _diff(postgres_url) == []


def test_upgrade_is_repeatable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade("head", url=url)
    upgrade("head", url=url)  # a second `make run` must not fail
    assert _diff(url) == []
