"""Placements through the API: a person block valued from its placement, the register, and the person's privacy."""

import logging
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel, select

from marketplace.models import Match, PersonMonth, Placement
from tests.api.conftest import contract_totals, placement_body, problem_of
from tests.conftest import World, placement

PLEDGES = "/api/v1/contracts/A-001/pledges"
VALUATION = "/api/v1/contracts/A-001/valuation"
REGISTER = "/api/v1/contracts/A-001/placements"
REFERENCE = "PNR-4711-Jansen"


@pytest.fixture
def company_a(login_as: Any, world: World) -> World:
    login_as(world.users["company_a"])
    return world


def _pledge(api: Any, reference: str = REFERENCE, **fields: Any) -> Any:
    return api.post(PLEDGES, {"block": "participatiewet", "placement": placement_body(reference, **fields)})


def test_a_placement_is_valued_from_its_dates_hours_and_person(api: Any, company_a: World) -> None:
    # 1 April to 30 September 2025 is 6 months; 18 of 36 hours; 55+ earns Utrecht's 50+ bonus:
    # (EUR 40,000 + EUR 10,000) x 18/36 x 6/12 = EUR 12,500.
    response = _pledge(api, hours_per_week=18, end_date="2025-09-30", age_band="55_plus")
    assert response.status_code == 201, response.get_json()
    match = response.get_json()
    assert match["value_cents"] == 1_250_000
    assert (match["quantity"], match["hours_per_week"], match["months"]) == (1, 18, 6)
    assert match["bonuses"] == ["bonus_50plus"]
    assert [(line["kind"], line["value_cents"]) for line in match["breakdown"]] == [
        ("base", 1_000_000),
        ("bonus", 250_000),
    ]
    assert match["placement"]["target_group"] == "participatiewet"
    assert match["placement"]["start_date"] == "2025-04-01" and match["placement"]["end_date"] == "2025-09-30"
    assert contract_totals(api, "A-001")["pending_cents"] == 1_250_000
    stored = company_a.session.exec(select(Placement)).one()
    assert match["placement"]["person_key_prefix"] == stored.person_key[:10]
    months = company_a.session.exec(select(PersonMonth.month).order_by(PersonMonth.month)).all()
    assert months == ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09"]


def test_an_internship_counts_its_weeks(api: Any, company_a: World) -> None:
    # 1 April to 29 September 2025 is 181 days: 25 whole weeks x EUR 20,000 / 52 = EUR 9,615.38.
    person = placement_body(
        target_group="bol_bbl", proof_kind="school", employment="internship", end_date="2025-09-29"
    )
    response = api.post(PLEDGES, {"block": "mbo_bol", "placement": person})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["weeks"] == 25 and response.get_json()["value_cents"] == 961_538


def test_the_same_person_counts_once_a_month(api: Any, company_a: World) -> None:
    assert _pledge(api).status_code == 201
    # The reference is normalised before it is keyed: the same person, written differently.
    problem = problem_of(
        _pledge(api, " pnr-4711-jansen", start_date="2026-03-01", end_date="2026-06-30"), 422
    )
    assert problem["field"] == "placement.start_date" and "2026-03" in problem["detail"]
    assert len(company_a.session.exec(select(Match)).all()) == 1
    assert _pledge(api, start_date="2026-04-01", end_date="2026-06-30").status_code == 201


def test_a_preview_stores_nothing(api: Any, company_a: World) -> None:
    body = {"block": "participatiewet", "placement": placement_body(REFERENCE)}
    out = api.post(VALUATION, body).get_json()
    assert out["value_cents"] == 4_000_000  # a full year full time: EUR 40,000
    assert company_a.session.exec(select(Placement)).all() == []
    assert company_a.session.exec(select(PersonMonth)).all() == []


def test_the_register_lists_placements_for_the_company_and_its_officers(
    api: Any, login_as: Any, world: World
) -> None:
    login_as(world.users["company_a"])
    later = _pledge(api, "P-2", start_date="2025-06-01").get_json()
    first = _pledge(api, "P-1", employment="permanent").get_json()
    api.post(PLEDGES, {"block": "employee_hour", "quantity": 5, "need_id": world.need_hours.id})  # no person
    for user in ("company_a", "officer_a"):
        login_as(world.users[user])
        body = api.get(REGISTER).get_json()
        assert body["total"] == 2 and body["page"] == 1
        assert [row["match_id"] for row in body["items"]] == [first["id"], later["id"]]  # by start date
        row = body["items"][0]
        assert row["status"] == "proposed" and row["block"] == "participatiewet"
        # A full year full time; the test table has no permanent-contract bonus: EUR 40,000.
        assert row["value_cents"] == first["value_cents"] == 4_000_000
        assert (row["employment"], row["proof_kind"], row["hours_per_week"]) == (
            "permanent",
            "benefit_letter",
            36,
        )
        assert (row["start_date"], row["end_date"]) == ("2025-04-01", "2026-03-31")
        assert len(row["person_key_prefix"]) == 10
        assert set(row) == {
            "person_key_prefix",
            "target_group",
            "proof_kind",
            "employment",
            "start_date",
            "end_date",
            "hours_per_week",
            "match_id",
            "block",
            "value_cents",
            "status",
            "url",
        }
    page = api.get(REGISTER + "?per_page=1&page=2").get_json()
    assert page["total"] == 2 and [row["match_id"] for row in page["items"]] == [later["id"]]


def test_the_register_is_404_outside_the_contract(api: Any, login_as: Any, world: World) -> None:
    world.pledge(need_id=None, block_code="participatiewet", quantity=None, placement=placement())
    for user in ("company_b", "officer_b"):
        login_as(world.users[user])
        problem_of(api.get(REGISTER), 404)
    login_as(world.users["initiative_a"])
    problem_of(api.get(REGISTER), 403)


def _all_rows_text(world: World) -> str:
    """Every value in every table of the database, as text."""
    world.session.expire_all()
    chunks = []
    for table in SQLModel.metadata.sorted_tables:
        for row in world.session.execute(text(f'SELECT * FROM "{table.name}"')).all():  # noqa: S608
            chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


def test_no_person_reference_reaches_a_response_the_database_or_a_log(
    api: Any, login_as: Any, world: World, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    login_as(world.users["company_a"])
    responses = [
        api.post(VALUATION, {"block": "participatiewet", "placement": placement_body(REFERENCE)}),
        created := _pledge(api),
        _pledge(api),  # the same person again: refused
        _pledge(api, REFERENCE + "x" * 100),  # too long: refused
        _pledge(api, hours_per_week=99),
    ]
    match_id = created.get_json()["id"]
    responses += [
        api.get(f"/api/v1/matches/{match_id}"),
        api.get("/api/v1/contracts/A-001"),
        api.get(REGISTER),
    ]
    login_as(world.users["officer_a"])
    responses += [
        api.get(REGISTER),
        api.decide(f"/api/v1/matches/{match_id}/approve"),
        api.post(
            f"/api/v1/matches/{match_id}/revisions",
            {"kind": "ended_early", "reason": "Uit dienst", "new_end_date": "2025-06-30"},
        ),
        api.get(f"/api/v1/matches/{match_id}/revisions"),
    ]
    assert [r.status_code for r in responses] == [200, 201, 422, 422, 422, 200, 200, 200, 200, 200, 201, 200]
    for response in responses:
        body = response.get_data(as_text=True).upper()
        assert REFERENCE.upper() not in body and "4711" not in body, body[:300]
    stored = world.session.exec(select(Placement)).one()
    assert len(stored.person_key) == 64 and "4711" not in stored.person_key
    everything = _all_rows_text(world).upper()
    assert "4711" not in everything and "JANSEN" not in everything
    assert "4711" not in caplog.text and "Jansen" not in caplog.text
