"""Counting an officer can sign: each published rule enforced, with the hand computation beside it.

The numbered cases are the ones a new user found wrong (issue "Counting an officer can sign"); the seeded
tables (cases 5, 6, 11) are checked in tests/unit/test_seeds.py.
"""

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from marketplace.db import unit_of_work
from marketplace.models import (
    BuildingBlock,
    Certificate,
    Contract,
    Initiative,
    Match,
    PersonMonth,
    PolicyVersion,
    Revision,
    Supplier,
)
from marketplace.policy import Policy
from marketplace.queries import contract_totals, supplier_recognitions
from marketplace.services import approvals, certificates, pledges, revisions, smart_plans, suppliers
from marketplace.services.contracts import CompletionInput, complete_contract
from marketplace.services.errors import ServiceError
from marketplace.services.placements import counted_slots
from marketplace.services.policies import add_policy_version
from marketplace.services.revisions import RevisionInput
from tests.conftest import TEST_POLICY, World, placement


def _set_policy(world: World, contract: Contract, policy: Policy) -> None:
    """The contract's frozen policy, as if it had been awarded under `policy`."""
    contract.policy = policy.as_dict()
    world.session.add(contract)
    world.session.commit()


def _totals(world: World, contract: Contract) -> Any:
    world.session.expire_all()
    fresh = world.session.get(Contract, contract.id)
    assert fresh is not None
    return contract_totals(world.session, [fresh])[fresh.id or 0]


def _approve(world: World, match: Match, **kw: Any) -> Match:
    return world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=match.id, **kw)


def _block(world: World, code: str, **fields: Any) -> BuildingBlock:
    block = world.session.exec(
        select(BuildingBlock).where(BuildingBlock.table_id == world.table_a.id, BuildingBlock.code == code)
    ).one()
    for key, value in fields.items():
        setattr(block, key, value)
    world.session.add(block)
    world.session.commit()
    return block


def _add_block(
    world: World, code: str, route: str, unit: str, value_cents: int | None, **fields: Any
) -> None:
    world.session.add(
        BuildingBlock(
            table_id=world.table_a.id or 0,
            code=code,
            route=route,
            label=code,
            unit=unit,
            value_cents=value_cents,
            **fields,
        )
    )
    world.session.commit()


# 1 -----------------------------------------------------------------------------------------------------------


def test_1_labour_component_basis_without_one_cannot_be_computed_until_the_officer_completes_it(
    world: World,
) -> None:
    _set_policy(
        world, world.contract_a, Policy(percentage_bp=500, threshold_cents=0, basis="labour_component")
    )
    t = _totals(world, world.contract_a)
    assert not t.computable and t.obligation.missing == "labour_component_cents" and t.obligation_cents == 0
    with pytest.raises(ServiceError) as refused:
        world.pledge(quantity=10)
    assert "cannot be computed" in str(refused.value)
    # The officer enters the labour component, EUR 800,000: 5% of it is EUR 40,000.
    world.act(
        complete_contract,
        actor=world.users["officer_a"],
        data=CompletionInput(contract_id=world.contract_a.id or 0, labour_component_cents=80_000_000),
    )
    assert _totals(world, world.contract_a).obligation_cents == 4_000_000
    assert world.pledge(quantity=10).value_cents == 100_000


# 2 -----------------------------------------------------------------------------------------------------------


def _certificate(
    world: World, level: str = "trede_1", issued: date = date(2024, 6, 1), until: date = date(2026, 5, 31)
) -> Certificate:
    return world.act(
        certificates.add_certificate,
        actor=world.users["company_a"],
        data=certificates.CertificateInput(
            level=level, issued_on=issued, valid_until=until, number="PSO-123"
        ),
    )


def test_2_a_pso_certificate_counts_once_per_contract_at_the_discount_frozen_at_award(world: World) -> None:
    _set_policy(
        world,
        world.contract_a,
        Policy(percentage_bp=500, threshold_cents=0, pso_discount_bp={"trede_1": 5_000}),
    )
    cert = _certificate(world)
    # EUR 2,000,000 at 5% is EUR 100,000; trede 1 counts for 50% of it: EUR 50,000.
    first = world.pledge(need_id=None, block_code="pso_certificate", quantity=1, certificate_id=cert.id)
    assert first.value_cents == 5_000_000
    with pytest.raises(ServiceError) as twice:
        world.pledge(need_id=None, block_code="pso_certificate", quantity=1, certificate_id=cert.id)
    assert "once per contract" in str(twice.value)
    _approve(world, first)
    assert _totals(world, world.contract_a).remaining_cents == 5_000_000
    # The government raises its discount later; the awarded contract keeps the one frozen at award.
    world.act(
        add_policy_version,
        actor=None,
        government_id=world.gov_a.id or 0,
        effective_from=date(2026, 1, 1),
        policy=Policy(percentage_bp=500, threshold_cents=0, pso_discount_bp={"trede_1": 10_000}),
    )
    assert _totals(world, world.contract_a).remaining_cents == 5_000_000


def test_2_a_certificate_not_valid_on_the_award_date_does_not_count(world: World) -> None:
    _set_policy(world, world.contract_a, replace_pso(TEST_POLICY, {"trede_1": 5_000}))
    expired = _certificate(world, issued=date(2023, 3, 1), until=date(2025, 2, 28))  # award 1 March 2025
    with pytest.raises(ServiceError) as refused:
        world.pledge(need_id=None, block_code="pso_certificate", quantity=1, certificate_id=expired.id)
    assert "not valid on the award date" in str(refused.value)


def test_2_a_certificate_is_valid_for_at_most_two_years(world: World) -> None:
    with pytest.raises(ServiceError) as refused:
        _certificate(world, issued=date(2024, 1, 1), until=date(2026, 6, 1))
    assert refused.value.field == "valid_until"


def replace_pso(policy: Policy, discounts: dict[str, int]) -> Policy:
    return Policy.from_dict({**policy.as_dict(), "pso_discount_bp": discounts})


# 3 -----------------------------------------------------------------------------------------------------------

AMSTERDAM = Policy(
    percentage_bp=500,
    threshold_cents=0,
    route_regions={"social_domain": ("Zuidoost", "Nieuw-West", "Noord")},
    smart_plan_routes=("social_domain",),
)


def _in(world: World, initiative: Initiative, neighbourhood: str) -> None:
    initiative.neighbourhood = neighbourhood
    world.session.add(initiative)
    world.session.commit()


def test_3_amsterdam_counts_social_domain_contributions_only_in_its_regions(world: World) -> None:
    _set_policy(world, world.contract_a, AMSTERDAM)
    _in(world, world.ini_a, "")  # the food bank of Aastad, outside Amsterdam's regions
    with pytest.raises(ServiceError) as refused:
        world.pledge(quantity=20)
    assert "only in Zuidoost, Nieuw-West, Noord" in str(refused.value)


def test_3_amsterdam_asks_an_approved_smart_plan_before_a_social_domain_contribution(world: World) -> None:
    _set_policy(world, world.contract_a, AMSTERDAM)
    _in(world, world.ini_a, "Noord")
    with pytest.raises(ServiceError) as refused:
        world.pledge(quantity=20)
    assert refused.value.field == "smart_plan"
    plan = world.act(
        smart_plans.submit_smart_plan,
        actor=world.users["company_a"],
        data=smart_plans.SmartPlanInput(
            contract_id=world.contract_a.id or 0,
            initiative_id=world.ini_a.id or 0,
            goal="Twintig zaterdagen twee chauffeurs",
            target_group="Huishoudens met een voedselpakket",
            roots="De voedselbank zit sinds 2012 in Noord",
            participants="Zes medewerkers van de bouwplaats",
        ),
    )
    with pytest.raises(ServiceError):  # submitted, not yet approved
        world.pledge(quantity=20, smart_plan_id=plan.id)
    world.act(smart_plans.decide_smart_plan, actor=world.users["officer_a"], plan_id=plan.id, approve=True)
    assert world.pledge(quantity=20, smart_plan_id=plan.id).value_cents == 200_000


# 4 -----------------------------------------------------------------------------------------------------------


def test_4_a_small_contract_counts_an_activity_only_from_its_minimum_value(world: World) -> None:
    _set_policy(
        world,
        world.small_contract,
        Policy(percentage_bp=500, threshold_cents=12_500_000, small_activity_min_cents=50_000),
    )
    with pytest.raises(ServiceError) as refused:  # EUR 1 for a social firm
        world.pledge(
            contract_id=world.small_contract.id,
            need_id=None,
            initiative_id=world.firm_a.id,
            block_code="purchase_social_firm",
            quantity=100,
        )
    assert "counts from EUR 500.00" in str(refused.value)
    assert _totals(world, world.small_contract).activities_committed == 0
    match = world.pledge(contract_id=world.small_contract.id, quantity=6)  # 6 hours: EUR 600
    _approve(world, match)
    t = _totals(world, world.small_contract)
    assert (t.activities_committed, t.activities_required, t.met) == (1, 1, True)


# 7 -----------------------------------------------------------------------------------------------------------


def test_7_leiden_social_activity_is_at_most_1000_euro_a_day_and_the_officer_sets_the_value(
    world: World,
) -> None:
    _block(world, "social_activity_day", at_most=True)
    match = world.pledge(
        need_id=None, initiative_id=world.ini_a.id, block_code="social_activity_day", quantity=3
    )
    assert match.value_cents == 300_000  # at most 3 x EUR 1,000
    with pytest.raises(ServiceError) as refused:
        _approve(world, match)  # no value set
    assert refused.value.field == "agreed_value"
    with pytest.raises(ServiceError) as too_much:
        _approve(world, match, agreed_value_cents=350_000)
    assert "at most" in str(too_much.value)
    assert _approve(world, match, agreed_value_cents=210_000).value_cents == 210_000


# 8 -----------------------------------------------------------------------------------------------------------

HAAGLANDEN_BONUSES = [
    ("bonus_55plus", {"min_age": 55}, 1_000_000),
    ("bonus_after_vso_pro", {"requires": ["after_vso_pro_internship"]}, 2_500_000),
    ("bonus_disability", {"requires": ["occupational_disability"]}, 1_000_000),
]


def _haaglanden(world: World) -> None:
    _add_block(world, "ww", "paid_work", "fte_year", 2_000_000, target_group="ww", max_months=12)
    for code, conditions, value in HAAGLANDEN_BONUSES:
        _add_block(world, code, "paid_work", "bonus", value, conditions=conditions)
    # Utrecht's 50+ bonus is not in Haaglanden's table.
    world.session.delete(_block(world, "bonus_50plus"))
    world.session.commit()


def test_8_bonuses_apply_only_to_a_person_who_meets_them(world: World) -> None:
    _haaglanden(world)
    # A WW hire of 40 without the conditions: the base only, EUR 20,000 for a year.
    plain = world.pledge(
        need_id=None, block_code="ww", quantity=None, placement=placement("WW-1", target_group="ww")
    )
    assert plain.value_cents == 2_000_000
    # A WW hire of 56 with an occupational disability: 20,000 + 10,000 (55+) + 10,000 (disability) = 40,000.
    # The VSO/PrO bonus needs an internship of 6 months first: not added.
    both = world.pledge(
        need_id=None,
        block_code="ww",
        quantity=None,
        placement=placement("WW-2", target_group="ww", age_band="55_plus", occupational_disability=True),
    )
    assert both.value_cents == 4_000_000
    assert sorted(both.bonus_codes) == ["bonus_55plus", "bonus_disability"]


def test_8_a_person_block_counts_only_for_its_target_group(world: World) -> None:
    _haaglanden(world)
    with pytest.raises(ServiceError) as refused:
        world.pledge(
            need_id=None, block_code="ww", quantity=None, placement=placement("X-1", target_group="wia")
        )
    assert refused.value.field == "target_group"


def test_8_haaglanden_caps_a_candidate_at_12_months_and_24_for_participatiewet(world: World) -> None:
    world.table_a.group_caps = {"*": 12, "participatiewet": 24, "banenafspraak": None}
    world.session.add(world.table_a)
    world.session.commit()
    # Participatiewet for 36 months at EUR 40,000 a year counts 24 months here: EUR 80,000.
    long = world.pledge(
        need_id=None,
        block_code="participatiewet",
        quantity=None,
        placement=placement("P-36", start=date(2025, 3, 1), end=date(2028, 2, 29)),
    )
    assert long.value_cents == 8_000_000
    assert [(ln["kind"], ln["params"].get("months")) for ln in long.breakdown][:2] == [
        ("base", 24),
        ("cap", 36),
    ]


def test_5_without_a_cap_in_its_table_36_months_of_participatiewet_count_in_full(world: World) -> None:
    # Utrecht publishes no month cap: 3 x EUR 40,000 = EUR 120,000.
    long = world.pledge(
        need_id=None,
        block_code="participatiewet",
        quantity=None,
        placement=placement("P-36", start=date(2025, 3, 1), end=date(2028, 2, 29)),
    )
    assert long.value_cents == 12_000_000 and [ln["kind"] for ln in long.breakdown] == ["base"]


def test_8_bonuses_cannot_be_chosen_by_hand(world: World) -> None:
    with pytest.raises(ServiceError) as refused:
        world.pledge(
            need_id=None,
            block_code="participatiewet",
            quantity=None,
            bonuses=("bonus_50plus",),
            placement=placement(),
        )
    assert refused.value.field == "bonuses"


# 9 -----------------------------------------------------------------------------------------------------------


def test_9_a_placement_that_ends_after_3_of_12_months_is_revised_and_its_history_kept(world: World) -> None:
    match = world.pledge(
        need_id=None, block_code="participatiewet", quantity=None, placement=placement("REV-1")
    )
    _approve(world, match)
    assert _totals(world, world.contract_a).committed_cents == 4_000_000
    revision = world.act(
        revisions.propose_revision,
        actor=world.users["company_a"],
        data=RevisionInput(
            match_id=match.id or 0,
            kind="ended_early",
            reason="Uit dienst per 1 juli",
            new_end_date=date(2025, 6, 30),
        ),
    )
    assert (revision.old_value_cents, revision.new_value_cents) == (
        4_000_000,
        1_000_000,
    )  # 3/12 of EUR 40,000
    assert _totals(world, world.contract_a).committed_cents == 4_000_000  # until the officer approves
    world.act(
        revisions.decide_revision, actor=world.users["officer_a"], revision_id=revision.id, approve=True
    )
    assert _totals(world, world.contract_a).committed_cents == 1_000_000
    history = world.session.exec(select(Revision).where(Revision.match_id == match.id)).all()
    assert [(r.old_value_cents, r.new_value_cents, r.status) for r in history] == [
        (4_000_000, 1_000_000, "approved")
    ]
    # The months after the new end are free: the same person can be placed on another contract from July.
    months = sorted(world.session.exec(select(PersonMonth.month)).all())
    assert months == ["2025-04", "2025-05", "2025-06"]
    world.pledge(
        need_id=None,
        block_code="participatiewet",
        quantity=None,
        placement=placement("REV-1", start=date(2025, 7, 1), end=date(2025, 12, 31)),
    )


def test_9_a_revision_cannot_raise_a_value(world: World) -> None:
    match = world.pledge(quantity=10)
    _approve(world, match)
    with pytest.raises(ServiceError):
        world.act(
            revisions.propose_revision,
            actor=world.users["company_a"],
            data=RevisionInput(match_id=match.id or 0, kind="other", reason="meer", new_quantity=20),
        )


def test_9_an_invoice_that_came_out_lower_is_revised_to_its_amount(world: World) -> None:
    match = world.pledge(
        need_id=None, initiative_id=world.firm_a.id, block_code="purchase_social_firm", quantity=1_200_000
    )
    _approve(world, match)
    revision = world.act(
        revisions.propose_revision,
        actor=world.users["officer_a"],
        data=RevisionInput(
            match_id=match.id or 0,
            kind="invoiced_lower",
            reason="Factuur 2025-118: EUR 9.500",
            new_quantity=950_000,
        ),
    )
    world.act(
        revisions.decide_revision, actor=world.users["officer_a"], revision_id=revision.id, approve=True
    )
    assert _totals(world, world.contract_a).committed_cents == 950_000


# 10 ----------------------------------------------------------------------------------------------------------


def test_10_a_pledge_after_the_contracts_end_date_is_refused(world: World) -> None:
    end = world.contract_a.end_date
    with pytest.raises(ServiceError) as refused:
        world.act(
            pledges.create_pledge,
            actor=world.users["company_a"],
            today=end + timedelta(days=1),
            req=pledges.PledgeRequest(
                contract_id=world.contract_a.id or 0,
                block_code="employee_hour",
                quantity=5,
                need_id=world.need_hours.id,
            ),
        )
    assert "ended on" in str(refused.value)


def test_10_a_placement_outside_the_contracts_term_is_refused(world: World) -> None:
    with pytest.raises(ServiceError) as refused:
        world.pledge(
            need_id=None,
            block_code="participatiewet",
            quantity=None,
            placement=placement(start=date(2025, 1, 1), end=date(2025, 12, 31)),
        )  # award 1 March 2025
    assert "within the contract's term" in str(refused.value)


# 12 ----------------------------------------------------------------------------------------------------------


def test_12_the_same_person_cannot_count_on_two_contracts_in_the_same_month(world: World) -> None:
    world.pledge(need_id=None, block_code="participatiewet", quantity=None, placement=placement("SAME-1"))
    other = _second_contract(world)  # the company's second contract with the same government
    with pytest.raises(ServiceError) as refused:
        world.pledge(
            contract_id=other.id,
            need_id=None,
            block_code="participatiewet",
            quantity=None,
            placement=placement("same-1 ", start=date(2026, 2, 1), end=date(2026, 8, 31)),
        )
    assert "2026-02, 2026-03" in str(refused.value)
    # From April 2026 the person is free again.
    world.pledge(
        contract_id=other.id,
        need_id=None,
        block_code="participatiewet",
        quantity=None,
        placement=placement("SAME-1", start=date(2026, 4, 1), end=date(2026, 8, 31)),
    )


def _second_contract(world: World) -> Contract:
    c = Contract(
        reference="A-002",
        government_id=world.gov_a.id or 0,
        company_id=world.company_a.id or 0,
        title="Tweede",
        sum_cents=100_000_000,
        award_date=date(2025, 6, 1),
        end_date=date(2029, 6, 1),
        table_id=world.table_a.id or 0,
        policy=TEST_POLICY.as_dict(),
    )
    world.session.add(c)
    world.session.commit()
    return c


def test_12_a_rejected_placement_frees_its_months(world: World) -> None:
    match = world.pledge(
        need_id=None, block_code="participatiewet", quantity=None, placement=placement("FREE-1")
    )
    world.act(approvals.reject_match, actor=world.users["officer_a"], match_id=match.id, reason="Geen bewijs")
    assert world.session.exec(select(PersonMonth)).all() == []
    world.pledge(need_id=None, block_code="participatiewet", quantity=None, placement=placement("FREE-1"))


people = st.lists(
    st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 30), st.integers(1, 14)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attempts=people)
def test_property_a_person_never_counts_twice_in_the_same_month(
    world: World, attempts: list[tuple[str, int, int]]
) -> None:
    """Against a model of who counts when: every overlap is refused, and nothing else is."""
    with unit_of_work(world.session):
        for row in world.session.exec(select(PersonMonth)).all():
            world.session.delete(row)
    counted: dict[str, set[str]] = {}
    for who, start_offset, months in attempts:
        first = date(2025 + (2 + start_offset) // 12, (2 + start_offset) % 12 + 1, 1)
        after = date(first.year + (first.month - 1 + months) // 12, (first.month - 1 + months) % 12 + 1, 1)
        slots = set(counted_slots(first, months))
        overlap = bool(slots & counted.get(who, set()))
        try:
            world.pledge(
                need_id=None,
                block_code="participatiewet",
                quantity=None,
                placement=placement(who, start=first, end=after - timedelta(days=1)),
            )
        except ServiceError as exc:
            assert overlap, f"{who} {first}..{after} refused without an overlap: {exc}"
            continue
        assert not overlap, f"{who} {first}..{after} accepted although it overlaps"
        counted.setdefault(who, set()).update(slots)
    keys = [(r.person_key, r.month) for r in world.session.exec(select(PersonMonth)).all()]
    assert len(keys) == len(set(keys)) == sum(len(v) for v in counted.values())


# 13 ----------------------------------------------------------------------------------------------------------


def test_13_a_purchase_from_an_sw_bedrijf_outside_the_catalogue_counts_once_recognised(world: World) -> None:
    supplier = suppliers.SupplierInput(
        kvk="12345678",
        name="Pantar Schoonmaak",
        kind="sw_company",
        basis="sw_company",
        evidence="SW-bedrijf van de gemeente",
    )
    match = world.pledge(
        need_id=None, block_code="purchase_social_firm", quantity=1_200_000, supplier=supplier
    )
    assert match.supplier_id is not None and match.initiative_id is None and match.value_cents == 1_200_000
    with pytest.raises(ServiceError) as refused:
        _approve(world, match)
    assert "Recognise the supplier first" in str(refused.value)
    recognition = suppliers.recognition_for(world.session, world.gov_a.id or 0, match.supplier_id)
    assert recognition is not None and recognition.status == "pending"
    world.act(
        suppliers.decide_recognition,
        actor=world.users["officer_a"],
        recognition_id=recognition.id,
        recognise=True,
    )
    _approve(world, match)
    assert _totals(world, world.contract_a).committed_cents == 1_200_000
    assert len(world.session.exec(select(Supplier)).all()) == 1


def test_13_a_supplier_needs_a_valid_kvk_number(world: World) -> None:
    with pytest.raises(ServiceError) as refused:
        world.pledge(
            need_id=None,
            block_code="purchase_social_firm",
            quantity=100_000,
            supplier=suppliers.SupplierInput(
                kvk="1234", name="X", kind="social_firm", basis="government_list"
            ),
        )
    assert refused.value.field == "supplier_kvk"


def test_13_a_supplier_is_decided_once(world: World) -> None:
    match = world.pledge(
        need_id=None,
        block_code="purchase_social_firm",
        quantity=100_000,
        supplier=suppliers.SupplierInput(
            kvk="12345678", name="Pantar", kind="sw_company", basis="sw_company"
        ),
    )
    recognition = suppliers.recognition_for(world.session, world.gov_a.id or 0, match.supplier_id or 0)
    assert recognition is not None
    world.act(
        suppliers.decide_recognition,
        actor=world.users["officer_a"],
        recognition_id=recognition.id,
        recognise=True,
    )
    _approve(world, match)
    # Refusing it now would leave an approved purchase from a refused supplier counted.
    with pytest.raises(ServiceError) as twice:
        world.act(
            suppliers.decide_recognition,
            actor=world.users["officer_a"],
            recognition_id=recognition.id,
            recognise=False,
            note="toch niet",
        )
    assert twice.value.status == 409
    world.session.refresh(recognition)
    assert recognition.status == "recognised"
    # A supplier that waits for the officer comes first in the list, before the one decided earlier.
    world.pledge(
        need_id=None,
        block_code="purchase_social_firm",
        quantity=100_000,
        supplier=suppliers.SupplierInput(
            kvk="87654321", name="Fietsfirma", kind="social_firm", basis="government_list"
        ),
    )
    rows = supplier_recognitions(world.session, world.gov_a.id or 0)
    assert [(r.supplier.kvk, r.recognition.status) for r in rows] == [
        ("87654321", "pending"),
        ("12345678", "recognised"),
    ]


# Property: the PSO reduction applies at most once per contract -------------------------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(["pledge", "cancel", "approve"]), min_size=1, max_size=8))
def test_property_the_pso_reduction_applies_at_most_once_per_contract(world: World, steps: list[str]) -> None:
    _set_policy(world, world.contract_a, replace_pso(TEST_POLICY, {"trede_1": 5_000}))
    cert = world.session.exec(select(Certificate)).first() or _certificate(world)
    for step in steps:
        holding = world.session.exec(
            select(Match).where(
                Match.certificate_id == cert.id,
                Match.status.in_(  # type: ignore[attr-defined]
                    ("proposed", "approved", "changes_requested", "delivered")
                ),
            )
        ).all()
        try:
            if step == "pledge":
                world.pledge(need_id=None, block_code="pso_certificate", quantity=1, certificate_id=cert.id)
            elif step == "cancel" and holding and holding[0].status == "proposed":
                world.act(pledges.cancel_pledge, actor=world.users["company_a"], match_id=holding[0].id)
            elif step == "approve" and holding and holding[0].status == "proposed":
                _approve(world, holding[0])
        except ServiceError:
            pass
        world.session.expire_all()
        holding = world.session.exec(
            select(Match).where(
                Match.certificate_id == cert.id,
                Match.status.in_(  # type: ignore[attr-defined]
                    ("proposed", "approved", "changes_requested", "delivered")
                ),
            )
        ).all()
        assert len(holding) <= 1
    assert _totals(world, world.contract_a).committed_cents in (0, 5_000_000)


# Property: totals equal the sum of the current revisions -------------------------------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=4))
def test_property_totals_equal_the_sum_of_the_current_revisions(world: World, cuts: list[int]) -> None:
    match = world.pledge(
        need_id=None, initiative_id=world.ini_a.id, block_code="donation_initiative", quantity=100_000
    )
    _approve(world, match)
    expected = 100_000
    for cut in cuts:
        new = expected * cut // 10
        try:
            revision = world.act(
                revisions.propose_revision,
                actor=world.users["company_a"],
                data=RevisionInput(match_id=match.id or 0, kind="other", reason="lager", new_value_cents=new),
            )
            world.act(
                revisions.decide_revision,
                actor=world.users["officer_a"],
                revision_id=revision.id,
                approve=True,
            )
            expected = new
        except ServiceError:
            assert new >= expected, "a lower value was refused"
    world.session.expire_all()
    current = world.session.get(Match, match.id)
    assert current is not None and current.value_cents == expected
    committed = sum(
        m.value_cents
        for m in world.session.exec(
            select(Match).where(
                Match.contract_id == world.contract_a.id, Match.status.in_(("approved", "delivered"))
            )
        ).all()
    )  # type: ignore[attr-defined]
    assert _totals(world, world.contract_a).committed_cents == committed


def test_policy_versions_are_kept(world: World) -> None:
    world.act(
        add_policy_version,
        actor=None,
        government_id=world.gov_a.id or 0,
        effective_from=date(2026, 1, 1),
        policy=Policy(percentage_bp=400, threshold_cents=0),
    )
    versions = world.session.exec(
        select(PolicyVersion).where(PolicyVersion.government_id == world.gov_a.id)
    ).all()
    assert [v.version for v in versions] == [1, 2]
