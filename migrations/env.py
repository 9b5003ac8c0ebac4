"""Alembic environment: SQLModel's metadata; batch mode on SQLite."""

import os
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from sqlmodel import SQLModel

import marketplace.models  # noqa: F401  (registers the tables)
from marketplace.db import make_engine

config = context.config
if config.config_file_name is not None and not config.attributes.get("quiet"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{Path(__file__).resolve().parent.parent / 'instance' / 'srx.sqlite3'}"
    return url


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=database_url().startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(database_url())
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode copies a table and drops the old one, which foreign keys would refuse; they are
            # switched off for the migration (outside its transaction, where SQLite honours it) and checked after.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # end the autobegun transaction, so Alembic begins (and commits) its own
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=sqlite, compare_type=True
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
