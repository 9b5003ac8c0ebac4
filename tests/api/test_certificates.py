"""PSO certificates through the API: the company registers its own, and pledges one once per contract."""

from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import Certificate, Match
from tests.api.conftest import contract_totals, problem_of
from tests.conftest import World

URL = "/api/v1/certificates"
TREDE_2 = {
    "level": "trede_2",
    "number": "PSO-2024-118",
    "issued_on": "2024-06-01",
    "valid_until": "2026-05-31",
}


@pytest.fixture
def company_a(login_as: Any, world: World) -> World:
    login_as(world.users["company_a"])
    return world


def test_the_company_registers_and_lists_its_certificates(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    response = api.post(URL, TREDE_2)
    assert response.status_code == 201, response.get_json()
    cert = response.get_json()
    assert {k: cert[k] for k in TREDE_2} == TREDE_2 and isinstance(cert["id"], int)
    # The same level again renews the certificate: still one.
    renewed = api.post(URL, {**TREDE_2, "issued_on": "2025-01-01", "valid_until": "2026-12-31"}).get_json()
    assert renewed["id"] == cert["id"] and renewed["valid_until"] == "2026-12-31"
    api.post(URL, {"level": "trede_1", "issued_on": "2024-01-01", "valid_until": "2025-12-31"})
    listed = api.get(URL).get_json()
    assert listed["total"] == 2 and [c["level"] for c in listed["items"]] == ["trede_2", "trede_1"]
    login_as(world.users["company_b"])  # another company sees none of them
    assert api.get(URL).get_json() == {"items": [], "total": 0, "page": 1, "per_page": 20}
    for user in ("officer_a", "initiative_a"):
        login_as(world.users[user])
        problem_of(api.get(URL), 403)
        problem_of(api.post(URL, TREDE_2), 403)


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "level"),
        ({**TREDE_2, "level": "trede_9"}, "level"),
        ({k: v for k, v in TREDE_2.items() if k != "issued_on"}, "issued_on"),
        ({**TREDE_2, "issued_on": "1 juni 2024"}, "issued_on"),
        ({**TREDE_2, "valid_until": "2024-05-31"}, "valid_until"),  # before it was issued
        ({**TREDE_2, "valid_until": "2026-06-03"}, "valid_until"),  # more than two years (731 days)
        ({**TREDE_2, "valid_until": "2999-01-01"}, "valid_until"),
        ({**TREDE_2, "number": "n" * 61}, "number"),
        ({**TREDE_2, "number": 118}, "number"),
        ({**TREDE_2, "company_id": 2}, "company_id"),
    ],
)
def test_bad_certificates_are_422_with_the_field(
    api: Any, company_a: World, body: dict[str, Any], field: str
) -> None:
    assert problem_of(api.post(URL, body), 422)["field"] == field
    assert company_a.session.exec(select(Certificate)).all() == []


def test_a_certificate_counts_once_per_contract(api: Any, company_a: World) -> None:
    cert_id = api.post(URL, TREDE_2).get_json()["id"]
    pledge = {"block": "pso_certificate", "quantity": 1, "certificate_id": cert_id}
    # The tests' policy counts trede 2 as the whole obligation: 100% of 5% of EUR 2,000,000 = EUR 100,000.
    preview = api.post("/api/v1/contracts/A-001/valuation", pledge).get_json()
    assert preview["value_cents"] == 10_000_000 and preview["lines"][0]["kind"] == "certificate"
    response = api.post("/api/v1/contracts/A-001/pledges", pledge)
    assert response.status_code == 201, response.get_json()
    assert (
        response.get_json()["certificate_id"] == cert_id and response.get_json()["value_cents"] == 10_000_000
    )
    problem = problem_of(api.post("/api/v1/contracts/A-001/pledges", pledge), 422)
    assert problem["field"] == "certificate_id" and "once per contract" in problem["detail"]
    assert contract_totals(api, "A-001")["pending_cents"] == 10_000_000
    # A certificate counts once: there is nothing to count but the one.
    for quantity in (None, 2):
        problem = problem_of(
            api.post("/api/v1/contracts/A-001/valuation", {**pledge, "quantity": quantity}), 422
        )
        assert problem["field"] == "quantity"


def test_a_certificate_of_another_company_or_level_is_refused(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_b"])
    foreign = api.post(URL, TREDE_2).get_json()["id"]
    login_as(world.users["company_a"])
    trede_1 = api.post(URL, {**TREDE_2, "level": "trede_1"}).get_json()[
        "id"
    ]  # the policy counts trede 2 only
    for cert_id in (foreign, trede_1, 999_999, None):
        body = {"block": "pso_certificate", "quantity": 1, "certificate_id": cert_id}
        assert problem_of(api.post("/api/v1/contracts/A-001/pledges", body), 422)["field"] == "certificate_id"
    assert world.session.exec(select(Match)).all() == []
