"""Fixtures for the search tests: a small known corpus and every backend that can run here.

PostgreSQL runs when TEST_DATABASE_URL is set (each test in a throwaway schema), Meilisearch when
MEILI_URL is set.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from search_corpus import CORPUS

from search import SearchBackend, make_backend


def meili_url() -> str | None:
    return os.environ.get("MEILI_URL") or None


def postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[SearchBackend]:
    """A postgres backend in a schema of its own, dropped afterwards."""
    url = postgres_url()
    if not url:
        pytest.skip("TEST_DATABASE_URL not set: no PostgreSQL for the postgres search backend")
    schema = f"srx_search_test_{uuid.uuid4().hex[:10]}"
    backend = make_backend("postgres", postgres_url=url, postgres_schema=schema)
    try:
        backend.setup()
        yield backend
    finally:
        backend.close()  # type: ignore[attr-defined]
        drop_schema(url, schema)


def _make(kind: str, tmp_path: object) -> Iterator[SearchBackend]:
    if kind == "fts5":
        backend = make_backend("fts5", sqlite_path=":memory:")
        backend.setup()
        yield backend
        backend.close()  # type: ignore[attr-defined]
        return
    if kind == "postgres":
        with throwaway_postgres() as backend:
            yield backend
        return
    url = meili_url()
    if not url:
        pytest.skip("MEILI_URL not set: no Meilisearch server on this machine")
    name = f"srx_test_{uuid.uuid4().hex[:10]}"
    backend = make_backend("meili", meili_url=url, meili_key=os.environ.get("MEILI_KEY"), index_name=name)
    backend.setup()
    yield backend
    with contextlib.suppress(Exception):  # best-effort cleanup of a throwaway index
        backend.client.delete_index(name)  # type: ignore[attr-defined]


@pytest.fixture(params=["fts5", "postgres", "meili"])
def empty_backend(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[SearchBackend]:
    """Every backend available here, set up and empty."""
    yield from _make(request.param, tmp_path)


@pytest.fixture
def backend(empty_backend: SearchBackend) -> SearchBackend:
    """Every backend available here, loaded with CORPUS."""
    empty_backend.reindex(iter(CORPUS), total=len(CORPUS))
    return empty_backend
