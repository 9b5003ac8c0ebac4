"""Approval history: officer decisions indexed for "what was decided before time t" look-ups.

Every count here takes only decisions strictly before a cut-off time, so a training row never sees its own
decision or a later one, and a live request at ``ctx.as_of`` sees only the past.

Two kinds of rate come from it:

- per (government, initiative): ``counts``/``rate``/``counts_by_code``, the ``approval_rate`` feature,
  Beta(a, b)-smoothed;
- what a company, and companies of its sector, deliver well, per need kind and per route (``group_rates``):
  smoothed with hierarchical shrinkage, company -> its sector -> everyone, over every government's decisions::

      everyone(v) = (approved_v + m * base) / (n_v + m)          base = Beta(a, b)-smoothed rate of all decisions
      sector(v)   = (approved_sv + m * everyone(v)) / (n_sv + m)  sector(v) = everyone(v) when the sector is ""
      company(v)  = (approved_cv + m * sector(v)) / (n_cv + m)

  where v is a need kind (or a route), s the company's sector, c the company and m = ``shrinkage``
  (``SHRINKAGE`` = 4 pseudo-decisions per level). A few decisions move a rate little; many decisions of a
  company speak for themselves. A decision with an unknown kind ("") counts only for the base rate and the
  route rates.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from .types import DecisionRecord

APPROVAL_PRIOR_A = 2.0
APPROVAL_PRIOR_B = 2.0
SHRINKAGE = 4.0  # pseudo-decisions that pull a company's rate to its sector's, and a sector's to everyone's


def smoothed_rate(approved: Any, n: Any, a: float = APPROVAL_PRIOR_A, b: float = APPROVAL_PRIOR_B) -> Any:
    """Posterior mean of a Beta(a, b) prior after ``approved`` approvals in ``n`` decisions."""
    return (np.asarray(approved, dtype=np.float64) + a) / (np.asarray(n, dtype=np.float64) + a + b)


# ---------------------------------------------------------------------------------------------------------
# Approval history


class ApprovalStats:
    """Officer decisions indexed per (government, initiative) for O(log n) "rate before time t" look-ups.

    ``counts(gov, slug, before)`` counts only decisions with ``decided_at < before`` (strictly), so a
    training row never sees its own decision or any later one, and a live request at ``ctx.as_of`` sees only
    the past. Keep ``decided_at`` values consistently naive or consistently aware.
    """

    def __init__(
        self,
        history: Iterable[DecisionRecord] = (),
        *,
        a: float = APPROVAL_PRIOR_A,
        b: float = APPROVAL_PRIOR_B,
        shrinkage: float = SHRINKAGE,
    ) -> None:
        self.a = float(a)
        self.b = float(b)
        self.shrinkage = float(shrinkage)
        grouped: dict[tuple[str, str], list[tuple[datetime, int]]] = defaultdict(list)
        series: dict[tuple[str, ...], list[tuple[datetime, int]]] = defaultdict(list)
        n = 0
        for rec in history:
            ok = 1 if rec.approved else 0
            item = (rec.decided_at, ok)
            grouped[(rec.government, rec.initiative_slug)].append(item)
            for key in _series_keys(rec.company_key, rec.company_sector, rec.need_kind, rec.route):
                series[key].append(item)
            n += 1
        self.n_records = n
        self._series: dict[tuple[str, ...], tuple[list[datetime], list[int]]] = {}
        for key, rows in series.items():
            rows.sort(key=lambda r: r[0])
            cum = [0]
            for _, ok in rows:
                cum.append(cum[-1] + ok)
            self._series[key] = ([r[0] for r in rows], cum)
        self._times: dict[tuple[str, str], list[datetime]] = {}
        self._cum: dict[tuple[str, str], list[int]] = {}
        self._by_gov: dict[str, list[str]] = defaultdict(list)
        for key, rows in grouped.items():
            rows.sort(key=lambda r: r[0])
            self._times[key] = [r[0] for r in rows]
            cum = [0]
            for _, ok in rows:
                cum.append(cum[-1] + ok)
            self._cum[key] = cum
            self._by_gov[key[0]].append(key[1])

    def __len__(self) -> int:
        return self.n_records

    def counts(self, government: str, initiative_slug: str, before: datetime) -> tuple[int, int]:
        """(approved, decided) for decisions strictly before ``before``."""
        key = (government, initiative_slug)
        times = self._times.get(key)
        if not times:
            return 0, 0
        k = bisect.bisect_left(times, before)
        return self._cum[key][k], k

    def rate(self, government: str, initiative_slug: str, before: datetime) -> float:
        approved, n = self.counts(government, initiative_slug, before)
        return float(smoothed_rate(approved, n, self.a, self.b))

    def counts_by_code(
        self, government: str, slug_code: Mapping[str, int], n_codes: int, before: datetime
    ) -> tuple[np.ndarray, np.ndarray]:
        """(approved, decided) arrays indexed by initiative code, counting decisions before ``before``.

        Loops over the initiatives this government has decided on (not over the candidates), so its cost
        does not grow with the candidate set.
        """
        approved = np.zeros(n_codes, dtype=np.float64)
        n = np.zeros(n_codes, dtype=np.float64)
        for slug in self._by_gov.get(government, ()):
            code = slug_code.get(slug)
            if code is not None and code < n_codes:
                approved[code], n[code] = self.counts(government, slug, before)
        return approved, n

    def rates(
        self, government: str, slugs: Sequence[str], before: datetime
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rate, approved, n) arrays aligned with ``slugs`` (typically the unique slugs of a candidate set)."""
        approved = np.zeros(len(slugs), dtype=np.float64)
        n = np.zeros(len(slugs), dtype=np.float64)
        if self._by_gov.get(government):
            for i, slug in enumerate(slugs):
                approved[i], n[i] = self.counts(government, slug, before)
        return smoothed_rate(approved, n, self.a, self.b), approved, n

    # --- what a company, and companies of its sector, deliver well

    def _count(self, key: tuple[str, ...], before: datetime) -> tuple[int, int]:
        found = self._series.get(key)
        if found is None:
            return 0, 0
        times, cum = found
        k = bisect.bisect_left(times, before)
        return cum[k], k

    def base_rate(self, before: datetime) -> float:
        """Beta(a, b)-smoothed approval rate of every decision before ``before``."""
        approved, n = self._count(("all",), before)
        return float(smoothed_rate(approved, n, self.a, self.b))

    def group_rates(
        self, company_key: str, sector: str, dimension: str, values: Sequence[str], before: datetime
    ) -> GroupRates:
        """Company- and sector-level rates for each need kind (``dimension="kind"``) or route ("route").

        ``values`` are the kinds (or routes) to look up, typically the distinct ones of a candidate set; the
        arrays in the result are aligned with them. See the module docstring for the shrinkage.
        """
        if dimension not in ("kind", "route"):
            raise ValueError("dimension is 'kind' or 'route'")
        d = dimension[0]
        m = self.shrinkage
        base = self.base_rate(before)
        size = len(values)
        out = GroupRates(
            company=np.full(size, base),
            sector=np.full(size, base),
            company_approved=np.zeros(size),
            company_n=np.zeros(size),
            sector_approved=np.zeros(size),
            sector_n=np.zeros(size),
        )
        for i, value in enumerate(values):
            if not value:
                continue
            a_v, n_v = self._count((d, value), before)
            everyone = (a_v + m * base) / (n_v + m)
            sector_rate = everyone
            if sector:
                a_s, n_s = self._count((d + "s", sector, value), before)
                sector_rate = (a_s + m * everyone) / (n_s + m)
                out.sector_approved[i], out.sector_n[i] = a_s, n_s
            a_c, n_c = self._count((d + "c", company_key, value), before)
            out.company[i] = (a_c + m * sector_rate) / (n_c + m)
            out.sector[i] = sector_rate
            out.company_approved[i], out.company_n[i] = a_c, n_c
        return out


@dataclass
class GroupRates:
    """Rates per need kind (or route) for one company at one moment, with the counts behind them."""

    company: np.ndarray  # shrunk company rate
    sector: np.ndarray  # shrunk sector rate (everyone's when the sector is unknown)
    company_approved: np.ndarray  # the company's own earlier decisions of this kind: approved ...
    company_n: np.ndarray  # ... of decided
    sector_approved: np.ndarray  # decisions of companies in the sector: approved ...
    sector_n: np.ndarray  # ... of decided


def _series_keys(company: str, sector: str, kind: str, route: str) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = [("all",)]
    for d, value in (("k", kind), ("r", route)):
        if not value:
            continue
        keys.append((d, value))
        keys.append((d + "c", company, value))
        if sector:
            keys.append((d + "s", sector, value))
    return keys


def as_stats(history: ApprovalStats | Iterable[DecisionRecord] | None) -> ApprovalStats:
    if isinstance(history, ApprovalStats):
        return history
    return ApprovalStats(history or ())
