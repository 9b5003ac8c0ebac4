"""Search for SRX: a backend protocol with embedded FTS5, PostgreSQL and Meilisearch backends.

A pure library: it takes plain Documents and Queries and knows nothing of Flask or the ORM.

    backend = make_backend("fts5", sqlite_path="instance/search.sqlite3")   # "postgres", postgres_url=...
                                                                            # "meili", meili_url=...
    backend.setup()
    backend.reindex(documents, total=n, progress=print)    # full rebuild; readers keep the old index
    backend.upsert([doc]); backend.delete(["need:34"])     # incremental, visible to the next search
    result = backend.search(Query(text="voedselbank", filters={"municipality": ["Amsterdam"]}))
    result.hits[0].highlights["title"]                      # HTML-escaped, matches in <mark>
    result.facets["themes"]                                 # counts for this query and these filters

Text matching: a word matches as typed, as the prefix of a longer word, or within the typo budget (1 typo
from 5 letters, 2 from 9); case and diacritics are ignored. FTS5 requires every word that occurs in the
index at all, and drops words from the end while nothing matches. Meilisearch uses its "last" matching
strategy: documents with all words first, then those missing words from the end. Errors:
SearchUnavailable means "fall back"; any other SearchError is a bug or a refused request.
"""

from __future__ import annotations

from .base import (
    FACETS,
    Document,
    Hit,
    Query,
    Result,
    SearchBackend,
    SearchError,
    SearchUnavailable,
)
from .text import fold

__all__ = [
    "FACETS",
    "Document",
    "Hit",
    "Query",
    "Result",
    "SearchBackend",
    "SearchError",
    "SearchUnavailable",
    "fold",
    "make_backend",
]


def make_backend(
    kind: str,
    *,
    sqlite_path: str | None = None,
    meili_url: str | None = None,
    meili_key: str | None = None,
    index_name: str = "srx",
    timeout_s: float = 5.0,
    connect_timeout_s: float = 0.5,
    read_timeout_s: float = 2.0,
    breaker_failures: int = 3,
    breaker_cooldown_s: float = 30.0,
    postgres_url: str | None = None,
    postgres_schema: str = "srx_search",
) -> SearchBackend:
    """Build a backend by name: "fts5" (sqlite_path, default ":memory:"), "postgres" (needs postgres_url;
    its tables live in the schema postgres_schema) or "meili" (needs meili_url).

    timeout_s: SQLite's busy timeout; PostgreSQL's connect, statement and lock timeout; for Meilisearch
    it caps the connect and read timeouts.
    connect_timeout_s, read_timeout_s, breaker_failures, breaker_cooldown_s: Meilisearch only (see meili.py).
    """
    kind = (kind or "").strip().lower()
    if kind in ("fts5", "sqlite", "fts"):
        from .fts5 import FTS5Backend

        return FTS5Backend(sqlite_path or ":memory:", timeout_s=timeout_s)
    if kind in ("postgres", "postgresql", "pg"):
        if not postgres_url:
            raise SearchError("the postgres backend needs postgres_url")
        from .postgres import PostgresBackend

        return PostgresBackend(postgres_url, schema=postgres_schema, timeout_s=timeout_s)
    if kind in ("meili", "meilisearch"):
        if not meili_url:
            raise SearchError("the meili backend needs meili_url")
        from .meili import MeiliBackend

        return MeiliBackend(
            meili_url,
            meili_key,
            index_name=index_name,
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
            read_timeout_s=read_timeout_s,
            breaker_failures=breaker_failures,
            breaker_cooldown_s=breaker_cooldown_s,
        )
    raise SearchError(f"unknown search backend {kind!r}; expected 'fts5', 'postgres' or 'meili'")
