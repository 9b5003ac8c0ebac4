"""Obligation and totals: the counting rules of the policy, including property-based checks (Hypothesis)."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from marketplace.counting import totals
from marketplace.policy import ContractFacts, ObligationState, Policy, obligation, term_months

FIVE_PERCENT = Policy(percentage_bp=500, threshold_cents=25_000_000)
STATUSES = ["proposed", "approved", "rejected", "changes_requested", "delivered", "cancelled"]
AWARD, END = date(2025, 1, 1), date(2026, 12, 31)


def facts(
    sum_cents: int, labour: int | None = None, kind: str = "services", end: date = END
) -> ContractFacts:
    return ContractFacts(
        sum_cents=sum_cents, kind=kind, award_date=AWARD, end_date=end, labour_component_cents=labour
    )


def test_two_million_contract_at_five_percent_owes_100000_euro() -> None:
    ob = obligation(FIVE_PERCENT, facts(200_000_000))
    assert (ob.state, ob.amount_cents) == (ObligationState.AMOUNT, 10_000_000)


def test_below_threshold_asks_one_social_activity() -> None:
    assert obligation(FIVE_PERCENT, facts(24_999_999)).state == ObligationState.SMALL


def test_below_threshold_without_a_small_rule_asks_nothing() -> None:
    policy = Policy(percentage_bp=500, threshold_cents=25_000_000, small_contract_rule="none")
    assert obligation(policy, facts(24_999_999)).state == ObligationState.NONE


def test_at_the_threshold_the_percentage_applies() -> None:
    assert obligation(FIVE_PERCENT, facts(25_000_000)).amount_cents == 1_250_000


def test_schiedam_threshold_per_contract_kind() -> None:
    # EUR 125,000 for services and supplies, EUR 225,000 for works: EUR 200,000 of works asks one activity.
    schiedam = Policy(percentage_bp=500, threshold_cents=12_500_000, thresholds_by_kind={"works": 22_500_000})
    assert obligation(schiedam, facts(20_000_000, kind="works")).state == ObligationState.SMALL
    assert obligation(schiedam, facts(20_000_000, kind="services")).amount_cents == 1_000_000


def test_rijk_minimum_term_of_six_months() -> None:
    rijk = Policy(percentage_bp=500, threshold_cents=25_000_000, min_term_months=6)
    assert (
        obligation(rijk, facts(30_000_000, end=date(2025, 5, 31))).state == ObligationState.NONE
    )  # 5 months
    assert obligation(rijk, facts(30_000_000, end=date(2025, 6, 30))).amount_cents == 1_500_000  # 6 months


def test_cap_limits_the_obligation() -> None:
    sudwest = Policy(percentage_bp=200, threshold_cents=0, cap_cents=30_000_000)
    assert obligation(sudwest, facts(10_000_000_000)).amount_cents == 30_000_000


def test_annual_minimum_per_started_contract_year() -> None:
    # 2% of EUR 100,000 is EUR 2,000, under the EUR 2,500 a year for two years.
    policy = Policy(percentage_bp=200, threshold_cents=0, annual_minimum_cents=250_000)
    assert obligation(policy, facts(10_000_000)).amount_cents == 500_000


def test_labour_component_basis() -> None:
    policy = Policy(percentage_bp=500, threshold_cents=0, basis="labour_component")
    assert obligation(policy, facts(100_000_000, labour=20_000_000)).amount_cents == 1_000_000


def test_labour_component_basis_without_a_labour_component_cannot_be_computed() -> None:
    policy = Policy(percentage_bp=500, threshold_cents=0, basis="labour_component")
    ob = obligation(policy, facts(200_000_000, labour=None))
    assert (ob.state, ob.amount_cents, ob.missing) == (
        ObligationState.INCOMPLETE,
        0,
        "labour_component_cents",
    )


def test_leidschendam_two_percent_when_labour_is_under_thirty_percent() -> None:
    policy = Policy(
        percentage_bp=500, threshold_cents=0, low_labour_share_bp=3_000, low_labour_percentage_bp=200
    )
    assert obligation(policy, facts(100_000_000, labour=29_000_000)).amount_cents == 2_000_000  # 2%
    assert obligation(policy, facts(100_000_000, labour=30_000_000)).amount_cents == 5_000_000  # 5%
    assert obligation(policy, facts(100_000_000)).state == ObligationState.INCOMPLETE


def test_fixed_amount_basis() -> None:
    policy = Policy(basis="fixed_amount", fixed_amount_cents=750_000, threshold_cents=0)
    assert obligation(policy, facts(100_000_000)).amount_cents == 750_000


def test_term_months_count_whole_months() -> None:
    assert term_months(date(2025, 1, 1), date(2025, 12, 31)) == 12
    assert term_months(date(2025, 1, 15), date(2025, 7, 14)) == 6
    assert term_months(date(2025, 3, 1), date(2027, 3, 1)) == 24
    assert term_months(date(2025, 1, 1), date(2025, 1, 15)) == 0


def test_only_approved_and_delivered_count() -> None:
    t = totals(
        obligation(FIVE_PERCENT, facts(200_000_000)),
        [
            ("approved", 3_000_000),
            ("delivered", 1_000_000),
            ("proposed", 500_000),
            ("rejected", 9_000_000),
            ("cancelled", 9_000_000),
            ("changes_requested", 9_000_000),
        ],
    )
    assert (t.committed_cents, t.realised_cents, t.pending_cents, t.remaining_cents) == (
        4_000_000,
        1_000_000,
        500_000,
        6_000_000,
    )


matches = st.lists(
    st.tuples(st.sampled_from(STATUSES), st.integers(min_value=0, max_value=10**11)), max_size=30
)


@given(sum_cents=st.integers(min_value=25_000_000, max_value=10**13), ms=matches)
def test_remaining_is_never_negative_and_covers_the_obligation(
    sum_cents: int, ms: list[tuple[str, int]]
) -> None:
    ob = obligation(FIVE_PERCENT, facts(sum_cents))
    t = totals(ob, ms)
    assert t.remaining_cents >= 0
    assert t.committed_cents + t.remaining_cents >= ob.amount_cents


@given(sum_cents=st.integers(min_value=25_000_000, max_value=10**13), ms=matches)
def test_totals_equal_the_sums_of_their_matches(sum_cents: int, ms: list[tuple[str, int]]) -> None:
    t = totals(obligation(FIVE_PERCENT, facts(sum_cents)), ms)
    assert t.committed_cents == sum(v for s, v in ms if s in ("approved", "delivered"))
    assert t.realised_cents == sum(v for s, v in ms if s == "delivered")
    assert t.pending_cents == sum(v for s, v in ms if s == "proposed")
    assert t.realised_cents <= t.committed_cents


@given(
    sum_cents=st.integers(min_value=0, max_value=10**13),
    bp=st.integers(min_value=0, max_value=10_000),
    threshold=st.integers(min_value=0, max_value=10**9),
)
def test_obligation_is_exact_integer_cents(sum_cents: int, bp: int, threshold: int) -> None:
    ob = obligation(Policy(percentage_bp=bp, threshold_cents=threshold), facts(sum_cents))
    assert isinstance(ob.amount_cents, int)
    if sum_cents >= threshold:
        assert ob.state == ObligationState.AMOUNT and abs(ob.amount_cents * 10_000 - sum_cents * bp) <= 5_000
    else:
        assert ob.amount_cents == 0 and ob.state == ObligationState.SMALL


def test_policy_round_trips_through_its_frozen_form() -> None:
    policy = Policy(
        percentage_bp=200,
        thresholds_by_kind={"works": 22_500_000},
        route_regions={"social_domain": ("Noord",)},
        smart_plan_routes=("social_domain",),
        pso_discount_bp={"trede_2": 10_000},
    )
    assert Policy.from_dict(policy.as_dict()) == policy
