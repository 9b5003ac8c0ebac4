"""SMART plans through the API: the company submits one, the officer assesses it, then the contribution counts."""

from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import Contract, Match, SmartPlan
from marketplace.policy import Policy
from tests.api.conftest import hours_pledge, problem_of
from tests.conftest import World

PLANS = "/api/v1/contracts/A-001/smart-plans"
# A government that asks a SMART plan before a social-domain contribution counts (as Amsterdam does).
WITH_PLANS = Policy(percentage_bp=500, threshold_cents=0, smart_plan_routes=("social_domain",))


def _plan(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "initiative_id": world.ini_a.id,
        "goal": "Twintig zaterdagen twee chauffeurs",
        "target_group": "Huishoudens met een voedselpakket",
        "roots": "De voedselbank zit sinds 2012 in de wijk",
        "participants": "Zes medewerkers van de bouwplaats",
        **fields,
    }


@pytest.fixture
def plans_asked(world: World) -> World:
    contract = world.session.get(Contract, world.contract_a.id)
    assert contract is not None
    contract.policy = WITH_PLANS.as_dict()
    world.session.add(contract)
    world.session.commit()
    return world


def test_a_contribution_counts_after_its_plan_is_approved(
    api: Any, login_as: Any, plans_asked: World
) -> None:
    world = plans_asked
    login_as(world.users["company_a"])
    problem = problem_of(api.post("/api/v1/contracts/A-001/pledges", hours_pledge(world, 20)), 422)
    assert problem["field"] == "smart_plan_id"
    response = api.post(PLANS, _plan(world))
    assert response.status_code == 201, response.get_json()
    plan = response.get_json()
    assert plan["status"] == "submitted" and plan["contract"] == "A-001"
    assert plan["initiative"] == {
        "id": world.ini_a.id,
        "slug": "voedselbank-aastad",
        "name": "Voedselbank Aastad",
    }
    pledge = {**hours_pledge(world, 20), "smart_plan_id": plan["id"]}
    assert problem_of(api.post("/api/v1/contracts/A-001/pledges", pledge), 422)["field"] == "smart_plan_id"

    login_as(world.users["officer_a"])
    listed = api.get(PLANS).get_json()
    assert listed["total"] == 1 and listed["items"][0]["goal"] == "Twintig zaterdagen twee chauffeurs"
    approved = api.post(f"/api/v1/smart-plans/{plan['id']}/approve")
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "approved" and approved.get_json()["decided_at"]

    login_as(world.users["company_a"])
    created = api.post("/api/v1/contracts/A-001/pledges", pledge)
    assert created.status_code == 201, created.get_json()
    # 20 employee-hours x EUR 100 = EUR 2,000.
    assert created.get_json()["value_cents"] == 200_000 and created.get_json()["smart_plan_id"] == plan["id"]


def test_changes_need_a_reason_and_a_decided_plan_is_409(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    plan_id = api.post(PLANS, _plan(world)).get_json()["id"]
    login_as(world.users["officer_a"])
    url = f"/api/v1/smart-plans/{plan_id}/changes"
    for body in (None, {"reason": " "}, {"reason": 3}):
        assert problem_of(api.post(url, body), 422)["field"] == "reason"
    sent_back = api.post(url, {"reason": "Maak het doel meetbaar"}).get_json()
    assert (
        sent_back["status"] == "changes_requested" and sent_back["officer_reason"] == "Maak het doel meetbaar"
    )
    problem_of(api.post(f"/api/v1/smart-plans/{plan_id}/approve"), 409)
    problem_of(api.post(url, {"reason": "nog eens"}), 409)
    world.session.expire_all()
    assert world.session.exec(select(SmartPlan.status)).all() == ["changes_requested"]


def test_another_side_gets_404(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    plan_id = api.post(PLANS, _plan(world)).get_json()["id"]
    for user in ("company_b", "officer_b"):
        login_as(world.users[user])
        problem_of(api.get(PLANS), 404)
    problem_of(api.post(f"/api/v1/smart-plans/{plan_id}/approve"), 404)
    problem_of(api.post(f"/api/v1/smart-plans/{plan_id}/changes"), 404)  # before the body is read
    problem_of(api.post(f"/api/v1/smart-plans/{10**12}/approve"), 404)
    login_as(world.users["company_b"])
    problem_of(api.post(PLANS, _plan(world)), 404)
    problem_of(api.post(PLANS), 404)  # before the body is read
    login_as(world.users["officer_a"])  # an officer does not write the company's plan
    problem_of(api.post(PLANS, _plan(world)), 403)
    login_as(world.users["company_a"])  # nor does the company approve it
    problem_of(api.post(f"/api/v1/smart-plans/{plan_id}/approve"), 403)
    world.session.expire_all()
    assert world.session.exec(select(SmartPlan.status)).all() == ["submitted"]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"initiative_id": None}, "initiative_id"),
        ({"initiative_id": "1"}, "initiative_id"),
        ({"initiative_id": 999_999}, "initiative_id"),
        ({"goal": ""}, "goal"),
        ({"goal": "g" * 2001}, "goal"),
        ({"target_group": "  "}, "target_group"),
        ({"target_group": "t" * 1001}, "target_group"),
        ({"roots": None}, "roots"),
        ({"participants": ""}, "participants"),
        ({"status": "approved"}, "status"),
    ],
)
def test_bad_plans_are_422_with_the_field(
    api: Any, login_as: Any, world: World, fields: Any, field: str
) -> None:
    login_as(world.users["company_a"])
    assert problem_of(api.post(PLANS, _plan(world, **fields)), 422)["field"] == field
    assert world.session.exec(select(SmartPlan)).all() == []


def test_a_plan_for_an_initiative_that_does_not_count_is_422(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    assert (
        problem_of(api.post(PLANS, _plan(world, initiative_id=world.ini_b.id)), 422)["field"]
        == "initiative_id"
    )
    assert world.session.exec(select(Match)).all() == []
