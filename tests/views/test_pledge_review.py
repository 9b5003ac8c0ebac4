"""A pledge from a recommendation is reviewed before it is made: value, unit, table; confirm or change."""

import re
from typing import Any

import pytest
from sqlmodel import Session, func, select

from marketplace.models import Match
from marketplace.search_sync import get_backend, reindex
from tests.conftest import World


@pytest.fixture
def company(client: Any, login_as: Any, world: World) -> Any:
    login_as(world.users["company_a"])
    return client


def _pledges(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Match)).one()


def _review(company: Any, world: World, **data: str) -> Any:
    fields = {
        "target": f"need:{world.need_hours.id}",
        "block": "employee_hour",
        "quantity": "25",
        "submission_key": "card-1",
        **data,
    }
    return company.post(f"/company/contracts/{world.contract_a.id}/pledge/review", data=fields)


def _text(response: Any) -> str:
    return response.get_data(as_text=True).replace("\xa0", " ").replace("&#39;", "'")


def test_the_recommendation_card_sends_its_pledge_to_the_review_not_straight_to_the_pledge(
    app: Any, client: Any, login_as: Any, world: World
) -> None:
    reindex(world.session, get_backend(app))
    login_as(world.users["company_a"])
    html = _text(client.get(f"/company/contracts/{world.contract_a.id}"))
    start = html.index(f'value="need:{world.need_hours.id}"')
    form = html[html.rindex("<form", 0, start) : html.index("</form>", start)]
    assert f'action="/company/contracts/{world.contract_a.id}/pledge/review"' in form
    assert "Review pledge" in form or "Bijdrage controleren" in form
    # Value and unit stay on the card, with a default quantity within what the need has open.
    assert re.search(r'name="quantity"[^>]*max="100"[^>]*value="100"', form)
    assert ("uren" in form or "hours" in form) and ("10.000,00" in form or "10,000.00" in form)
    # The job places go to the placement form (a place is a person), never to a one-step pledge.
    assert f"/company/contracts/{world.contract_a.id}/placement?" in html


def test_review_shows_target_block_quantity_value_and_table_and_creates_nothing(
    company: Any, world: World
) -> None:
    response = _review(company, world)
    assert response.status_code == 200
    html = _text(response)
    target = html[html.index('id="review-target"') :]
    assert "Voedselbank Aastad" in target[:200] and "Chauffeurs" in target[:200]
    quantity = html[html.index('id="review-quantity"') :][:200]
    assert "25 uur" in quantity or "25 hours" in quantity
    assert "2.500,00" in html or "2,500.00" in html  # 25 hours x EUR 100
    assert world.table_a.name in html and f"version {world.table_a.version}" in html.replace(
        "versie", "version"
    )
    assert "Confirm pledge" in html or "Bevestig" in html
    assert _pledges(world.session) == 0


def test_review_warns_above_the_open_capacity(company: Any, world: World) -> None:
    html = _text(_review(company, world, quantity="150"))
    warning = html[html.index('id="review-warning"') :][:300]
    assert "100 uur" in warning or "100 hours" in warning
    assert _pledges(world.session) == 0


def test_confirm_creates_exactly_one_pledge_and_a_second_confirm_none(company: Any, world: World) -> None:
    html = _text(_review(company, world))
    form = html[html.index(f'action="/company/contracts/{world.contract_a.id}/pledge"') :]
    form = form[: form.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form))
    assert fields["submission_key"] == "card-1" and fields["quantity"] == "25"
    assert fields["target"] == f"need:{world.need_hours.id}" and fields["block"] == "employee_hour"
    url = f"/company/contracts/{world.contract_a.id}/pledge"
    first = company.post(url, data=fields)
    assert first.status_code == 302
    match = world.session.exec(select(Match)).one()
    assert (match.quantity, match.value_cents, match.status) == (25, 250_000, "proposed")
    # The same confirm again (a double click, or back and confirm): no second pledge; it shows the first.
    again = company.post(url, data=fields)
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/company/matches/{match.id}")
    shown = _text(company.get(again.headers["Location"]))
    assert "already submitted" in shown or "al ingediend" in shown
    assert _pledges(world.session) == 1


def test_change_opens_the_full_form_with_the_reviewed_values(company: Any, world: World) -> None:
    html = _text(_review(company, world))
    change = re.search(r'href="([^"]*)"[^>]*>(Change|Wijzigen)<', html)
    assert change is not None
    url = change.group(1).replace("&amp;", "&")
    assert url.startswith(f"/company/contracts/{world.contract_a.id}/pledge?")
    form = _text(company.get(url))
    assert (
        f'value="need:{world.need_hours.id}" data-unit="hours" data-initiative="{world.ini_a.id}" selected'
        in form
    )
    assert re.search(r'<option value="employee_hour"[^>]*selected', form)
    assert re.search(r'name="quantity"[^>]*value="25"', form)


@pytest.mark.parametrize("quantity", ["0", "2,5", "veel"])
def test_a_wrong_quantity_on_review_shows_the_full_form_with_the_error_beside_it(
    company: Any, world: World, quantity: str
) -> None:
    response = _review(company, world, quantity=quantity)
    assert response.status_code == 400
    html = _text(response)
    assert 'id="pledge-form"' in html  # the full form, not the review
    assert 'id="f-quantity-error"' in html and 'aria-invalid="true"' in html
    assert 'class="error-summary"' in html
    assert _pledges(world.session) == 0


def test_review_of_a_need_that_does_not_count_is_refused_beside_the_target(
    company: Any, world: World
) -> None:
    response = _review(company, world, target=f"need:{world.need_b.id}")
    assert response.status_code == 400
    html = _text(response)
    assert 'id="pledge-form"' in html and 'id="f-target-error"' in html and "Beedorp" in html
    assert _pledges(world.session) == 0


def test_review_of_another_companys_contract_is_not_found(client: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_b"])
    assert _review(client, world).status_code == 404
