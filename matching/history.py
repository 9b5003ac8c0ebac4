"""Approval history: officer decisions indexed for "what was decided before time t" look-ups.

Every count here takes only decisions strictly before a cut-off time, so a training row never sees its own
decision or a later one, and a live request at ``ctx.as_of`` sees only the past.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from .types import DecisionRecord

APPROVAL_PRIOR_A = 2.0
APPROVAL_PRIOR_B = 2.0


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
    ) -> None:
        self.a = float(a)
        self.b = float(b)
        grouped: dict[tuple[str, str], list[tuple[datetime, int]]] = defaultdict(list)
        n = 0
        for rec in history:
            grouped[(rec.government, rec.initiative_slug)].append((rec.decided_at, 1 if rec.approved else 0))
            n += 1
        self.n_records = n
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


def as_stats(history: ApprovalStats | Iterable[DecisionRecord] | None) -> ApprovalStats:
    if isinstance(history, ApprovalStats):
        return history
    return ApprovalStats(history or ())
