"""The app on the PostgreSQL search backend: SEARCH_BACKEND=postgres, outbox sync and the catalogue.

Runs when TEST_DATABASE_URL is set; the search tables go into the backend's default schema there and
are dropped afterwards.
"""

import os
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlmodel import Session

from marketplace.config import load_config
from marketplace.search_sync import get_backend, reindex, sync_pending
from marketplace.services import needs
from search import Query
from tests.conftest import World


@pytest.fixture
def search_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL not set: no PostgreSQL for the postgres search backend")
    yield url
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS srx_search CASCADE")


@pytest.fixture
def app_config(app_config: dict[str, Any], search_url: str) -> dict[str, Any]:
    return {**app_config, "SEARCH_BACKEND": "postgres", "SEARCH_POSTGRES_URL": search_url}


def test_the_search_url_defaults_to_the_database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("SEARCH_BACKEND", "postgres")
    monkeypatch.setenv("DATABASE_URL", "postgresql://srx@db/srx")
    monkeypatch.delenv("SEARCH_POSTGRES_URL", raising=False)
    assert load_config(tmp_path)["SEARCH_POSTGRES_URL"] == "postgresql://srx@db/srx"
    monkeypatch.setenv("SEARCH_POSTGRES_URL", "postgresql://search@other/srx")
    assert load_config(tmp_path)["SEARCH_POSTGRES_URL"] == "postgresql://search@other/srx"


def test_the_catalogue_runs_on_postgres(app: Any, client: Any, db_session: Session, world: World) -> None:
    backend = get_backend(app)
    assert backend.name == "postgres"
    reindex(db_session, backend)
    html = client.get("/catalogue?q=voedselbnk").get_data(as_text=True)
    assert "<mark>" in html and "Voedselbank Aastad" in html
    with app.test_request_context():
        needs.create_need(world.session, actor=world.users["initiative_a"], data=needs.NeedInput(
            kind="hours", title="Fietsenmakers gezocht", quantity=20, unit="hours"))  # fmt: skip
    sync_pending(world.session, backend)
    assert [h.document.title for h in backend.search(Query(text="fietsenmakers")).hits] == [
        "Fietsenmakers gezocht"
    ]
