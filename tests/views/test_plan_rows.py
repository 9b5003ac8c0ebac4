"""The rows of a plan (the planner's plan and the plan van aanpak) are form rows: every bad row shows its error
beside the row's field and in the summary naming the row, all at once, and nothing is stored."""

from typing import Any

import flask_babel
import pytest
from sqlmodel import Session, select

from marketplace.models import Match
from marketplace.models.lifecycle import Plan as ContractPlan
from marketplace.search_sync import get_backend, reindex
from tests.conftest import World


@pytest.fixture
def company(app: Any, client: Any, login_as: Any, db_session: Session, world: World) -> Any:
    reindex(db_session, get_backend(app))
    world.users["company_a"].locale = "en"
    world.session.add(world.users["company_a"])
    world.session.commit()
    login_as(world.users["company_a"])
    flask_babel.refresh()
    return client


def _row(n: int, need_id: int | None, units: str, include: bool = True) -> dict[str, str]:
    data = {
        f"row-{n}-target": f"need:{need_id}",
        f"row-{n}-block": "employee_hour",
        f"row-{n}-unit": "hours",
        f"row-{n}-units": units,
    }
    if include:
        data[f"row-{n}-include"] = "1"
    return data


def _error_beside(html: str, name: str) -> str:
    assert f'id="f-{name}"' in html and f'aria-describedby="f-{name}-error"' in html
    return html.split(f'id="f-{name}-error">', 1)[1].split("</p>", 1)[0]


def test_a_plan_with_two_bad_rows_shows_both_and_stores_nothing(company: Any, world: World) -> None:
    hours = world.need_hours.id
    data = {
        **_row(1, hours, "10"),
        **_row(2, hours, "0"),
        **_row(3, hours, "abc"),
        **_row(4, hours, "x", False),
    }
    response = company.post(f"/company/contracts/{world.contract_a.id}/plan", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a number from 1 to 1000000000." in _error_beside(html, "row-2-units")
    assert "Enter a whole number." in _error_beside(html, "row-3-units")
    assert "Pledge 2 of the plan, units: Enter a number from 1" in html
    assert "Pledge 3 of the plan, units: Enter a whole number." in html
    assert "Pledge 4 of the plan" not in html and "Pledge 1 of the plan" not in html  # unticked, fine
    assert world.session.exec(select(Match)).all() == []


def test_a_good_plan_still_submits(company: Any, world: World) -> None:
    data = {**_row(1, world.need_hours.id, "30"), **_row(2, world.need_hours.id, "5", include=False)}
    response = company.post(f"/company/contracts/{world.contract_a.id}/plan", data=data)
    assert response.status_code == 302
    assert [m.quantity for m in world.session.exec(select(Match)).all()] == [30]


def test_a_service_refusal_goes_beside_the_row(company: Any, world: World) -> None:
    data = {**_row(1, world.need_hours.id, "30"), **_row(3, world.need_hours.id, "80")}  # > 100 open
    response = company.post(f"/company/contracts/{world.contract_a.id}/plan", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _error_beside(html, "row-3-units")  # the second ticked row is row 3 of the page
    assert "Pledge 3 of the plan, units:" in html
    assert world.session.exec(select(Match)).all() == []


def test_the_plan_van_aanpak_shows_every_bad_row(company: Any, world: World) -> None:
    url = f"/company/contracts/{world.contract_a.id}/plan-van-aanpak"
    data = {
        "text": "Wij gaan aan de slag.",
        "action": "save",
        **_row(1, world.need_hours.id, "0"),
        "row-2-include": "1",
        "row-2-target": "<script>",
        "row-2-block": "employee_hour",
        "row-2-unit": "hours",
        "row-2-units": "3",
        "placement-1-target_group": "participatiewet",
        "placement-1-persons": "2",
        "placement-1-months": "abc",
        "placement-3-target_group": "bogus",
        "placement-3-persons": "1",
        "placement-3-months": "6",
    }
    response = company.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _error_beside(html, "row-1-units")
    assert "Pledge 2 of the plan, need or initiative: Choose one of the options." in html
    assert "Enter a whole number." in _error_beside(html, "placement-1-months")
    assert "Intended placement 3, target group: Choose one of the options." in html
    assert 'value="abc"' in html  # what was typed is shown again
    assert world.session.exec(select(ContractPlan)).all() == []
    good = company.post(
        url,
        data={
            "text": "Wij gaan aan de slag.",
            "action": "save",
            **_row(1, world.need_hours.id, "10"),
            "placement-2-target_group": "participatiewet",
            "placement-2-persons": "2",
            "placement-2-months": "6",
        },
    )
    assert good.status_code == 302
    plan = world.session.exec(select(ContractPlan)).one()
    assert len(plan.pledges) == 1 and plan.placements[0]["persons"] == 2
