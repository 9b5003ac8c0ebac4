"""The planner: a bundle of pledges that covers the remaining obligation without breaking any capacity."""

from __future__ import annotations

import itertools
import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import PlanOption, plan, rank
from matching.planner import OVERSHOOT_WEIGHT, PREFERENCE_EPS, SHORTFALL_WEIGHT, options_from_recommendations
from matching.synthetic import make_candidates, make_context
from matching.types import ROUTES

from .conftest import SETTINGS

ORDER = ROUTES


@st.composite
def option_lists(draw, max_size: int = 12):
    n = draw(st.integers(0, max_size))
    out = []
    for i in range(n):
        out.append(
            PlanOption(
                candidate_id=f"need:{i}",
                unit_value_cents=draw(st.sampled_from([100, 2_500, 10_000, 500_000, 4_000_000])),
                max_units=draw(st.integers(0, 60)),
                score=draw(st.floats(0, 1)),
                route=draw(st.sampled_from(ROUTES)),
                eligible=draw(st.booleans()) if draw(st.booleans()) else True,
            )
        )
    return out


def _check_invariants(p, options, remaining):
    given_ids = {o.candidate_id: o for o in options}
    for item in p.items:
        o = given_ids[item.candidate_id]  # never an option that was not given
        assert o.eligible, "an ineligible option was used"
        assert 0 < item.units <= o.max_units, "capacity exceeded"
        assert item.value_cents == item.units * o.unit_value_cents
    assert len({i.candidate_id for i in p.items}) == len(p.items)
    assert p.total_cents == sum(i.value_cents for i in p.items)
    assert p.shortfall_cents == max(0, remaining - p.total_cents)
    assert p.overshoot_cents == max(0, p.total_cents - remaining)
    assert p.remaining_cents == remaining


@SETTINGS
@given(st.integers(0, 30_000_000), option_lists(), st.sampled_from([200, 0]))
def test_plan_respects_capacity_eligibility_and_adds_up(remaining, options, max_exact):
    p = plan(remaining, options, route_order=ORDER, max_exact=max_exact)
    _check_invariants(p, options, remaining)
    if max_exact == 0 and p.items:
        assert p.method == "greedy"


@SETTINGS
@given(st.integers(1, 30_000_000), option_lists(), st.randoms(use_true_random=False))
def test_option_order_does_not_matter(remaining, options, rnd):
    shuffled = list(options)
    rnd.shuffle(shuffled)
    a = plan(remaining, options, route_order=ORDER)
    b = plan(remaining, shuffled, route_order=ORDER)
    assert a.units() == b.units()


def _best_cost(remaining, options):
    usable = [o for o in options if o.eligible and o.max_units > 0]
    best = SHORTFALL_WEIGHT * remaining
    for units in itertools.product(*(range(o.max_units + 1) for o in usable)):
        total = sum(u * o.unit_value_cents for u, o in zip(units, usable, strict=True))
        cost = SHORTFALL_WEIGHT * max(0, remaining - total) + OVERSHOOT_WEIGHT * max(0, total - remaining)
        best = min(best, cost)
    return best


@SETTINGS
@given(
    st.integers(1, 200_000),
    st.lists(
        st.tuples(st.sampled_from([1_000, 2_500, 7_000, 10_000, 45_000]), st.integers(0, 6), st.floats(0, 1)),
        max_size=4,
    ),
)
def test_exact_plans_cover_as_closely_as_brute_force(remaining, raw):
    options = [PlanOption(f"need:{i}", v, m, s, "paid_work") for i, (v, m, s) in enumerate(raw)]
    p = plan(remaining, options, route_order=ORDER)
    cost = SHORTFALL_WEIGHT * p.shortfall_cents + OVERSHOOT_WEIGHT * p.overshoot_cents
    slack = PREFERENCE_EPS * sum(o.unit_value_cents * o.max_units for o in options) + 1e-6
    assert cost <= _best_cost(remaining, options) + slack


def test_covers_exactly_when_it_can():
    options = [
        PlanOption("need:job", 4_000_000, 1, 0.9, "paid_work"),
        PlanOption("need:hours", 10_000, 200, 0.5, "social_domain"),
        PlanOption("need:purchase", 100, 50_000, 0.4, "labour_participation"),
    ]
    p = plan(5_123_400, options, route_order=ORDER)
    assert p.total_cents == 5_123_400 and p.shortfall_cents == 0 and p.overshoot_cents == 0
    assert p.method == "milp"
    assert p.units()["need:job"] == 1


def test_prefers_higher_scores_then_preferred_routes():
    twins = [
        PlanOption("need:a", 10_000, 100, 0.2, "paid_work"),
        PlanOption("need:b", 10_000, 100, 0.9, "paid_work"),
    ]
    assert plan(500_000, twins, route_order=ORDER).units() == {"need:b": 50}
    routes = [
        PlanOption("need:a", 10_000, 100, 0.5, "social_enterprise"),
        PlanOption("need:b", 10_000, 100, 0.5, "paid_work"),
    ]
    assert plan(500_000, routes, route_order=ORDER).units() == {"need:b": 50}
    assert plan(500_000, routes, route_order=tuple(reversed(ORDER))).units() == {"need:a": 50}


def test_ineligible_options_are_never_used_even_when_they_would_fit_perfectly():
    options = [
        PlanOption("need:perfect", 1_000_000, 1, 1.0, "paid_work", eligible=False),
        PlanOption("need:other", 300_000, 3, 0.1, "social_domain"),
    ]
    p = plan(1_000_000, options, route_order=ORDER)
    assert "need:perfect" not in p.units()
    assert p.units() == {"need:other": 3} and p.shortfall_cents == 100_000


def test_prefers_a_small_overshoot_to_a_larger_shortfall():
    options = [PlanOption("need:a", 40_000, 10, 0.5, "paid_work")]
    p = plan(100_000, options, route_order=ORDER)  # 2 units = 20k short, 3 units = 20k over
    assert p.units() == {"need:a": 3} and p.overshoot_cents == 20_000
    p = plan(100_000, [PlanOption("need:a", 90_000, 10, 0.5, "paid_work")], route_order=ORDER)
    assert p.units() == {"need:a": 1} and p.shortfall_cents == 10_000  # 80k over would cost more


def test_nothing_to_cover_or_nothing_to_use():
    assert plan(0, [PlanOption("need:a", 100, 5)]).items == ()
    p = plan(1_000, [])
    assert p.items == () and p.shortfall_cents == 1_000
    with pytest.raises(ValueError):
        plan(1_000, [PlanOption("need:a", 100, 5), PlanOption("need:a", 100, 5)])


def test_plans_from_recommendations_at_scale():
    ctx = make_context(5)
    recs = rank(ctx, make_candidates(2_000, seed=13), limit=500)
    options = options_from_recommendations(recs)
    random.Random(0).shuffle(options)
    started = time.perf_counter()
    p = plan(ctx.remaining_cents, options, route_order=ctx.route_order)
    elapsed = time.perf_counter() - started
    _check_invariants(p, options, ctx.remaining_cents)
    assert p.method == "greedy"
    assert p.shortfall_cents + p.overshoot_cents <= 100  # hours and euro-purchases make fine steps
    assert elapsed < 5  # the benchmark measures it properly; this only catches a blow-up
    small = plan(ctx.remaining_cents, options[:50], route_order=ctx.route_order)
    _check_invariants(small, options[:50], ctx.remaining_cents)
