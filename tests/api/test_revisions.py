"""Revisions through the API: a lower value proposed with a reason, decided by the officer, its history kept."""

from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import Match, PersonMonth, Revision
from marketplace.services import approvals
from tests.api.conftest import contract_totals, problem_of
from tests.conftest import World, placement


def _approved(world: World, **pledge: Any) -> Match:
    match = world.pledge(**pledge)
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=match.id)
    return match


@pytest.fixture
def placed(world: World) -> Match:
    """A full year of Participatiewet from 1 April 2025, approved: EUR 40,000."""
    return _approved(
        world, need_id=None, block_code="participatiewet", quantity=None, placement=placement("REV-1")
    )


def _url(match: Match) -> str:
    return f"/api/v1/matches/{match.id}/revisions"


ENDED = {"kind": "ended_early", "reason": "Uit dienst per 1 juli", "new_end_date": "2025-06-30"}


def test_a_placement_that_ended_after_3_months_is_revised_once_the_officer_approves(
    api: Any, login_as: Any, world: World, placed: Match
) -> None:
    login_as(world.users["company_a"])
    response = api.post(_url(placed), ENDED)
    assert response.status_code == 201, response.get_json()
    revision = response.get_json()
    # 3 of 12 months of EUR 40,000: EUR 10,000.
    assert (revision["old_value_cents"], revision["new_value_cents"]) == (4_000_000, 1_000_000)
    assert revision["status"] == "proposed" and revision["new_end_date"] == "2025-06-30"
    assert revision["breakdown"][0]["kind"] == "base" and revision["breakdown"][0]["text"]
    assert contract_totals(api, "A-001")["committed_cents"] == 4_000_000  # not before the officer approves

    login_as(world.users["officer_a"])
    decided = api.post(f"/api/v1/revisions/{revision['id']}/approve", {"reason": "Klopt"})
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["status"] == "approved" and decided.get_json()["decision_reason"] == "Klopt"
    assert contract_totals(api, "A-001")["committed_cents"] == 1_000_000
    match = api.get(f"/api/v1/matches/{placed.id}").get_json()
    assert match["value_cents"] == 1_000_000 and match["months"] == 3
    assert match["placement"]["end_date"] == "2025-06-30"
    assert [e["action"] for e in match["history"]][-3:] == [
        "revision.proposed",
        "match.revised",
        "revision.approved",
    ]
    assert sorted(world.session.exec(select(PersonMonth.month)).all()) == ["2025-04", "2025-05", "2025-06"]
    # The history of values stays.
    listed = api.get(_url(placed)).get_json()
    assert listed["total"] == 1
    assert [(r["old_value_cents"], r["new_value_cents"], r["status"]) for r in listed["items"]] == [
        (4_000_000, 1_000_000, "approved")
    ]


def test_the_officer_revises_an_invoice_that_came_out_lower(api: Any, login_as: Any, world: World) -> None:
    match = _approved(
        world,
        need_id=None,
        initiative_id=world.firm_a.id,
        block_code="purchase_social_firm",
        quantity=1_200_000,
    )
    login_as(world.users["officer_a"])
    body = {"kind": "invoiced_lower", "reason": "Factuur 2025-118: EUR 9.500", "new_quantity": 950_000}
    revision = api.post(_url(match), body).get_json()
    assert (revision["new_quantity"], revision["new_value_cents"]) == (
        950_000,
        950_000,
    )  # 100% of the invoice
    api.post(f"/api/v1/revisions/{revision['id']}/approve")
    assert contract_totals(api, "A-001")["committed_cents"] == 950_000


def test_a_rejected_revision_keeps_the_value_and_needs_a_reason(
    api: Any, login_as: Any, world: World, placed: Match
) -> None:
    login_as(world.users["company_a"])
    revision_id = api.post(_url(placed), ENDED).get_json()["id"]
    login_as(world.users["officer_a"])
    url = f"/api/v1/revisions/{revision_id}/reject"
    for body in (None, {}, {"reason": "  "}, {"reason": 5}):
        assert problem_of(api.post(url, body), 422)["field"] == "reason"
    rejected = api.post(url, {"reason": "Contract loopt door"}).get_json()
    assert rejected["status"] == "rejected" and rejected["decision_reason"] == "Contract loopt door"
    assert contract_totals(api, "A-001")["committed_cents"] == 4_000_000


def test_double_decisions_and_a_second_open_revision_are_409(
    api: Any, login_as: Any, world: World, placed: Match
) -> None:
    login_as(world.users["company_a"])
    revision_id = api.post(_url(placed), ENDED).get_json()["id"]
    problem_of(api.post(_url(placed), {**ENDED, "new_end_date": "2025-05-31"}), 409)  # one waits already
    login_as(world.users["officer_a"])
    assert api.post(f"/api/v1/revisions/{revision_id}/approve").status_code == 200
    problem_of(api.post(f"/api/v1/revisions/{revision_id}/approve"), 409)
    problem_of(api.post(f"/api/v1/revisions/{revision_id}/reject", {"reason": "toch niet"}), 409)
    assert contract_totals(api, "A-001")["committed_cents"] == 1_000_000


def test_only_an_approved_contribution_is_revised(api: Any, login_as: Any, world: World) -> None:
    proposed = world.pledge(quantity=10)
    login_as(world.users["company_a"])
    problem_of(api.post(_url(proposed), {"kind": "other", "reason": "minder", "new_quantity": 5}), 409)


def test_another_side_gets_404(api: Any, login_as: Any, world: World, placed: Match) -> None:
    login_as(world.users["company_a"])
    revision_id = api.post(_url(placed), ENDED).get_json()["id"]
    for user in ("company_b", "officer_b"):
        login_as(world.users[user])
        problem_of(api.get(_url(placed)), 404)
        problem_of(api.post(_url(placed), ENDED), 404)
        problem_of(api.post(_url(placed)), 404)  # the object check comes before the body
    problem_of(api.post(f"/api/v1/revisions/{revision_id}/approve"), 404)
    problem_of(api.post(f"/api/v1/revisions/{revision_id}/reject"), 404)
    problem_of(api.post(f"/api/v1/revisions/{10**12}/approve"), 404)
    login_as(world.users["company_a"])  # a company does not decide its own revision
    problem_of(api.post(f"/api/v1/revisions/{revision_id}/approve"), 403)
    login_as(world.users["initiative_a"])
    problem_of(api.get(_url(placed)), 403)
    assert world.session.exec(select(Revision.status)).all() == ["proposed"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "kind"),
        ({"kind": "ended_early"}, "reason"),
        ({"kind": "shorter", "reason": "x"}, "kind"),
        ({"kind": "ended_early", "reason": "   ", "new_end_date": "2025-06-30"}, "reason"),
        ({"kind": "ended_early", "reason": "x"}, "new_end_date"),
        ({"kind": "ended_early", "reason": "x", "new_end_date": "30-06-2025"}, "new_end_date"),
        ({"kind": "ended_early", "reason": "x", "new_end_date": "2027-01-01"}, "new_end_date"),  # not earlier
        (
            {"kind": "ended_early", "reason": "x", "new_end_date": "2025-01-01"},
            "new_end_date",
        ),  # before start
        ({"kind": "invoiced_lower", "reason": "x", "new_quantity": 1}, "kind"),  # a placement ends early
        ({"kind": "ended_early", "reason": "x", "new_value_cents": "1"}, "new_value_cents"),
        ({"kind": "ended_early", "reason": "x", "new_quantity": 10**15}, "new_quantity"),
        ({"kind": "ended_early", "reason": "r" * 2001, "new_end_date": "2025-06-30"}, "reason"),
        ({"kind": "ended_early", "reason": "x", "value": 1}, "value"),
    ],
)
def test_bad_revision_bodies_are_422_with_the_field(
    api: Any, login_as: Any, world: World, placed: Match, body: dict[str, Any], field: str
) -> None:
    login_as(world.users["company_a"])
    assert problem_of(api.post(_url(placed), body), 422)["field"] == field
    assert world.session.exec(select(Revision)).all() == []


def test_a_revision_only_lowers_a_value(api: Any, login_as: Any, world: World) -> None:
    match = _approved(world, quantity=10)  # 10 employee-hours: EUR 1,000
    login_as(world.users["company_a"])
    for quantity in (10, 20):
        problem = problem_of(
            api.post(_url(match), {"kind": "other", "reason": "meer", "new_quantity": quantity}), 422
        )
        assert problem["field"] == "new_quantity"
    revision = api.post(_url(match), {"kind": "other", "reason": "minder", "new_quantity": 4}).get_json()
    assert revision["new_value_cents"] == 40_000  # 4 x EUR 100
