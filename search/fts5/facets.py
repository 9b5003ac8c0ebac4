"""Facet bitsets and sort keys in memory (numpy), and the result order.

Facet counting and filtering run on per-value bitsets indexed by docs.rowid, so their cost does not grow
with the number of matching rows the way a GROUP BY over a side table would.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..base import FACETS
from .schema import floats, ints

MULTI = ("themes", "need_kinds", "target_groups", "eligible_for")
SINGLE = ("type", "kind", "municipality")
EARTH_RADIUS_KM = 6371.0088


def haversine_km(
    lat1: float, lon1: float, lat2: npt.NDArray[np.float64], lon2: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Great-circle distance from one point to many, in km."""
    p1, p2 = math.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - math.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    km: npt.NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return km


class FacetCache:
    """Per-value bitsets and sort keys, indexed by docs.rowid; kept in step through the change log."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.epoch: str | None = None
        self.seq = 0
        self.cap = 0
        self.alive = np.zeros(0, np.uint8)
        self.bits: dict[str, dict[str, np.ndarray]] = {f: {} for f in FACETS}
        self.deadline = np.zeros(0, np.float64)
        self.lat = np.zeros(0, np.float64)
        self.lon = np.zeros(0, np.float64)
        self.length = np.zeros(0, np.float64)  # tokens per document, for the bm25 estimate
        self.n_docs = 0
        self.total_length = 0.0

    @property
    def avg_length(self) -> float:
        return self.total_length / self.n_docs if self.n_docs else 1.0

    # -- sizing -------------------------------------------------------------------------------------
    def _ensure(self, max_rowid: int) -> None:
        if max_rowid < self.cap:
            return
        cap = max(1024, self.cap)
        while cap <= max_rowid:
            cap *= 2
        grow = (cap - self.cap) // 8

        def pad(a: np.ndarray) -> np.ndarray:
            return np.concatenate([a, np.zeros(grow, np.uint8)])

        self.alive = pad(self.alive)
        for values in self.bits.values():
            for v in list(values):
                values[v] = pad(values[v])
        extra = cap - self.cap
        self.deadline = np.concatenate([self.deadline, np.full(extra, np.inf)])
        self.lat = np.concatenate([self.lat, np.full(extra, np.nan)])
        self.lon = np.concatenate([self.lon, np.full(extra, np.nan)])
        self.length = np.concatenate([self.length, np.zeros(extra)])
        self.cap = cap

    def _value_bits(self, facet: str, value: str) -> np.ndarray:
        arr = self.bits[facet].get(value)
        if arr is None:
            arr = self.bits[facet][value] = np.zeros(self.cap // 8, np.uint8)
        return arr

    # -- loading ------------------------------------------------------------------------------------
    def _load_keys(self, conn: sqlite3.Connection) -> np.ndarray:
        """Size the arrays and read every document's sort keys in one scan; returns the live rowids."""
        ids, days, lat, lon, ntok = conn.execute(
            "SELECT group_concat(rowid), group_concat(ifnull(julianday(deadline), -1)),"
            " group_concat(ifnull(lat, 999)), group_concat(ifnull(lon, 999)), group_concat(ntok) FROM docs"
        ).fetchone()
        rowids = ints(ids)
        self._ensure(int(rowids.max()) if len(rowids) else 0)
        self.alive = self._pack(rowids)
        if len(rowids):
            d = floats(days)
            self.deadline[rowids] = np.where(d < 0, np.inf, d)
            la, lo = floats(lat), floats(lon)
            self.lat[rowids] = np.where(la == 999, np.nan, la)
            self.lon[rowids] = np.where(lo == 999, np.nan, lo)
            self.length[rowids] = floats(ntok)
        self.n_docs = len(rowids)
        self.total_length = float(self.length.sum())
        return rowids

    def load(self, conn: sqlite3.Connection, epoch: str, seq: int) -> None:
        """Full rebuild; SQLite groups rowids by facet value so Python never loops over documents."""
        self._reset()
        self._load_keys(conn)
        for facet in SINGLE:
            sql = f"SELECT {facet}, group_concat(rowid) FROM docs WHERE {facet} != '' GROUP BY {facet}"
            self.bits[facet] = {v: self._pack(ints(r)) for v, r in conn.execute(sql)}
        for facet in MULTI:
            sql = (
                f"SELECT j.value, group_concat(d.rowid) FROM docs d, json_each(d.{facet}) j GROUP BY j.value"
            )
            self.bits[facet] = {str(v): self._pack(ints(r)) for v, r in conn.execute(sql)}
        self.epoch, self.seq = epoch, seq

    def build(
        self, conn: sqlite3.Connection, rows_by_value: dict[str, dict[str, list[int]]], epoch: str, seq: int
    ) -> None:
        """Like load(), with the rowids per facet value already known (a reindex collects them)."""
        self._reset()
        self._load_keys(conn)
        for facet in FACETS:
            found = rows_by_value.get(facet, {})
            self.bits[facet] = {v: self._pack(np.asarray(r, np.int64)) for v, r in found.items()}
        self.epoch, self.seq = epoch, seq

    # -- snapshot in the index file -----------------------------------------------------------------
    def dump(self) -> list[tuple[str, bytes]]:
        """The cache as named blobs: a JSON header, the sort keys, and all bitsets in one blob."""
        values = {f: sorted(self.bits[f]) for f in FACETS}
        header = {"cap": self.cap, "n_docs": self.n_docs, "total_length": self.total_length, "values": values}
        bits = b"".join(self.bits[f][v].tobytes() for f in FACETS for v in values[f])
        return [
            ("header", json.dumps(header).encode()),
            ("alive", self.alive.tobytes()),
            ("bits", bits),
            ("deadline", self.deadline.tobytes()),
            ("lat", self.lat.tobytes()),
            ("lon", self.lon.tobytes()),
            ("length", self.length.tobytes()),
        ]

    def restore(self, blobs: dict[str, bytes], epoch: str, seq: int) -> None:
        """The inverse of dump(); arrays are copied out of the blobs, so they stay writable."""
        self._reset()
        header = json.loads(blobs["header"])
        cap = self.cap = int(header["cap"])
        self.n_docs, self.total_length = int(header["n_docs"]), float(header["total_length"])
        self.alive = np.frombuffer(blobs["alive"], np.uint8).copy()
        bits = np.frombuffer(blobs["bits"], np.uint8).reshape(-1, cap // 8) if cap else np.zeros((0, 0))
        i = 0
        for facet in FACETS:
            for v in header["values"][facet]:
                self.bits[facet][v] = bits[i].copy()
                i += 1
        for name in ("deadline", "lat", "lon", "length"):
            setattr(self, name, np.frombuffer(blobs[name], np.float64).copy())
        self.epoch, self.seq = epoch, seq

    def _pack(self, rowids: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.cap, np.bool_)
        mask[rowids] = True
        return np.packbits(mask, bitorder="little")

    def clear(self, rowid: int) -> None:
        if rowid >= self.cap:
            return
        byte, bit = rowid >> 3, np.uint8(1 << (rowid & 7))
        if self.alive[byte] & bit:
            self.n_docs -= 1
            self.total_length -= self.length[rowid]
        keep = ~bit
        self.alive[byte] &= keep
        for values in self.bits.values():
            for arr in values.values():
                arr[byte] &= keep
        self.deadline[rowid] = np.inf
        self.lat[rowid] = self.lon[rowid] = np.nan
        self.length[rowid] = 0.0

    def set(self, row: tuple[Any, ...]) -> None:
        rowid = row[0]
        self._ensure(rowid)
        self.clear(rowid)
        byte, bit = rowid >> 3, np.uint8(1 << (rowid & 7))
        self.alive[byte] |= bit
        for i, facet in enumerate(SINGLE, start=1):
            if row[i]:
                self._value_bits(facet, row[i])[byte] |= bit
        for i, facet in enumerate(MULTI, start=4):
            for v in json.loads(row[i] or "[]"):
                self._value_bits(facet, v)[byte] |= bit
        self.deadline[rowid] = np.inf if row[8] is None or row[8] < 0 else row[8]
        self.lat[rowid] = np.nan if row[9] is None else row[9]
        self.lon[rowid] = np.nan if row[10] is None else row[10]
        self.length[rowid] = row[11]
        self.n_docs += 1
        self.total_length += row[11]

    # -- querying -----------------------------------------------------------------------------------
    def filter_mask(self, filters: dict[str, tuple[str, ...]]) -> np.ndarray:
        """Packed bitset of live docs passing the filters (OR within a facet, AND across)."""
        mask = self.alive.copy()
        for facet, values in filters.items():
            any_of = np.zeros_like(mask)
            for v in values:
                arr = self.bits[facet].get(v)
                if arr is not None:
                    any_of |= arr
            mask &= any_of
        return mask

    @staticmethod
    def unpack(packed: np.ndarray) -> np.ndarray:
        return np.unpackbits(packed, bitorder="little").view(np.bool_)

    def pack_rows(self, rowids: np.ndarray) -> np.ndarray:
        return self._pack(rowids)

    def counts(self, selected: np.ndarray, facets: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per facet value, how many selected docs carry it (zeros left out, biggest first)."""
        sel64 = selected.view(np.uint64)
        out: dict[str, dict[str, int]] = {}
        for facet in facets:
            found: dict[str, int] = {}
            for v, arr in self.bits[facet].items():
                n = int(np.bitwise_count(np.bitwise_and(arr.view(np.uint64), sel64)).sum())
                if n:
                    found[v] = n
            out[facet] = dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
        return out


def result_order(
    sort: str,
    rows: np.ndarray,
    scores: np.ndarray | None,
    tier: np.ndarray | None,
    deadline: np.ndarray,
    dist: np.ndarray | None,
    need: int,
) -> np.ndarray:
    """Indices into rows in result order; only the first `need` are guaranteed to be sorted.

    Relevance is (tier, score); without query text it is index order. Deadline and distance sort
    first on their key (missing values last) and break ties by relevance.
    """
    n = len(rows)
    if not n:
        return np.zeros(0, np.int64)
    relevance: list[np.ndarray] = []  # least significant first, as np.lexsort wants
    rel_key: np.ndarray | None = None
    if scores is not None and tier is not None:
        relevance = [-scores, tier]
        rel_key = tier.astype(np.float64) * 1e9 - scores
    if sort == "deadline":
        primary = deadline
    elif sort == "distance" and dist is not None:
        primary = np.where(np.isnan(dist), np.inf, dist)
    elif rel_key is not None:
        primary, relevance = rel_key, []
    else:
        return np.arange(n)  # rows come in rowid order already
    keys = [rows, *relevance, primary]
    if need < n // 4:
        # Pre-select the rows that can reach the page, then sort only those exactly.
        cut = np.partition(primary, need - 1)[need - 1]
        cand = np.flatnonzero(primary <= cut)
        return cand[np.lexsort([k[cand] for k in keys])]
    return np.lexsort(keys)
