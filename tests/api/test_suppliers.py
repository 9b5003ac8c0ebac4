"""Suppliers outside the catalogue through the API: a purchase names one by KvK number, the officer decides."""

from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import Match, Supplier, SupplierRecognition
from tests.api.conftest import contract_totals, problem_of
from tests.conftest import World

PLEDGES = "/api/v1/contracts/A-001/pledges"
PANTAR = {
    "kvk": "12345678",
    "name": "Pantar Schoonmaak",
    "kind": "sw_company",
    "basis": "sw_company",
    "evidence": "SW-bedrijf van de gemeente",
    "city": "Aastad",
}


def _purchase(api: Any, supplier: dict[str, Any], quantity: int = 1_200_000) -> Any:
    return api.post(PLEDGES, {"block": "purchase_social_firm", "quantity": quantity, "supplier": supplier})


def _recognition_id(world: World, kvk: str = "12345678") -> int:
    world.session.expire_all()
    supplier = world.session.exec(select(Supplier).where(Supplier.kvk == kvk)).one()
    row = world.session.exec(
        select(SupplierRecognition).where(SupplierRecognition.supplier_id == supplier.id)
    ).one()
    return row.id or 0


def test_a_purchase_from_an_sw_bedrijf_counts_once_the_officer_recognises_it(
    api: Any, login_as: Any, world: World
) -> None:
    login_as(world.users["company_a"])
    response = _purchase(api, PANTAR)
    assert response.status_code == 201, response.get_json()
    match = response.get_json()
    # An invoice of EUR 12,000 excl. VAT at 100%: EUR 12,000.
    assert match["value_cents"] == 1_200_000 and match["initiative"] is None
    assert match["supplier"] == {"kvk": "12345678", "name": "Pantar Schoonmaak", "kind": "sw_company"}

    login_as(world.users["officer_a"])
    problem = problem_of(api.decide(f"/api/v1/matches/{match['id']}/approve"), 422)
    assert problem["field"] == "supplier" and "Recognise the supplier first" in problem["detail"]
    listed = api.get("/api/v1/suppliers").get_json()
    assert listed["total"] == 1
    row = listed["items"][0]
    assert row["supplier"] == {
        "kvk": "12345678",
        "name": "Pantar Schoonmaak",
        "kind": "sw_company",
        "city": "Aastad",
    }
    assert (row["status"], row["basis"], row["pledges"]) == ("pending", "sw_company", 1)
    decided = api.post(f"/api/v1/suppliers/{row['id']}/recognise", {"reason": "Staat op onze lijst"})
    assert decided.status_code == 200, decided.get_json()
    assert (
        decided.get_json()["status"] == "recognised" and decided.get_json()["note"] == "Staat op onze lijst"
    )
    assert api.decide(f"/api/v1/matches/{match['id']}/approve").status_code == 200
    assert contract_totals(api, "A-001")["committed_cents"] == 1_200_000


def test_pending_suppliers_come_first(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    for n in range(1, 4):
        assert _purchase(api, {**PANTAR, "kvk": f"1000000{n}", "name": f"Firma {n}"}).status_code == 201
    login_as(world.users["officer_a"])
    api.post(f"/api/v1/suppliers/{_recognition_id(world, '10000001')}/recognise")
    api.post(
        f"/api/v1/suppliers/{_recognition_id(world, '10000002')}/refuse", {"reason": "Geen sociale firma"}
    )
    items = api.get("/api/v1/suppliers").get_json()["items"]
    assert [(r["supplier"]["kvk"], r["status"]) for r in items][0] == ("10000003", "pending")
    assert {r["status"] for r in items[1:]} == {"recognised", "refused"}


def test_a_refusal_needs_a_reason_and_stops_the_next_purchase(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    _purchase(api, PANTAR)
    login_as(world.users["officer_a"])
    url = f"/api/v1/suppliers/{_recognition_id(world)}/refuse"
    for body in (None, {"reason": ""}, {"reason": "  "}, {"reason": ["x"]}):
        assert problem_of(api.post(url, body), 422)["field"] == "reason"
    refused = api.post(url, {"reason": "Minder dan 30% van het personeel"}).get_json()
    assert refused["status"] == "refused" and refused["note"] == "Minder dan 30% van het personeel"
    login_as(world.users["company_a"])
    problem = problem_of(_purchase(api, PANTAR, 50_000), 422)
    assert problem["field"] == "supplier.kvk" and "Minder dan 30%" in problem["detail"]


def test_a_second_decision_is_409(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    _purchase(api, PANTAR)
    login_as(world.users["officer_a"])
    recognition_id = _recognition_id(world)
    assert api.post(f"/api/v1/suppliers/{recognition_id}/recognise").status_code == 200
    problem_of(api.post(f"/api/v1/suppliers/{recognition_id}/recognise"), 409)
    problem_of(api.post(f"/api/v1/suppliers/{recognition_id}/refuse", {"reason": "toch niet"}), 409)
    world.session.expire_all()
    assert world.session.exec(select(SupplierRecognition.status)).all() == ["recognised"]


def test_another_government_gets_404(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    _purchase(api, PANTAR)
    recognition_id = _recognition_id(world)
    login_as(world.users["officer_b"])
    assert api.get("/api/v1/suppliers").get_json()["items"] == []
    problem_of(api.post(f"/api/v1/suppliers/{recognition_id}/recognise"), 404)
    problem_of(api.post(f"/api/v1/suppliers/{recognition_id}/refuse"), 404)  # before the body is read
    problem_of(api.post(f"/api/v1/suppliers/{10**12}/refuse", {"reason": "x"}), 404)
    for user in ("company_a", "initiative_a"):
        login_as(world.users[user])
        problem_of(api.get("/api/v1/suppliers"), 403)
        problem_of(api.post(f"/api/v1/suppliers/{recognition_id}/recognise"), 403)
    world.session.expire_all()
    assert world.session.exec(select(SupplierRecognition.status)).all() == ["pending"]


@pytest.mark.parametrize(
    "supplier, field",
    [
        ({**PANTAR, "kvk": "1234"}, "supplier.kvk"),
        ({**PANTAR, "kvk": 12345678}, "supplier.kvk"),
        ({**PANTAR, "name": ""}, "supplier.name"),
        ({**PANTAR, "name": "n" * 201}, "supplier.name"),
        ({**PANTAR, "kind": "initiative"}, "supplier.kind"),
        ({**PANTAR, "basis": "trust_me"}, "supplier.basis"),
        ({**PANTAR, "evidence": "e" * 2001}, "supplier.evidence"),
        ({**PANTAR, "city": "c" * 101}, "supplier.city"),
        ({k: v for k, v in PANTAR.items() if k != "basis"}, "supplier.basis"),
        ({**PANTAR, "iban": "NL00"}, "supplier.iban"),
        ("12345678", "supplier"),
    ],
)
def test_bad_suppliers_are_422_with_the_field(
    api: Any, login_as: Any, world: World, supplier: Any, field: str
) -> None:
    login_as(world.users["company_a"])
    assert problem_of(_purchase(api, supplier), 422)["field"] == field
    assert world.session.exec(select(Match)).all() == [] and world.session.exec(select(Supplier)).all() == []
