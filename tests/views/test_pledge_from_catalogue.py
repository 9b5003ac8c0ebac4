"""A company pledges from the public catalogue and an initiative's page: it first chooses the contract."""

import re
from datetime import date, timedelta
from typing import Any

import pytest

from marketplace.models import Contract
from marketplace.search_sync import get_backend, reindex
from tests.conftest import World


@pytest.fixture
def company(client: Any, login_as: Any, world: World) -> Any:
    login_as(world.users["company_a"])
    return client


def _text(response: Any) -> str:
    return response.get_data(as_text=True).replace("\xa0", " ").replace("&#39;", "'")


def _contract(world: World, reference: str, **kw: Any) -> Contract:
    fields: dict[str, Any] = {
        "reference": reference,
        "government_id": world.gov_a.id or 0,
        "company_id": world.company_a.id or 0,
        "title": f"Opdracht {reference}",
        "sum_cents": 150_000_000,
        "award_date": date(2025, 4, 1),
        "end_date": date(2029, 4, 1),
        "table_id": world.table_a.id or 0,
        **kw,
    }
    c = Contract(**fields)
    world.session.add(c)
    world.session.commit()
    return c


def _section(html: str, element_id: str) -> str:
    if f'id="{element_id}"' not in html:
        return ""
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</ul>", start)]


def test_the_chooser_lists_only_the_own_running_contracts_this_initiative_counts_for(
    company: Any, world: World
) -> None:
    ended = _contract(world, "A-ENDED", end_date=date.today() - timedelta(days=1))
    settled = _contract(world, "A-SETTLED", status="settled")
    recovery = _contract(world, "A-RECOVERY", status="recovery", end_date=date.today() - timedelta(days=30))
    other_gov = _contract(world, "A-BEEDORP", government_id=world.gov_b.id, table_id=world.table_b.id)
    response = company.get(f"/company/pledge?need={world.need_hours.id}")
    assert response.status_code == 200
    html = _text(response)
    eligible = _section(html, "eligible-contracts")
    assert "A-001" in eligible and "A-SMALL" in eligible and "A-RECOVERY" in eligible
    for hidden in ("A-ENDED", "A-SETTLED", "A-BEEDORP", "B-001"):
        assert hidden not in eligible
    # Each links to the pledge form of that contract, pre-filled with the need.
    link = f'href="/company/contracts/{world.contract_a.id}/pledge?need={world.need_hours.id}"'
    assert link in eligible
    assert f"/company/contracts/{recovery.id}/pledge?need=" in eligible
    # It says why the others are not listed; another company's contract is not named at all.
    others = _section(html, "other-contracts")
    assert "A-ENDED" in others and "A-SETTLED" in others and "A-BEEDORP" in others
    assert "Gemeente Beedorp" in others
    assert "B-001" not in html and "Schoonmaak" not in html
    assert "Chauffeurs" in html and "Voedselbank Aastad" in html
    assert ended.id and settled.id and other_gov.id


def test_the_pre_filled_pledge_form_has_the_need_chosen(company: Any, world: World) -> None:
    html = _text(company.get(f"/company/contracts/{world.contract_a.id}/pledge?need={world.need_hours.id}"))
    assert re.search(rf'<option value="need:{world.need_hours.id}"[^>]*selected', html)


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "99999999999999999999", "١٢"])
def test_a_mangled_link_opens_the_pledge_form_without_it(company: Any, world: World, bad: str) -> None:
    response = company.get(f"/company/contracts/{world.contract_a.id}/pledge?need={bad}&quantity={bad}")
    assert response.status_code == 200
    assert " selected>" not in _text(response).split('id="f-target"')[1].split("</select>")[0]


def test_a_purchase_from_a_social_firm_goes_through_the_chooser(company: Any, world: World) -> None:
    html = _text(company.get(f"/company/pledge?initiative={world.firm_a.id}"))
    eligible = _section(html, "eligible-contracts")
    assert f'href="/company/contracts/{world.contract_a.id}/pledge?initiative={world.firm_a.id}"' in eligible
    form = _text(company.get(f"/company/contracts/{world.contract_a.id}/pledge?initiative={world.firm_a.id}"))
    assert re.search(rf'<option value="initiative:{world.firm_a.id}"[^>]*selected', form)


def test_job_places_go_to_the_placement_form(company: Any, world: World) -> None:
    html = _text(company.get(f"/company/pledge?need={world.need_places.id}"))
    assert f"/company/contracts/{world.contract_a.id}/placement?need={world.need_places.id}" in html


def test_the_chooser_says_what_to_do_when_the_initiative_counts_for_no_running_contract(
    client: Any, login_as: Any, world: World
) -> None:
    login_as(
        world.users["company_b"]
    )  # company_b's only contract is with gov_b; the food bank counts for gov_a
    html = _text(client.get(f"/company/pledge?need={world.need_hours.id}"))
    assert 'id="no-contracts"' in html and 'id="eligible-contracts"' not in html
    assert "does not count for any of your running contracts" in html or "telt niet voor een van uw" in html
    assert "B-001" in _section(html, "other-contracts")


@pytest.mark.parametrize("args", ["need=999999", "initiative=999999", "need=999999&initiative={firm}"])
def test_the_chooser_for_a_need_or_initiative_that_does_not_exist_is_not_found(
    company: Any, world: World, args: str
) -> None:
    assert company.get("/company/pledge?" + args.format(firm=world.firm_a.id)).status_code == 404


def test_the_chooser_for_a_closed_need_or_unpublished_initiative_is_not_found(
    company: Any, world: World
) -> None:
    world.need_hours.status = "closed"
    world.firm_a.published = False
    world.session.commit()
    assert company.get(f"/company/pledge?need={world.need_hours.id}").status_code == 404
    assert company.get(f"/company/pledge?initiative={world.firm_a.id}").status_code == 404


@pytest.mark.parametrize("args", ["", "need=abc", "initiative=-3"])
def test_the_chooser_without_a_target_lists_the_running_contracts(
    company: Any, world: World, args: str
) -> None:
    response = company.get(f"/company/pledge?{args}")
    assert response.status_code == 200
    eligible = _section(_text(response), "eligible-contracts")
    assert f'href="/company/contracts/{world.contract_a.id}/pledge"' in eligible and "A-SMALL" in eligible


def test_an_initiative_takes_pledges_through_its_needs(company: Any, world: World) -> None:
    response = company.get(f"/company/pledge?initiative={world.ini_a.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/initiatives/{world.ini_a.slug}#needs"
    )


def test_the_initiative_page_shows_the_pledge_action_to_a_company(company: Any, world: World) -> None:
    html = _text(company.get(f"/initiatives/{world.ini_a.slug}"))
    assert f'href="/company/pledge?need={world.need_hours.id}"' in html
    assert f'href="/company/pledge?need={world.need_money.id}"' in html
    firm = _text(company.get(f"/initiatives/{world.firm_a.slug}"))
    assert f'href="/company/pledge?initiative={world.firm_a.id}"' in firm


@pytest.mark.parametrize("who", ["anonymous", "initiative_a", "officer_a"])
def test_the_initiative_page_shows_no_pledge_action_to_others(
    client: Any, login_as: Any, world: World, who: str
) -> None:
    if who != "anonymous":
        login_as(world.users[who])
    html = _text(client.get(f"/initiatives/{world.ini_a.slug}"))
    assert "/company/pledge" not in html
    assert ('id="pledge-login"' in html) is (who == "anonymous")


def test_the_catalogue_shows_the_pledge_action_to_a_company_only(
    app: Any, client: Any, login_as: Any, world: World
) -> None:
    reindex(world.session, get_backend(app))
    anonymous = _text(client.get("/catalogue?q=chauffeurs"))
    assert (
        "Chauffeurs" in anonymous and "/company/pledge" not in anonymous and 'id="pledge-login"' in anonymous
    )
    login_as(world.users["initiative_a"])
    assert "/company/pledge" not in _text(client.get("/catalogue?q=chauffeurs"))
    login_as(world.users["company_a"])
    html = _text(client.get("/catalogue?q=chauffeurs"))
    assert f'href="/company/pledge?need={world.need_hours.id}"' in html
    firms = _text(client.get("/catalogue?kind=social_firm"))
    assert f'href="/company/pledge?initiative={world.firm_a.id}"' in firms


@pytest.mark.parametrize("who", ["initiative_a", "officer_a"])
def test_only_a_company_reaches_the_chooser(client: Any, login_as: Any, world: World, who: str) -> None:
    login_as(world.users[who])
    assert client.get(f"/company/pledge?need={world.need_hours.id}").status_code in (302, 403)
