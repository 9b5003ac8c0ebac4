"""GET /api/v1/contracts and /api/v1/contracts/<reference>: who sees which contract, with which figures; completing one."""

from typing import Any

from marketplace.models import Contract
from marketplace.policy import Policy
from tests.api.conftest import problem_of
from tests.conftest import World


def test_anonymous_gets_401_problem(api: Any, world: World) -> None:
    problem_of(api.get("/api/v1/contracts"), 401)
    problem_of(api.get("/api/v1/contracts/A-001"), 401)


def test_company_sees_only_its_own_contracts(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    body = api.get("/api/v1/contracts").get_json()
    assert sorted(c["reference"] for c in body["items"]) == ["A-001", "A-SMALL"]
    assert body["total"] == 2 and body["page"] == 1
    big = next(c for c in body["items"] if c["reference"] == "A-001")
    assert big["obligation_cents"] == 10_000_000  # 5% of EUR 2,000,000
    assert big["remaining_cents"] == 10_000_000 and big["pending_cents"] == 0
    assert big["government"] == {"slug": "gov-a", "name": "Gemeente Aastad"}
    assert big["company"]["name"] == "Bouw A B.V." and big["small_contract"] is False
    assert big["end_date"] == "2029-12-31"
    small = next(c for c in body["items"] if c["reference"] == "A-SMALL")
    assert small["small_contract"] is True and small["obligation_cents"] == 0

    login_as(world.users["company_b"])
    body = api.get("/api/v1/contracts").get_json()
    assert [c["reference"] for c in body["items"]] == ["B-001"]


def test_officer_sees_own_government_admin_sees_all_initiative_refused(
    api: Any, login_as: Any, world: World
) -> None:
    login_as(world.users["officer_b"])
    assert [c["reference"] for c in api.get("/api/v1/contracts").get_json()["items"]] == ["B-001"]
    login_as(world.users["admin"])
    assert api.get("/api/v1/contracts").get_json()["total"] == 3
    login_as(world.users["initiative_a"])
    problem_of(api.get("/api/v1/contracts"), 403)


def test_paging(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["admin"])
    first = api.get("/api/v1/contracts?per_page=2").get_json()
    second = api.get("/api/v1/contracts?per_page=2&page=2").get_json()
    assert first["total"] == second["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    refs = {c["reference"] for c in first["items"] + second["items"]}
    assert refs == {"A-001", "A-SMALL", "B-001"}
    # Outside the documented range is refused, not clamped (tests/security/test_finding_11_spec_mismatches.py).
    assert problem_of(api.get("/api/v1/contracts?per_page=5000"), 400)["field"] == "per_page"
    assert problem_of(api.get("/api/v1/contracts?page=abc"), 400)["field"] == "page"
    assert problem_of(api.get("/api/v1/contracts?per_page=-1"), 400)["field"] == "per_page"
    assert api.get("/api/v1/contracts?page=999999").get_json()["items"] == []


def test_contract_detail_has_table_blocks_and_matches(api: Any, login_as: Any, world: World) -> None:
    match = world.pledge(quantity=10)
    login_as(world.users["company_a"])
    body = api.get("/api/v1/contracts/A-001").get_json()
    assert body["reference"] == "A-001" and body["pending_cents"] == 100_000
    table = body["valuation_table"]
    assert table["version"] == 1 and table["name"] == "Bouwblokken Aastad" and "assumption" in table
    assert {"employee_hour", "participatiewet", "bonus_50plus"} <= {b["code"] for b in table["blocks"]}
    assert [m["id"] for m in body["matches"]] == [match.id]
    assert body["matches"][0]["status"] == "proposed" and body["matches"][0]["value_cents"] == 100_000
    assert body["policy"]["percentage_bp"] == 500


def test_foreign_contract_is_404_for_everyone_but_its_parties(api: Any, login_as: Any, world: World) -> None:
    for user in ("officer_b", "company_b"):
        login_as(world.users[user])
        problem_of(api.get("/api/v1/contracts/A-001"), 404)
    login_as(world.users["officer_a"])
    assert api.get("/api/v1/contracts/A-001").status_code == 200
    problem_of(api.get("/api/v1/contracts/NOPE"), 404)
    problem_of(api.get("/api/v1/contracts/" + "x" * 5000), 404)


def test_completing_a_contract_lets_its_obligation_be_computed(api: Any, login_as: Any, world: World) -> None:
    contract = world.session.get(Contract, world.contract_a.id)
    assert contract is not None
    contract.policy = Policy(percentage_bp=500, threshold_cents=0, basis="labour_component").as_dict()
    world.session.add(contract)
    world.session.commit()
    login_as(world.users["officer_a"])
    before = api.get("/api/v1/contracts/A-001").get_json()
    assert (
        before["obligation_state"] == "incomplete"
        and before["obligation_missing"] == "labour_component_cents"
    )
    url = "/api/v1/contracts/A-001/complete"
    for body, field in (
        ({}, "labour_component_cents"),
        ({"labour_component_cents": "800000"}, "labour_component_cents"),
        ({"labour_component_cents": -1}, "labour_component_cents"),
        ({"labour_component_cents": 300_000_000}, "labour_component_cents"),  # more than the sum
    ):
        assert problem_of(api.post(url, body), 422)["field"] == field
    response = api.post(url, {"labour_component_cents": 80_000_000})
    assert response.status_code == 200, response.get_json()
    # 5% of a labour component of EUR 800,000: EUR 40,000.
    body = response.get_json()
    assert body["labour_component_cents"] == 80_000_000 and body["obligation_cents"] == 4_000_000
    assert body["remaining_cents"] == 4_000_000
    for user in ("officer_b", "company_b"):
        login_as(world.users[user])
        problem_of(api.post(url, {"labour_component_cents": 1}), 404 if user == "officer_b" else 403)
    login_as(world.users["officer_b"])
    problem_of(api.post(url), 404)  # the object check comes before the body
    login_as(world.users["company_a"])
    problem_of(api.post(url, {"labour_component_cents": 1}), 403)
    world.session.expire_all()
    assert world.session.get(Contract, world.contract_a.id).labour_component_cents == 80_000_000  # type: ignore[union-attr]
