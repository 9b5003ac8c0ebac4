"""PostgreSQL backend specifics: its own schema, the swap on reindex, concurrent writers, failures.

Runs when TEST_DATABASE_URL points at PostgreSQL; every test works in a throwaway schema.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import psycopg
import pytest
from conftest import postgres_url, throwaway_postgres
from search_corpus import CORPUS

from search import Document, Query, SearchBackend, SearchError, SearchUnavailable, make_backend
from search.postgres import PostgresBackend


@pytest.fixture
def pg() -> Iterator[PostgresBackend]:
    with throwaway_postgres() as backend:
        assert isinstance(backend, PostgresBackend)
        yield backend


def url() -> str:
    found = postgres_url()
    assert found
    return found


def catalog(backend: PostgresBackend, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url(), autocommit=True) as conn:
        return list(conn.execute(sql, (backend.schema,)).fetchall())


def test_it_satisfies_the_protocol_and_needs_a_url(pg: PostgresBackend) -> None:
    assert isinstance(pg, SearchBackend) and pg.available()
    with pytest.raises(SearchError):
        make_backend("postgres")
    with pytest.raises(SearchError, match="schema"):
        make_backend("postgres", postgres_url=url(), postgres_schema='x"; DROP TABLE y; --')


def test_tables_live_in_their_own_schema_and_setup_is_idempotent(pg: PostgresBackend) -> None:
    pg.reindex(CORPUS)
    pg.setup()
    pg.reindex(CORPUS[:3])
    pg.setup()
    tables = {r[0] for r in catalog(pg, "SELECT tablename FROM pg_tables WHERE schemaname = %s")}
    assert tables == {"meta", "docs", "terms"}
    indexes = catalog(pg, "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = %s")
    # One of each, whatever the number of rebuilds: a set-up after a swap adds no duplicates.
    names = sorted(str(name) for _, name in indexes if not str(name).endswith("_pkey"))
    assert names == ["docs_fv_live", "docs_id_live", "docs_tsv_live", "terms_trgm_live"]
    assert sorted(str(table) for table, name in indexes if str(name).endswith("_pkey")) == [
        "docs",
        "meta",
        "terms",
    ]
    assert pg.count() == 3


def test_unaccent_is_wrapped_in_an_immutable_function(pg: PostgresBackend) -> None:
    volatility = catalog(
        pg,
        "SELECT p.provolatile FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = %s AND p.proname = 'unaccent_i'",
    )
    assert volatility == [("i",)]
    pg.upsert([replace(CORPUS[1], title="Crème brûlée café")])
    assert [h.id for h in pg.search(Query(text="creme brulee")).hits] == [CORPUS[1].id]


def test_an_old_layout_is_dropped_for_a_rebuild(pg: PostgresBackend) -> None:
    pg.reindex(CORPUS)
    with psycopg.connect(url(), autocommit=True) as conn:
        conn.execute(f'UPDATE "{pg.schema}".meta SET value = %s WHERE key = %s', ("0", "schema"))
    fresh = make_backend("postgres", postgres_url=url(), postgres_schema=pg.schema)
    fresh.setup()
    assert fresh.count() == 0
    fresh.upsert(CORPUS[:1])
    assert fresh.search(Query(text="voedselbank")).total == 1
    fresh.close()  # type: ignore[attr-defined]


def test_readers_see_the_old_index_until_the_reindex_commits(pg: PostgresBackend) -> None:
    pg.reindex(CORPUS)
    halfway, go_on = threading.Event(), threading.Event()

    def slow_docs() -> Iterator[Document]:
        yield CORPUS[0]
        halfway.set()
        go_on.wait(10)
        yield CORPUS[1]

    errors: list[BaseException] = []

    def rebuild() -> None:
        try:
            pg.reindex(slow_docs())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    worker = threading.Thread(target=rebuild)
    worker.start()
    assert halfway.wait(10)
    reader = make_backend("postgres", postgres_url=url(), postgres_schema=pg.schema)
    started = time.monotonic()
    assert reader.search(Query()).total == len(CORPUS)  # the old index, without waiting
    assert reader.search(Query(text="repair")).total == 2
    assert time.monotonic() - started < 2
    go_on.set()
    worker.join(20)
    assert not errors
    assert reader.search(Query()).total == 2 and reader.search(Query(text="repair")).total == 0
    assert {h.id for h in reader.search(Query(text="taalcafe")).hits} == {CORPUS[1].id}
    reader.close()  # type: ignore[attr-defined]


def test_a_writer_waits_for_a_reindex_and_times_out_as_unavailable(pg: PostgresBackend) -> None:
    pg.reindex(CORPUS)
    halfway, go_on = threading.Event(), threading.Event()

    def slow_docs() -> Iterator[Document]:
        yield from CORPUS
        halfway.set()
        go_on.wait(10)

    worker = threading.Thread(target=lambda: pg.reindex(slow_docs()))
    worker.start()
    assert halfway.wait(10)
    writer = make_backend("postgres", postgres_url=url(), postgres_schema=pg.schema, timeout_s=0.5)
    try:
        with pytest.raises(SearchUnavailable):
            writer.upsert([replace(CORPUS[0], title="Lost during the rebuild?")])
    finally:
        go_on.set()
        worker.join(20)
    writer.upsert([replace(CORPUS[0], title="Voedselbank na de rebuild")])  # the retry goes through
    assert [h.id for h in pg.search(Query(text="rebuild")).hits] == [CORPUS[0].id]
    writer.close()  # type: ignore[attr-defined]


def test_a_failed_reindex_keeps_the_old_index(pg: PostgresBackend) -> None:
    pg.reindex(CORPUS)
    with pytest.raises(SearchError, match="duplicate"):
        pg.reindex([CORPUS[0], CORPUS[0]])
    assert pg.count() == len(CORPUS)
    assert {r[0] for r in catalog(pg, "SELECT tablename FROM pg_tables WHERE schemaname = %s")} == {
        "meta",
        "docs",
        "terms",
    }


def test_the_vocabulary_follows_upserts_and_deletes(pg: PostgresBackend) -> None:
    pg.reindex(CORPUS)

    def df(term: str) -> int:
        with psycopg.connect(url(), autocommit=True) as conn:
            row = conn.execute(f'SELECT df FROM "{pg.schema}".terms WHERE term = %s', (term,)).fetchone()
        return int(row[0]) if row else 0

    assert df("voedselbnk") == 1
    pg.upsert([replace(CORPUS[-1], title="Chauffeur voedselbank", text="Rijden op vrijdag.")])
    assert df("voedselbnk") == 0 and df("chauffeur") == 1
    pg.upsert([CORPUS[-1], CORPUS[-1]])  # the same document twice in one batch counts once
    assert df("voedselbnk") == 1
    pg.delete([CORPUS[-1].id])
    assert df("voedselbnk") == 0 and df("chauffeur") == 0


def test_an_unreachable_server_is_unavailable_and_hides_the_password() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = make_backend("postgres", postgres_url=f"postgresql://srx:pa55word@127.0.0.1:{port}/srx")
    with pytest.raises(SearchUnavailable) as info:
        backend.search(Query(text="x"))
    health = backend.health()
    assert health["status"] == "down"
    assert "pa55word" not in str(info.value) + health["detail"]
