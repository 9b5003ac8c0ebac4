"""Run Alembic migrations from inside the app (used by `srx db upgrade` and the tests)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import current_app

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(revision: str = "head", url: str | None = None) -> None:
    """Migrate the app's database (or `url`) to `revision`."""
    command.upgrade(alembic_config(url or current_app.config["DATABASE_URL"]), revision)
