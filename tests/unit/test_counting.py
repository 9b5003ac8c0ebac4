"""Obligation and totals: the counting rules, including property-based checks (Hypothesis)."""

from hypothesis import given
from hypothesis import strategies as st

from marketplace.counting import Policy, obligation_cents, totals

FIVE_PERCENT = Policy(percentage_bp=500, threshold_cents=25_000_000)
STATUSES = ["proposed", "approved", "rejected", "changes_requested", "delivered", "cancelled"]


def test_two_million_contract_at_five_percent_owes_100000_euro() -> None:
    assert obligation_cents(FIVE_PERCENT, 200_000_000) == (10_000_000, False)


def test_below_threshold_asks_one_social_activity() -> None:
    amount, small = obligation_cents(FIVE_PERCENT, 24_999_999)
    assert amount == 0 and small


def test_at_the_threshold_the_percentage_applies() -> None:
    assert obligation_cents(FIVE_PERCENT, 25_000_000) == (1_250_000, False)


def test_cap_limits_the_obligation() -> None:
    sudwest = Policy(percentage_bp=200, threshold_cents=0, cap_cents=30_000_000)
    assert obligation_cents(sudwest, 10_000_000_000)[0] == 30_000_000


def test_labour_component_basis() -> None:
    policy = Policy(percentage_bp=500, threshold_cents=0, basis="labour_component")
    assert obligation_cents(policy, 100_000_000, 20_000_000)[0] == 1_000_000
    # Without a known labour component the contract sum is the basis.
    assert obligation_cents(policy, 100_000_000, None)[0] == 5_000_000


def test_only_approved_and_delivered_count() -> None:
    t = totals(
        10_000_000,
        False,
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


@given(obligation=st.integers(min_value=0, max_value=10**12), ms=matches)
def test_remaining_is_never_negative_and_covers_the_obligation(
    obligation: int, ms: list[tuple[str, int]]
) -> None:
    t = totals(obligation, False, ms)
    assert t.remaining_cents >= 0
    assert t.committed_cents + t.remaining_cents >= obligation


@given(obligation=st.integers(min_value=0, max_value=10**12), ms=matches)
def test_totals_equal_the_sums_of_their_matches(obligation: int, ms: list[tuple[str, int]]) -> None:
    t = totals(obligation, False, ms)
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
    amount, small = obligation_cents(Policy(bp, threshold), sum_cents)
    assert isinstance(amount, int)
    if sum_cents >= threshold:
        assert not small and abs(amount * 10_000 - sum_cents * bp) <= 5_000
    else:
        assert amount == 0
