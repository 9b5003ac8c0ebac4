"""Matches through the API: reading with history, and every lifecycle step by the party allowed to take it."""

from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import Decision, Match
from tests.api.conftest import contract_totals, problem_of
from tests.conftest import World, placement


@pytest.fixture
def proposed(world: World) -> Match:
    return world.pledge(quantity=10)  # 10 employee-hours for need_hours: EUR 1,000


def test_match_detail_has_breakdown_and_history(
    api: Any, login_as: Any, world: World, proposed: Match
) -> None:
    for user in ("company_a", "officer_a", "initiative_a", "admin"):
        login_as(world.users[user])
        response = api.get(f"/api/v1/matches/{proposed.id}")
        assert response.status_code == 200, user
        body = response.get_json()
        assert body["id"] == proposed.id and body["value_cents"] == 100_000
        assert body["breakdown"][0]["kind"] == "base" and body["breakdown"][0]["value_cents"] == 100_000
        assert body["breakdown"][0]["text"]
        assert body["valuation_table"]["version"] == 1
        assert [e["action"] for e in body["history"]] == ["match.pledged"]
        assert body["history"][0]["actor"]["role"] == "company"
        assert "email" not in body["history"][0]["actor"]


def test_other_side_gets_404_on_match(api: Any, login_as: Any, world: World, proposed: Match) -> None:
    for user in ("officer_b", "company_b", "initiative_b", "firm_a"):
        login_as(world.users[user])
        problem_of(api.get(f"/api/v1/matches/{proposed.id}"), 404)
    login_as(world.users["company_a"])
    problem_of(api.get("/api/v1/matches/999999"), 404)
    problem_of(api.get(f"/api/v1/matches/{10**30}"), 404)
    problem_of(api.post(f"/api/v1/matches/{10**30}/cancel"), 404)


def test_approve_moves_remaining(api: Any, login_as: Any, world: World, proposed: Match) -> None:
    login_as(world.users["officer_a"])
    before = contract_totals(api, "A-001")
    response = api.decide(f"/api/v1/matches/{proposed.id}/approve", {"reason": "Prima"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "approved"
    after = contract_totals(api, "A-001")
    assert before["remaining_cents"] - after["remaining_cents"] == 100_000
    assert after["committed_cents"] == 100_000
    assert before["pending_cents"] - after["pending_cents"] == 100_000
    decision = world.session.exec(select(Decision)).one()
    assert decision.outcome == "approved" and decision.reason == "Prima"
    # A second approval is a conflict, not a second count.
    problem_of(api.decide(f"/api/v1/matches/{proposed.id}/approve"), 409)
    assert contract_totals(api, "A-001")["committed_cents"] == 100_000


def test_officer_of_another_government_cannot_decide(
    api: Any, login_as: Any, world: World, proposed: Match
) -> None:
    login_as(world.users["officer_b"])
    for action in ("approve", "reject", "changes"):
        problem_of(api.decide(f"/api/v1/matches/{proposed.id}/{action}", {"reason": "nee"}), 404)
    login_as(world.users["company_a"])  # and a company cannot approve its own pledge
    problem_of(api.decide(f"/api/v1/matches/{proposed.id}/approve"), 403)
    world.session.refresh(proposed)
    assert proposed.status == "proposed"


def test_reject_and_changes_need_a_reason(api: Any, login_as: Any, world: World, proposed: Match) -> None:
    login_as(world.users["officer_a"])
    for action in ("reject", "changes"):
        assert problem_of(api.decide(f"/api/v1/matches/{proposed.id}/{action}"), 422)["field"] == "reason"
        assert (
            problem_of(api.decide(f"/api/v1/matches/{proposed.id}/{action}", {"reason": "   "}), 422)["field"]
            == "reason"
        )
        assert (
            problem_of(api.decide(f"/api/v1/matches/{proposed.id}/{action}", {"reason": 12}), 422)["field"]
            == "reason"
        )
        assert (
            problem_of(api.decide(f"/api/v1/matches/{proposed.id}/{action}", {"reason": "r" * 2001}), 422)[
                "field"
            ]
            == "reason"
        )
    response = api.decide(f"/api/v1/matches/{proposed.id}/changes", {"reason": "Minder uren graag"})
    assert response.get_json()["status"] == "changes_requested"
    assert response.get_json()["officer_reason"] == "Minder uren graag"


def test_reject(api: Any, login_as: Any, world: World, proposed: Match) -> None:
    login_as(world.users["officer_a"])
    body = api.decide(f"/api/v1/matches/{proposed.id}/reject", {"reason": "Telt niet"}).get_json()
    assert body["status"] == "rejected"
    assert [e["action"] for e in body["history"]] == ["match.pledged", "match.rejected"]


def test_by_agreement_needs_the_agreed_value(api: Any, login_as: Any, world: World) -> None:
    match = world.pledge(block_code="maatwerk_agreement", quantity=300_000, need_id=None)
    login_as(world.users["officer_a"])
    url = f"/api/v1/matches/{match.id}/approve"
    assert problem_of(api.decide(url), 422)["field"] == "agreed_value_cents"
    assert problem_of(api.decide(url, {"agreed_value_cents": "1000"}), 422)["field"] == "agreed_value_cents"
    assert problem_of(api.decide(url, {"agreed_value_cents": -5}), 422)["field"] == "agreed_value_cents"
    body = api.decide(url, {"agreed_value_cents": 250_000}).get_json()
    assert body["status"] == "approved" and body["value_cents"] == 250_000
    assert contract_totals(api, "A-001")["committed_cents"] == 250_000


def test_company_cancels_its_open_pledge(api: Any, login_as: Any, world: World, proposed: Match) -> None:
    login_as(world.users["company_b"])
    problem_of(api.post(f"/api/v1/matches/{proposed.id}/cancel"), 404)
    login_as(world.users["company_a"])
    body = api.post(f"/api/v1/matches/{proposed.id}/cancel", {"reason": "Dubbel"}).get_json()
    assert body["status"] == "cancelled"
    assert contract_totals(api, "A-001")["pending_cents"] == 0
    problem_of(api.post(f"/api/v1/matches/{proposed.id}/cancel"), 409)


def test_initiative_confirms_delivery(api: Any, login_as: Any, world: World, proposed: Match) -> None:
    login_as(world.users["initiative_a"])
    problem_of(api.post(f"/api/v1/matches/{proposed.id}/deliver"), 409)  # not approved yet
    login_as(world.users["officer_a"])
    api.decide(f"/api/v1/matches/{proposed.id}/approve")
    login_as(world.users["initiative_b"])
    problem_of(api.post(f"/api/v1/matches/{proposed.id}/deliver"), 404)
    login_as(world.users["company_a"])  # the initiative confirms what it received, not the company
    problem_of(api.post(f"/api/v1/matches/{proposed.id}/deliver"), 404)
    login_as(world.users["initiative_a"])
    body = api.post(f"/api/v1/matches/{proposed.id}/deliver", {"note": "40 uur gereden"}).get_json()
    assert body["status"] == "delivered" and body["delivered_note"] == "40 uur gereden"
    assert body["delivered_at"].endswith("Z")
    login_as(world.users["company_a"])
    assert contract_totals(api, "A-001")["realised_cents"] == 100_000


def test_wrong_method_is_405_problem(api: Any, login_as: Any, world: World, proposed: Match) -> None:
    login_as(world.users["officer_a"])
    problem_of(api.get(f"/api/v1/matches/{proposed.id}/approve"), 405)


def test_company_confirms_hiring_without_an_initiative(api: Any, login_as: Any, world: World) -> None:
    match = world.pledge(block_code="participatiewet", quantity=None, need_id=None, placement=placement())
    login_as(world.users["officer_a"])
    assert api.decide(f"/api/v1/matches/{match.id}/approve").get_json()["value_cents"] == 4_000_000
    login_as(world.users["initiative_a"])  # nothing was pledged to the initiative: not its match
    problem_of(api.post(f"/api/v1/matches/{match.id}/deliver"), 404)
    login_as(world.users["company_a"])
    body = api.post(f"/api/v1/matches/{match.id}/deliver", {"note": "In dienst sinds 1 mei"}).get_json()
    assert body["status"] == "delivered"
    assert contract_totals(api, "A-001")["realised_cents"] == 4_000_000


def test_authenticated_answers_are_not_cached(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    response = api.get("/api/v1/contracts")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Cookie" in response.headers["Vary"]


def test_unexpected_error_is_a_clean_500_problem(
    app: Any, api: Any, login_as: Any, world: World, monkeypatch: Any
) -> None:
    import marketplace.api.v1 as v1

    def broken(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("database fell over")

    monkeypatch.setattr(v1, "contract_rows", broken)
    login_as(world.users["company_a"])
    problem = problem_of(api.get("/api/v1/contracts"), 500)
    assert "database fell over" not in problem["detail"]
