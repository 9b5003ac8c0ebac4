"""The planner: a bundle of pledges that together cover the remaining obligation.

Input: the remaining obligation in cents and options (candidate id, unit value, capacity, score, route, and
min units, default 0). Output: integer units per option.

Objective, in this order of importance:
1. cover the remaining obligation as closely as possible. A cent short costs ``SHORTFALL_WEIGHT`` (1.0), a
   cent over costs ``OVERSHOOT_WEIGHT`` (0.5): the company would rather do a little more than leave part of
   its obligation open (the shortfall is withheld from its payment), but every cent over is wasted effort;
2. among plans that cover equally well, put the value on preferred options:
   ``preference = 0.7 x score + 0.3 x route preference`` (the government's route ladder, as in the features),
   rewarded per cent of value with a factor ``PREFERENCE_EPS`` (1e-4), so preference can never buy more than
   about 0.01% of extra coverage error.

Hard rules: never more units than an option's capacity (``max_units``), never fewer than ``min_units``, never
an ineligible option or one that was not given, integer units only.

Methods:
- ``milp`` (up to ``max_exact`` eligible options, default 200): exact coverage with ``scipy.optimize.milp``
  (HiGHS), in two lexicographic phases. Variables x_i (integer units), s (shortfall), o (overshoot), scaled by
  the remaining obligation R:
      phase 1   minimise s + 0.5 o            subject to  sum_i (v_i / R) x_i + s - o = 1,
                                                          min_i <= x_i <= max_i,  s, o >= 0
      phase 2   maximise sum_i pref_i (v_i / R) x_i   subject to the same, and s + 0.5 o <= phase-1 optimum
  The polished greedy plan (below) is the starting point. Phase 2 runs only when the greedy plan covers
  worse than phase 1: when it covers as well, it already puts value on options in preference order, which
  is the optimum of phase 2's LP relaxation. The best of the candidates by the objective above, in exact
  integer cents, is returned; ``Plan.optimal`` says HiGHS proved that no plan covers more closely.
  Each solve has a budget of ``node_limit`` branch-and-bound nodes (deterministic: the same input gives the
  same plan) and a ``time_limit`` backstop (1 s; only a very slow machine reaches it, and then the answer
  may vary). Floating point cannot see single cents on large obligations, so every MILP answer is polished
  in exact integers (``_polish``).
- ``greedy`` (more options): take options by preference (then id); give each as many whole units as fit in
  the gap without going over; then, if a gap remains, add one unit of the option that closes it with the
  least overshoot, when that overshoot costs less than the remaining shortfall; then polish. O(n log n) plus
  the polish; it covers well when small-unit options (hours, euros) exist, and never exceeds a capacity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from .features import route_preference

SHORTFALL_WEIGHT = 1.0
OVERSHOOT_WEIGHT = 0.5
PREFERENCE_EPS = 1e-4
SCORE_SHARE = 0.7  # preference = 0.7 x score + 0.3 x route preference
DEFAULT_MAX_EXACT = 200
DEFAULT_TIME_LIMIT = 1.0  # seconds: a backstop for the MILP on a slow machine
DEFAULT_NODE_LIMIT = 200  # branch-and-bound nodes: the deterministic budget for the MILP


@dataclass(frozen=True)
class PlanOption:
    candidate_id: str
    unit_value_cents: int
    max_units: int  # open capacity
    score: float = 0.0
    route: str = ""
    min_units: int = 0
    eligible: bool = True


@dataclass(frozen=True)
class PlanItem:
    candidate_id: str
    units: int
    value_cents: int
    unit_value_cents: int
    score: float
    route: str


@dataclass(frozen=True)
class Plan:
    items: tuple[PlanItem, ...]
    remaining_cents: int
    total_cents: int
    shortfall_cents: int
    overshoot_cents: int
    method: str  # "milp" | "greedy" | "none"
    optimal: bool = False  # the MILP proved optimality

    @property
    def covered(self) -> bool:
        return self.shortfall_cents == 0

    def units(self) -> dict[str, int]:
        return {item.candidate_id: item.units for item in self.items}


def _as_option(o: PlanOption | Mapping[str, Any]) -> PlanOption:
    if isinstance(o, PlanOption):
        return o
    return PlanOption(**dict(o))


def options_from_recommendations(recommendations: Iterable[Any]) -> list[PlanOption]:
    """Plan options from Recommendation objects (their candidate's unit value, open units and score)."""
    return [
        PlanOption(
            candidate_id=r.candidate.id,
            unit_value_cents=int(r.candidate.unit_value_cents),
            max_units=int(r.candidate.open_units),
            score=float(r.score),
            route=r.candidate.route,
        )
        for r in recommendations
    ]


def _cost(total: int, remaining: int) -> float:
    short = max(0, remaining - total)
    over = max(0, total - remaining)
    return SHORTFALL_WEIGHT * short + OVERSHOOT_WEIGHT * over


def _objective(units: np.ndarray, values: np.ndarray, pref: np.ndarray, remaining: int) -> float:
    total = int(np.dot(units.astype(np.int64), values.astype(np.int64)))
    bonus = float(np.dot(pref * values, units))
    return (_cost(total, remaining) - PREFERENCE_EPS * bonus) / max(remaining, 1)


def _greedy(
    values: np.ndarray, lo: np.ndarray, hi: np.ndarray, pref: np.ndarray, ids: list[str], remaining: int
) -> np.ndarray:
    units = lo.copy()
    gap = remaining - int(np.dot(units, values))
    order = sorted(range(len(ids)), key=lambda i: (-pref[i], ids[i]))
    for i in order:
        if gap <= 0:
            break
        v = int(values[i])
        take = min(int(hi[i] - units[i]), gap // v)
        if take > 0:
            units[i] += take
            gap -= take * v
    if gap > 0:
        best = None
        for i in order:
            if units[i] < hi[i]:
                over = int(values[i]) - gap
                if over >= 0 and (best is None or over < best[0]):
                    best = (over, i)
        if best is not None and OVERSHOOT_WEIGHT * best[0] < SHORTFALL_WEIGHT * gap:
            units[best[1]] += 1
    return units


def _polish(
    units: np.ndarray, values: np.ndarray, lo: np.ndarray, hi: np.ndarray, pref: np.ndarray, remaining: int
) -> np.ndarray:
    """Exact-integer local search: move one option's units to the floor or ceiling of the gap while it helps.

    The MILP works in floating point scaled by the obligation, so for large obligations it cannot see a few
    cents; this step fixes that, and it also improves greedy plans. O(n) per step, at most 2n steps.
    """
    units = units.copy()
    v = values.astype(np.int64)
    total = int(np.dot(units, v))
    bonus = float(np.dot(pref * v, units))

    def cost(t: int, b: float) -> float:
        return _cost(t, remaining) - PREFERENCE_EPS * b

    current = cost(total, bonus)
    for _ in range(2 * len(units) + 1):
        gap = remaining - total
        best = None
        for i in range(len(units)):
            vi = int(v[i])
            for d in {gap // vi, gap // vi + 1, -1, 1}:
                d = max(int(lo[i] - units[i]), min(int(hi[i] - units[i]), d))
                if d == 0:
                    continue
                c = cost(total + d * vi, bonus + pref[i] * vi * d)
                if c < current - 1e-9 and (best is None or c < best[0]):
                    best = (c, i, d)
        if best is None:
            break
        current, i, d = best
        units[i] += d
        total += d * int(v[i])
        bonus += pref[i] * int(v[i]) * d
    return units


def _coverage(units: np.ndarray, values: np.ndarray, remaining: int) -> float:
    return _cost(int(np.dot(units, values.astype(np.int64))), remaining)


def _exact(
    values: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    pref: np.ndarray,
    remaining: int,
    start: np.ndarray,
    time_limit: float,
    node_limit: int,
) -> tuple[np.ndarray, bool]:
    """The best plan found by two lexicographic MILPs and the (polished greedy) ``start``.

    Returns (units, proved) where ``proved`` means HiGHS proved no plan covers more closely.
    """
    n = len(values)
    vf = values.astype(np.float64)
    a = vf / float(remaining)
    # variables: x_0..x_{n-1}, s, o (shortfall and overshoot as fractions of the remaining obligation)
    cover = LinearConstraint(np.concatenate((a, [1.0, -1.0]))[None, :], 1.0, 1.0)
    bounds = Bounds(
        np.concatenate((lo, [0.0, 0.0])).astype(np.float64),
        np.concatenate((hi.astype(np.float64), [1.0, max(1.0, float(np.dot(hi, a)))])),
    )
    integrality = np.concatenate((np.ones(n), [0, 0]))
    opts = {"time_limit": time_limit, "node_limit": node_limit, "mip_rel_gap": 1e-3, "presolve": True}

    # phase 1: coverage only (x 1e6, so HiGHS's absolute gap of 1e-6 does not hide a few euros)
    c1 = np.concatenate((np.zeros(n), 1e6 * np.array([SHORTFALL_WEIGHT, OVERSHOOT_WEIGHT])))
    res = milp(c1, constraints=[cover], integrality=integrality, bounds=bounds, options=opts)
    if res.x is None:
        return start, False
    proved = res.status == 0
    x1 = _polish(np.clip(np.round(res.x[:n]), lo, hi).astype(np.int64), values, lo, hi, pref, remaining)
    found = [start, x1]
    best_cover = min(_coverage(start, values, remaining), _coverage(x1, values, remaining))

    # phase 2, only when the greedy start covers worse than phase 1: the most preferred plan that covers as
    # well (one cent of slack). When the start already covers as well, it is also the preference optimum of
    # the LP relaxation (value goes to options in preference order), so a second solve would add little.
    if _coverage(start, values, remaining) > best_cover:
        budget = LinearConstraint(
            np.concatenate((np.zeros(n), [SHORTFALL_WEIGHT, OVERSHOOT_WEIGHT]))[None, :],
            -np.inf,
            (best_cover + 1.0) / remaining,
        )
        c2 = np.concatenate((-pref * a, [0.0, 0.0]))
        res2 = milp(c2, constraints=[cover, budget], integrality=integrality, bounds=bounds, options=opts)
        if res2.x is not None:
            x2 = np.clip(np.round(res2.x[:n]), lo, hi).astype(np.int64)
            found.append(_polish(x2, values, lo, hi, pref, remaining))
    best = min(found, key=lambda u: _objective(u, values, pref, remaining))  # first wins ties: the start
    return best, proved and _coverage(best, values, remaining) <= best_cover


def plan(
    remaining_cents: int,
    options: Sequence[PlanOption | Mapping[str, Any]],
    *,
    route_order: Sequence[str] = (),
    max_exact: int = DEFAULT_MAX_EXACT,
    time_limit: float = DEFAULT_TIME_LIMIT,
    node_limit: int = DEFAULT_NODE_LIMIT,
) -> Plan:
    """Integer units per option that cover ``remaining_cents`` as closely as possible (module docstring)."""
    remaining = int(remaining_cents)
    opts = [_as_option(o) for o in options]
    seen: set[str] = set()
    usable: list[PlanOption] = []
    for o in opts:
        if o.candidate_id in seen:
            raise ValueError(f"option {o.candidate_id!r} given twice")
        seen.add(o.candidate_id)
        if o.eligible and o.unit_value_cents > 0 and o.max_units > 0 and o.max_units >= o.min_units:
            usable.append(o)
    usable.sort(key=lambda o: o.candidate_id)  # canonical order: input order never matters
    if remaining <= 0 or not usable:
        forced = [o for o in usable if o.min_units > 0]
        items = tuple(
            PlanItem(
                o.candidate_id,
                o.min_units,
                o.min_units * o.unit_value_cents,
                o.unit_value_cents,
                o.score,
                o.route,
            )
            for o in forced
        )
        total = sum(i.value_cents for i in items)
        return Plan(
            items, remaining, total, max(0, remaining - total), max(0, total - remaining), "none", True
        )

    ids = [o.candidate_id for o in usable]
    values = np.array([o.unit_value_cents for o in usable], dtype=np.int64)
    lo = np.array([max(0, o.min_units) for o in usable], dtype=np.int64)
    hi = np.array([o.max_units for o in usable], dtype=np.int64)
    # never more units than needed to cover the remaining obligation on their own, plus one
    hi = np.minimum(hi, np.maximum(lo, -(-remaining // values)))
    score = np.clip(np.nan_to_num(np.array([o.score for o in usable], dtype=np.float64)), 0.0, 1.0)
    route = np.array([route_preference(o.route, route_order) if route_order else 0.5 for o in usable])
    pref = SCORE_SHARE * score + (1.0 - SCORE_SHARE) * route

    units = _polish(_greedy(values, lo, hi, pref, ids, remaining), values, lo, hi, pref, remaining)
    method, optimal = "greedy", False
    if len(usable) <= max_exact:
        units, optimal = _exact(values, lo, hi, pref, remaining, units, time_limit, node_limit)
        method = "milp"

    items = tuple(
        PlanItem(
            ids[i],
            int(units[i]),
            int(units[i]) * int(values[i]),
            int(values[i]),
            float(score[i]),
            usable[i].route,
        )
        for i in range(len(ids))
        if units[i] > 0
    )
    total = sum(item.value_cents for item in items)
    return Plan(
        items=items,
        remaining_cents=remaining,
        total_cents=total,
        shortfall_cents=max(0, remaining - total),
        overshoot_cents=max(0, total - remaining),
        method=method,
        optimal=optimal,
    )


__all__ = ["Plan", "PlanItem", "PlanOption", "plan", "options_from_recommendations"]
