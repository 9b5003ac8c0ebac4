"""Embedded search on SQLite FTS5: bm25 ranking, prefix and typo tolerance, facet counts, geo sort.

Modules: schema (the index file's tables and rows), analysis (query words, typo corrections, postings
and bm25), facets (in-memory bitsets, counts and result order) and backend (the SearchBackend).
"""

from __future__ import annotations

from .backend import FTS5Backend

__all__ = ["FTS5Backend"]
