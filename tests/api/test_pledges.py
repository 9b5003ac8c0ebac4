"""Valuation preview and pledging through the API: exact values, validation as 422, idempotency, CSRF."""

import re
from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import AuditEvent, Match
from tests.api.conftest import contract_totals, hours_pledge, placement_body, problem_of
from tests.conftest import World

PLEDGES = "/api/v1/contracts/A-001/pledges"
VALUATION = "/api/v1/contracts/A-001/valuation"


@pytest.fixture
def company_a(login_as: Any, world: World) -> World:
    login_as(world.users["company_a"])
    return world


def test_valuation_preview_gives_value_lines_and_table(api: Any, company_a: World) -> None:
    # Half a year at 18 hours a week for a person of 50 to 54: the 50+ bonus follows from the person.
    person = placement_body(
        hours_per_week=18, start_date="2025-04-01", end_date="2025-09-30", age_band="50_54"
    )
    response = api.post(VALUATION, {"block": "participatiewet", "placement": person})
    assert response.status_code == 200, response.get_json()
    out = response.get_json()
    # The worked example: (EUR 40,000 + EUR 10,000) x 18/36 x 6/12 = EUR 12,500.
    assert out["value_cents"] == 1_250_000
    assert out["table"] == {"version": 1, "name": "Bouwblokken Aastad"}
    assert [line["kind"] for line in out["lines"]] == ["base", "bonus"]
    assert sum(line["value_cents"] for line in out["lines"]) == 1_250_000
    assert all(line["text"] for line in out["lines"])
    # Nothing was stored.
    assert company_a.session.exec(select(Match)).all() == []


def test_valuation_of_money_block_is_in_cents_and_reports_capacity(api: Any, company_a: World) -> None:
    out = api.post(
        VALUATION, {"block": "donation_initiative", "quantity": 250_050, "need_id": company_a.need_money.id}
    ).get_json()
    assert out["value_cents"] == 250_050
    assert out["need"] == {"id": company_a.need_money.id, "open_quantity": 500_000, "unit": "cents"}
    out = api.post(
        VALUATION, {"block": "donation_initiative", "quantity": 600_000, "need_id": company_a.need_money.id}
    ).get_json()
    assert out["warning"] == "above_capacity"


def test_pledge_moves_pending_by_exactly_its_value(api: Any, company_a: World) -> None:
    before = contract_totals(api, "A-001")
    response = api.post(PLEDGES, {**hours_pledge(company_a, 12), "note": "Twee chauffeurs"})
    assert response.status_code == 201, response.get_json()
    match = response.get_json()
    assert match["status"] == "proposed" and match["value_cents"] == 120_000
    assert match["contract"] == "A-001" and match["note"] == "Twee chauffeurs"
    assert match["need"]["id"] == company_a.need_hours.id and match["table_version"] == 1
    assert response.headers["Location"].endswith(f"/api/v1/matches/{match['id']}")
    assert [e["action"] for e in match["history"]] == ["match.pledged"]
    after = contract_totals(api, "A-001")
    assert after["pending_cents"] - before["pending_cents"] == 120_000
    assert after["remaining_cents"] == before["remaining_cents"]  # only approval commits


@pytest.mark.parametrize("quantity", ["abc", -1, 10**15, [1, 2], {"x": 1}, 1.5, True, None, 10**400])
def test_bad_quantity_is_422_with_the_field(api: Any, company_a: World, quantity: Any) -> None:
    body = {"block": "donation_initiative", "quantity": quantity, "need_id": company_a.need_money.id}
    for url in (VALUATION, PLEDGES):
        problem = problem_of(api.post(url, body), 422)
        assert problem["field"] == "quantity", problem
    assert company_a.session.exec(select(Match)).all() == []


def test_validation_detail_is_in_the_callers_language(
    app: Any, api: Any, company_a: World, db_session: Any
) -> None:
    from flask_babel import force_locale, gettext

    user = company_a.users["company_a"]
    for locale in ("en", "nl"):
        user.locale = locale
        db_session.add(user)
        db_session.commit()
        detail = problem_of(api.post(PLEDGES, {**hours_pledge(company_a), "quantity": "abc"}), 422)["detail"]
        with app.test_request_context(), force_locale(locale):
            assert detail == gettext("Enter a whole number.")
        # A service refusal is translated the same way.
        detail = problem_of(api.post(PLEDGES, {"block": "nope", "quantity": 1}), 422)["detail"]
        with app.test_request_context(), force_locale(locale):
            assert detail == gettext("Choose a building block from the contract's valuation table.")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"quantity": 1}, "block"),
        ({"block": "no-such-block", "quantity": 1}, "block"),
        ({"block": "employee_hour", "quantity": 1, "need_id": "7"}, "need_id"),
        ({"block": "employee_hour", "quantity": 1, "need_id": 10**12}, "need_id"),
        ({"block": "employee_hour", "quantity": 1, "need_id": 999_999}, "need_id"),
        ({"block": "employee_hour", "quantity": 1}, "need_id"),  # help goes to an initiative
        # A person block needs its placement; the service's refusals name the placement's fields.
        ({"block": "participatiewet"}, "placement"),
        (
            {"block": "participatiewet", "placement": placement_body(hours_per_week=80)},
            "placement.hours_per_week",
        ),
        (
            {"block": "participatiewet", "placement": placement_body(hours_per_week="36")},
            "placement.hours_per_week",
        ),
        (
            {"block": "participatiewet", "placement": placement_body(target_group="nope")},
            "placement.target_group",
        ),
        ({"block": "participatiewet", "placement": placement_body(proof_kind="bsn")}, "placement.proof_kind"),
        (
            {"block": "participatiewet", "placement": placement_body(end_date="2025-13-01")},
            "placement.end_date",
        ),
        (
            {"block": "participatiewet", "placement": placement_body(start_date="2025-01-01")},
            "placement.start_date",
        ),
        (
            {"block": "participatiewet", "placement": placement_body(reference="")},
            "placement.person_reference",
        ),
        (
            {"block": "participatiewet", "placement": placement_body(reference="r" * 101)},
            "placement.person_reference",
        ),
        (
            {"block": "participatiewet", "placement": placement_body(occupational_disability=1)},
            "placement.occupational_disability",
        ),
        ({"block": "participatiewet", "placement": {**placement_body(), "bsn": "1"}}, "placement.bsn"),
        ({"block": "participatiewet", "placement": "P-001"}, "placement"),
        # Bonuses, hours and months are no longer chosen: they follow from the placement.
        ({"block": "participatiewet", "placement": placement_body(), "bonuses": ["bonus_50plus"]}, "bonuses"),
        ({"block": "participatiewet", "placement": placement_body(), "months": 6}, "months"),
        ({"block": "x" * 10_000, "quantity": 1}, "block"),
        ({"block": "employee_hour", "quantity": 1, "note": "n" * 30_000}, "note"),
        ({"block": "employee_hour", "quantity": 1, "note": 5}, "note"),
        ({"block": "employee_hour", "quantity": 1, "quantiy": 1}, "quantiy"),
    ],
)
def test_invalid_bodies_are_422_with_the_field(
    api: Any, company_a: World, body: dict[str, Any], field: str
) -> None:
    problem = problem_of(api.post(PLEDGES, body), 422)
    assert problem["field"] == field, problem


def test_need_capacity_is_enforced(api: Any, company_a: World) -> None:
    problem = problem_of(api.post(PLEDGES, hours_pledge(company_a, 101)), 422)
    assert problem["field"] == "quantity"


@pytest.mark.parametrize(
    "data, content_type, status",
    [
        ("not json", "application/json", 400),
        ("[1, 2, 3]", "application/json", 400),
        ('"text"', "application/json", 400),
        ("null", "application/json", 400),
        ("{", "application/json", 400),
        ("[" * 100_000, "application/json", 413),
        ("[" * 5_000, "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
        ("block=employee_hour&quantity=1", "application/x-www-form-urlencoded", 415),
        ('{"block": "employee_hour"}', "text/plain", 415),
    ],
)
def test_non_json_bodies_are_refused_cleanly(
    api: Any, company_a: World, data: Any, content_type: str, status: int
) -> None:
    for url in (VALUATION, PLEDGES):
        problem_of(api.post(url, data=data, content_type=content_type), status)


def test_empty_body_is_an_empty_object(api: Any, company_a: World) -> None:
    assert problem_of(api.post(PLEDGES), 422)["field"] == "block"


def test_idempotency_key_duplicate_is_409_and_one_match(api: Any, company_a: World) -> None:
    headers = {"Idempotency-Key": "pledge-7f3a"}
    first = api.post(PLEDGES, hours_pledge(company_a), headers=headers)
    assert first.status_code == 201
    second = api.post(PLEDGES, hours_pledge(company_a), headers=headers)
    problem = problem_of(second, 409)
    assert problem["match_id"] == first.get_json()["id"]
    assert len(company_a.session.exec(select(Match)).all()) == 1
    # Another key (or none) is another pledge.
    assert api.post(PLEDGES, hours_pledge(company_a), headers={"Idempotency-Key": "other"}).status_code == 201
    assert api.post(PLEDGES, hours_pledge(company_a)).status_code == 201
    assert len(company_a.session.exec(select(Match)).all()) == 3


def test_idempotency_keys_are_per_caller(api: Any, login_as: Any, world: World) -> None:
    headers = {"Idempotency-Key": "same-key"}
    login_as(world.users["company_a"])
    assert api.post(PLEDGES, hours_pledge(world), headers=headers).status_code == 201
    login_as(world.users["company_b"])
    response = api.post(
        "/api/v1/contracts/B-001/pledges",
        {"block": "employee_hour", "quantity": 5, "need_id": world.need_b.id},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("key", ["", "k" * 201, "sleutel-é"])
def test_bad_idempotency_key_is_400(api: Any, company_a: World, key: str) -> None:
    headers = {"Idempotency-Key": key.encode().decode("latin-1")}
    assert (
        problem_of(api.post(PLEDGES, hours_pledge(company_a), headers=headers), 400)["field"]
        == "Idempotency-Key"
    )


def test_foreign_contract_is_404(api: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_b"])
    for url in (PLEDGES, VALUATION):
        problem_of(api.post(url, hours_pledge(world)), 404)
    login_as(world.users["officer_a"])  # may see the contract, may not pledge on it
    problem_of(api.post(PLEDGES, hours_pledge(world)), 403)
    assert world.session.exec(select(Match)).all() == []


def test_pledge_to_initiative_not_eligible_is_422(api: Any, company_a: World) -> None:
    body = {"block": "employee_hour", "quantity": 5, "need_id": company_a.need_b.id}
    assert problem_of(api.post(PLEDGES, body), 422)["field"] == "need_id"


def test_csrf_token_is_required_in_the_header(app: Any, client: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post(PLEDGES, json=hours_pledge(world))
    assert problem_of(refused, 400)["title"] == "CSRF"
    refused = client.post(PLEDGES, json=hours_pledge(world), headers={"X-CSRFToken": "forged"})
    problem_of(refused, 400)
    assert world.session.exec(select(Match)).all() == []

    page = client.get("/company/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert token is not None
    accepted = client.post(PLEDGES, json=hours_pledge(world), headers={"X-CSRFToken": token.group(1)})
    assert accepted.status_code == 201, accepted.get_json()
    assert len(world.session.exec(select(Match)).all()) == 1


def test_pledge_is_audited_with_the_caller(api: Any, company_a: World) -> None:
    match_id = api.post(PLEDGES, hours_pledge(company_a)).get_json()["id"]
    events = company_a.session.exec(select(AuditEvent).where(AuditEvent.entity_id == match_id)).all()
    assert [(e.action, e.actor_id) for e in events] == [("match.pledged", company_a.users["company_a"].id)]
