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


def test_contact_details_migrate_existing_initiatives_up_and_down(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect, text

    from marketplace.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade("0009", url=url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO initiative (slug, kind, name, summary, description, municipality, neighbourhood,"
                " life_phase, website, target_groups, published, created_at) VALUES ('oud', 'initiative',"
                " 'Oud', '', '', 'Soest', '', 'start', NULL, '[]', 1, '2026-01-01 00:00:00')"
            )
        )
    upgrade("0010", url=url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT contact_email, contact_phone, contact_name FROM initiative")).one()
    assert tuple(row) == ("", "", "")  # an existing initiative publishes nothing new
    command.downgrade(alembic_config(url), "0009")
    columns = {c["name"] for c in inspect(engine).get_columns("initiative")}
    assert not columns & {"contact_email", "contact_phone", "contact_name"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT slug FROM initiative")).scalar_one() == "oud"
    engine.dispose()
