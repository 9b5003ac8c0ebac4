"""The company's pages: dashboard totals, pledging with bad input, double submit, cancel."""

from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import Match
from marketplace.services import approvals
from tests.conftest import World


@pytest.fixture
def company(client: Any, login_as: Any, world: World) -> Any:
    login_as(world.users["company_a"])
    return client


def test_dashboard_shows_only_own_contracts_with_totals(company: Any, world: World) -> None:
    world.pledge(quantity=40)
    html = company.get("/company/").get_data(as_text=True).replace("\xa0", " ")
    assert "A-001" in html and "A-SMALL" in html and "B-001" not in html
    assert "€ 100.000,00" in html or "€100,000.00" in html  # obligation of EUR 2,000,000 at 5%
    assert "4.000,00" in html or "4,000.00" in html  # pending


def test_pledge_form_submits_and_the_officer_approval_moves_remaining(company: Any, world: World) -> None:
    form = company.get(f"/company/contracts/{world.contract_a.id}/pledge?need={world.need_hours.id}")
    assert form.status_code == 200
    response = company.post(
        f"/company/contracts/{world.contract_a.id}/pledge",
        data={
            "target": f"need:{world.need_hours.id}",
            "block": "employee_hour",
            "quantity": "10",
            "note": "Vier collega's rijden mee",
            "submission_key": "abc",
        },
    )
    assert response.status_code == 302
    match = world.session.exec(select(Match)).one()
    assert match.value_cents == 100_000
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=match.id)
    html = (
        company.get(f"/company/contracts/{world.contract_a.id}").get_data(as_text=True).replace("\xa0", " ")
    )
    assert "99.000,00" in html or "99,000.00" in html  # remaining = 100,000 - 1,000


@pytest.mark.parametrize(
    "data, message",
    [
        ({"block": "employee_hour", "quantity": "-5"}, "from 1 to"),
        ({"block": "employee_hour", "quantity": "99999999999999"}, "from 1 to"),
        ({"block": "employee_hour", "quantity": "abc"}, "whole number of hours"),
        ({"block": "employee_hour", "quantity": "2.5"}, "whole number of hours"),
        ({"block": "employee_hour", "quantity": "1e3"}, "whole number of hours"),
        ({"block": "employee_hour", "quantity": "101"}, "still open"),
        ({"block": "no_such_block", "quantity": "5"}, "building block"),
        ({"block": "employee_hour", "quantity": "5", "note": "x" * 5000}, "Too long"),
    ],
)
def test_bad_pledges_show_a_clear_message_and_store_nothing(
    company: Any, world: World, data: dict[str, str], message: str
) -> None:
    payload = {"target": f"need:{world.need_hours.id}", **data}
    response = company.post(f"/company/contracts/{world.contract_a.id}/pledge", data=payload)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert world.session.exec(select(Match)).all() == []


def test_double_submit_stores_one_pledge(company: Any, world: World) -> None:
    data = {
        "target": f"need:{world.need_hours.id}",
        "block": "employee_hour",
        "quantity": "10",
        "submission_key": "same-key",
    }
    first = company.post(f"/company/contracts/{world.contract_a.id}/pledge", data=data)
    second = company.post(
        f"/company/contracts/{world.contract_a.id}/pledge", data=data, follow_redirects=True
    )
    assert first.status_code == 302 and second.status_code == 200
    assert "already submitted" in second.get_data(as_text=True)
    assert len(world.session.exec(select(Match)).all()) == 1


PLACEMENT = {
    "target": "",
    "block": "participatiewet",
    "person_reference": "PNR-0042",
    "target_group": "participatiewet",
    "proof_kind": "benefit_letter",
    "employment": "temporary",
    "start_date": "2025-04-01",
    "end_date": "2025-09-30",
    "hours_per_week": "18",
    "age_band": "50_54",
}


def test_live_preview_shows_the_breakdown_without_storing(company: Any, world: World) -> None:
    response = company.post(
        f"/company/contracts/{world.contract_a.id}/pledge/preview",
        data=PLACEMENT,
    )
    body = response.get_json()
    # A Participatiewet hire aged 52, 18 h a week for six months: (40,000 + 10,000 for 50+) x 18/36 x 6/12.
    assert body["ok"] and body["value_cents"] == 1_250_000
    assert len(body["lines"]) == 2 and "version 1" in body["table"]
    bad = company.post(
        f"/company/contracts/{world.contract_a.id}/pledge/preview", data={**PLACEMENT, "hours_per_week": "80"}
    )
    assert bad.status_code == 422 and bad.get_json()["field"] == "hours_per_week"
    assert world.session.exec(select(Match)).all() == []


def test_other_companys_contract_and_match_are_404(company: Any, world: World) -> None:
    other = world.pledge(
        actor=world.users["company_b"], contract_id=world.contract_b.id, need_id=world.need_b.id, quantity=5
    )
    assert company.get(f"/company/contracts/{world.contract_b.id}").status_code == 404
    assert company.get(f"/company/matches/{other.id}").status_code == 404
    assert company.post(f"/company/matches/{other.id}/cancel").status_code == 404
    assert company.post(f"/company/contracts/{world.contract_b.id}/pledge", data={}).status_code == 404


def test_cancel_a_proposed_pledge(company: Any, world: World) -> None:
    m = world.pledge(quantity=10)
    response = company.post(f"/company/matches/{m.id}/cancel", follow_redirects=True)
    assert response.status_code == 200
    world.session.expire_all()
    assert world.session.get(Match, m.id).status == "cancelled"  # type: ignore[union-attr]


def test_answering_a_change_request_revalues_the_pledge(company: Any, world: World) -> None:
    m = world.pledge(quantity=40)
    world.act(
        approvals.request_changes, actor=world.users["officer_a"], match_id=m.id, reason="Liever 20 uur"
    )
    page = company.get(f"/company/matches/{m.id}").get_data(as_text=True)
    assert "Liever 20 uur" in page
    response = company.post(
        f"/company/matches/{m.id}/resubmit",
        data={"target": f"need:{world.need_hours.id}", "block": "employee_hour", "quantity": "20"},
    )
    assert response.status_code == 302
    world.session.expire_all()
    m = world.session.get(Match, m.id)
    assert m is not None and (m.status, m.value_cents) == ("proposed", 200_000)


def test_a_placement_form_shows_every_missing_field_at_once(company: Any, world: World) -> None:
    """One submit of an empty placement names each missing field beside it (issue 13: no one-error-per-submit)."""
    response = company.post(
        f"/company/contracts/{world.contract_a.id}/placement", data={"block": "participatiewet"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for field in (
        "person_reference",
        "target_group",
        "proof_kind",
        "start_date",
        "end_date",
        "hours_per_week",
    ):
        assert f'id="f-{field}-error"' in html, field
    assert html.count('aria-invalid="true"') >= 6
    assert world.session.exec(select(Match)).all() == []
