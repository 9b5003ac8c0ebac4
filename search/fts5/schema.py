"""The FTS5 index file: its tables, the SQL the backend runs on them, and how a Document becomes rows.

Layout of the search database (its own file; never the application's database):

- ``docs``        one row per document: facet columns and sort keys, kept narrow so full scans are cheap.
- ``docs_json``   the document itself as JSON, read only for the page of hits.
- ``docs_fts``    FTS5 over folded title, body and place; bm25 weights title above place above body.
- ``docs_title``  a small FTS5 index of titles alone (no positions): which of many matches are title
  matches, without walking the big index twice.
- ``docs_vocab``  fts5vocab view of the index's terms; read once per full reindex (it counts documents
  by walking doclists, far too slow per query for common words).
- ``terms``       every indexed term with its document frequency, kept current on every write: the cheap
  lookup for "is this word indexed", "does any word start with it" and "how common is it".
- ``terms_tri``   a trigram FTS5 index over ``terms``, to find the corrections of a misspelt query word.
- ``changes``     an append-only log of touched rowids, so every process can update its in-memory
  facet bitsets incrementally instead of reloading them.
- ``cache_snapshot`` the in-memory facet cache as blobs (bitsets, sort keys), written by reindex and
  renewed by writers every SNAPSHOT_EVERY changes: a new process restores it and replays the change
  log since, instead of rebuilding the bitsets from every row.
- ``meta``        schema version, the index *epoch* (changes on every full reindex), the pruned part of
  the change log and the epoch and change seq of the snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import Any

import numpy as np

from ..base import Document
from ..text import fold

SCHEMA_VERSION = "6"
# bm25 column weights: title, body, place.
WEIGHTS = (8.0, 1.0, 3.0)

DOC_COLS = (
    "type, kind, municipality, themes, need_kinds, target_groups, eligible_for, deadline, lat, lon, ntok"
)
# What the in-memory cache reads per document; deadlines as SQLite julian days (-1: none).
CACHE_COLS = (
    "type, kind, municipality, themes, need_kinds, target_groups, eligible_for,"
    " ifnull(julianday(deadline), -1), lat, lon, ntok"
)
MARKS12 = ",".join("?" * 12)
WEIGHTS_SQL = ", ".join(str(w) for w in WEIGHTS)
IDS_SQL = "SELECT group_concat(rowid) FROM docs_fts WHERE docs_fts MATCH ?"
TITLE_IDS_SQL = "SELECT group_concat(rowid) FROM docs_title WHERE docs_title MATCH ?"
# bm25() is not allowed inside an aggregate; a materialized CTE keeps the planner from inlining it.
BM25_SQL = (
    f"WITH m AS MATERIALIZED (SELECT rowid AS r, bm25(docs_fts, {WEIGHTS_SQL}) AS s"
    " FROM docs_fts WHERE docs_fts MATCH ?) SELECT group_concat(r), group_concat(s) FROM m"
)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL, kind TEXT NOT NULL, municipality TEXT NOT NULL,
    themes TEXT NOT NULL, need_kinds TEXT NOT NULL, target_groups TEXT NOT NULL, eligible_for TEXT NOT NULL,
    deadline TEXT, lat REAL, lon REAL, ntok INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS docs_json(rowid INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(
    title, body, place, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_title USING fts5(
    title, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3', detail = 'none'
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_vocab USING fts5vocab(docs_fts, 'row');
CREATE TABLE IF NOT EXISTS terms(term TEXT NOT NULL UNIQUE, df INTEGER NOT NULL DEFAULT 0);
CREATE VIRTUAL TABLE IF NOT EXISTS terms_tri USING fts5(term, tokenize = 'trigram', detail = 'none');
CREATE TABLE IF NOT EXISTS changes(seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_rowid INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cache_snapshot(name TEXT PRIMARY KEY, data BLOB NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '{SCHEMA_VERSION}');
INSERT OR IGNORE INTO meta(key, value) VALUES ('epoch', lower(hex(randomblob(8))));
INSERT OR IGNORE INTO meta(key, value) VALUES ('pruned_upto', '0');
INSERT OR IGNORE INTO meta(key, value) VALUES ('snapshot_epoch', '');
INSERT OR IGNORE INTO meta(key, value) VALUES ('snapshot_seq', '-1');
"""
DROP = """
DROP TABLE IF EXISTS docs_vocab; DROP TABLE IF EXISTS docs_fts; DROP TABLE IF EXISTS docs;
DROP TABLE IF EXISTS docs_json; DROP TABLE IF EXISTS docs_title;
DROP TABLE IF EXISTS terms_tri; DROP TABLE IF EXISTS terms; DROP TABLE IF EXISTS changes;
DROP TABLE IF EXISTS cache_snapshot;
"""


# One encoder for all writes: json.dumps() with options builds a new encoder on every call.
# default=str: a payload value JSON cannot hold (a date, a Decimal) comes back as its text.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def _json_list(values: Sequence[str]) -> str:
    """A JSON array of strings, built directly: this runs four times per document on reindex."""
    return "[" + ",".join(map(encode_basestring, values)) + "]"


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def ints(csv: str | None) -> np.ndarray:
    """Parse group_concat(rowid) output: one string is far cheaper than one Python row per match."""
    if not csv:
        return np.zeros(0, np.int64)
    return np.fromstring(csv, dtype=np.int64, sep=",")


def floats(csv: str | None) -> np.ndarray:
    if not csv:
        return np.zeros(0, np.float64)
    return np.fromstring(csv, dtype=np.float64, sep=",")


def doc_rows(doc: Document) -> tuple[tuple[Any, ...], tuple[str, str, str]]:
    """The docs row (without rowid; the JSON document last) and the folded FTS row of one document."""
    fts = (fold(doc.title), fold(doc.text), fold(f"{doc.municipality} {doc.region}"))
    geo = doc.lat is not None and doc.lon is not None
    row = (
        doc.id,
        doc.type,
        doc.kind or "",
        doc.municipality or "",
        _json_list(doc.facet_values("themes")),
        _json_list(doc.facet_values("need_kinds")),
        _json_list(doc.facet_values("target_groups")),
        _json_list(doc.facet_values("eligible_for")),
        doc.deadline or None,
        float(doc.lat) if doc.lat is not None and geo else None,
        float(doc.lon) if doc.lon is not None and geo else None,
        sum(len(col.split()) for col in fts),  # close enough to the tokenizer's count for bm25
        _JSON.encode(doc.to_dict()),
    )
    return row, fts
