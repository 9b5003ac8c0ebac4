"""The building-block valuation rules, with the worked examples of domain.md."""

import pytest

from marketplace.valuation import Block, Person, PledgeInput, ValuationError, round_div, value_pledge

PARTICIPATIEWET = Block("participatiewet", "Participatiewet", "fte_year", value_cents=4_000_000)
BONUS_50 = Block("bonus_50plus", "Bonus 50+", "bonus", value_cents=1_000_000, conditions={"min_age": 50})
AGED_52 = Person(target_group="participatiewet", age_band="50_54")
HOUR = Block("employee_hour", "Employee-hour", "hour", value_cents=10_000)
PURCHASE = Block("purchase_social_firm", "Purchase", "euro_spent", percentage_bp=10_000)


def test_full_year_participatiewet_with_50plus_bonus_is_worth_50000_euro() -> None:
    v = value_pledge(
        PARTICIPATIEWET,
        PledgeInput(1, hours_per_week=36, months=12, person=AGED_52),
        bonuses={"bonus_50plus": BONUS_50},
    )
    assert v.value_cents == 5_000_000
    assert [line.kind for line in v.lines] == ["base", "bonus"]


def test_half_a_year_at_18_hours_is_a_quarter() -> None:
    v = value_pledge(
        PARTICIPATIEWET,
        PledgeInput(1, hours_per_week=18, months=6, person=AGED_52),
        bonuses={"bonus_50plus": BONUS_50},
    )
    assert v.value_cents == 1_250_000


def test_forty_employee_hours_at_100_euro() -> None:
    assert value_pledge(HOUR, PledgeInput(40)).value_cents == 400_000


def test_invoice_from_social_firm_counts_in_full() -> None:
    assert value_pledge(PURCHASE, PledgeInput(1_200_000)).value_cents == 1_200_000


def test_months_are_capped_by_the_block() -> None:
    capped = Block("ww", "WW", "fte_year", value_cents=2_000_000, max_months=12)
    v = value_pledge(capped, PledgeInput(1, hours_per_week=36, months=24))
    assert v.value_cents == 2_000_000
    assert any(line.kind == "cap" for line in v.lines)


def test_hours_above_full_time_do_not_count_extra() -> None:
    v = value_pledge(PARTICIPATIEWET, PledgeInput(1, hours_per_week=40, months=12))
    assert v.value_cents == 4_000_000


def test_internship_is_pro_rata_by_weeks() -> None:
    bol = Block("bol", "BOL", "internship_year", value_cents=1_000_000)
    assert value_pledge(bol, PledgeInput(1, weeks=26)).value_cents == 500_000


def test_partial_percentage_rounds_half_up_to_whole_cents() -> None:
    half = Block("p", "P", "euro_spent", percentage_bp=5_000)
    assert value_pledge(half, PledgeInput(3)).value_cents == 2  # 1.5 cents -> 2
    assert round_div(1, 2) == 1 and round_div(1, 3) == 0


def test_by_agreement_uses_the_estimate_until_the_officer_agrees() -> None:
    deal = Block("deal", "Deal", "by_agreement")
    assert value_pledge(deal, PledgeInput(50_000)).value_cents == 50_000
    assert value_pledge(deal, PledgeInput(50_000, agreed_value_cents=30_000)).value_cents == 30_000


def test_pso_certificate_is_a_share_of_the_obligation() -> None:
    pso = Block("pso", "PSO", "certificate")
    v = value_pledge(pso, PledgeInput(1), obligation_cents=10_000_000, pso_reduction_bp=5_000)
    assert v.value_cents == 5_000_000


@pytest.mark.parametrize(
    "pledge, field",
    [
        (PledgeInput(0, hours_per_week=36, months=12), "quantity"),
        (PledgeInput(-1, hours_per_week=36, months=12), "quantity"),
        (PledgeInput(10**9, hours_per_week=36, months=12), "quantity"),
        (PledgeInput(1, hours_per_week=0, months=12), "hours_per_week"),
        (PledgeInput(1, hours_per_week=36, months=None), "months"),
        (PledgeInput(1, hours_per_week=36, months=12, bonuses=("nope",)), "bonuses"),
        (PledgeInput(1, hours_per_week=36, months=12, bonuses=("bonus_50plus",)), "bonuses"),
    ],
)
def test_bad_input_names_the_field(pledge: PledgeInput, field: str) -> None:
    with pytest.raises(ValuationError) as info:
        value_pledge(PARTICIPATIEWET, pledge, bonuses={"bonus_50plus": BONUS_50})
    assert info.value.field == field


def test_a_bonus_cannot_be_pledged_alone() -> None:
    with pytest.raises(ValuationError):
        value_pledge(BONUS_50, PledgeInput(1, hours_per_week=36, months=12))
