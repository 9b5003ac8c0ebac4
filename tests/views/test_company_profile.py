"""The company's profile page: the sector from the SBI code list, place, profile text, interests, site."""

from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import AuditEvent, Company
from marketplace.recommendations import contract_context
from marketplace.services.companies import CompanyProfileInput, update_company_profile
from marketplace.services.errors import NotFound
from tests.conftest import World

GOOD = {
    "sector": "F",
    "city": "Aastad",
    "profile": "Bouw, renovatie en onderhoud van woningen",
    "interests": ["werk", "participatie"],
    "lat": "52,37",
    "lon": "4.89",
}


@pytest.fixture
def company(client: Any, login_as: Any, world: World) -> Any:
    login_as(world.users["company_a"])
    return client


def _company(world: World) -> Company:
    world.session.expire_all()
    found = world.session.get(Company, world.company_a.id)
    assert found is not None
    return found


def _events(world: World) -> list[AuditEvent]:
    return list(world.session.exec(select(AuditEvent).where(AuditEvent.action == "company.updated")).all())


def test_the_dashboard_links_to_the_profile_and_the_page_offers_every_sbi_section(
    company: Any, world: World
) -> None:
    assert 'href="/company/profile"' in company.get("/company/").get_data(as_text=True)
    html = company.get("/company/profile").get_data(as_text=True)
    assert html.count("<option value=") == 22  # "not given" and the 21 sections A-U
    assert '<option value="F" >F – Construction</option>' in html
    assert '<option value="" selected' not in html and "Bouw en renovatie" in html  # the profile text


def test_sector_labels_follow_the_readers_language(company: Any, world: World) -> None:
    user = world.users["company_a"]
    user.locale = "nl"
    world.session.add(user)
    world.session.commit()
    html = company.get("/company/profile").get_data(as_text=True)
    assert "F – Bouwnijverheid" in html and "Q – Gezondheids- en welzijnszorg" in html


def test_a_free_text_sector_from_before_reads_as_not_given_with_what_was_typed(
    company: Any, world: World
) -> None:
    world.company_a.sector = "Bouw"
    world.session.add(world.company_a)
    world.session.commit()
    assert contract_context(world.session, world.contract_a).company_sector == ""
    html = company.get("/company/profile").get_data(as_text=True).replace("&#34;", '"')
    assert "selected" not in html.split('name="sector"')[1].split("</select>")[0]
    assert "You described your sector as “Bouw” before" in html


def test_saving_the_profile_stores_it_with_one_audit_event_and_the_recommender_reads_it(
    company: Any, world: World
) -> None:
    response = company.post("/company/profile", data=GOOD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/company/")
    saved = _company(world)
    assert (saved.sector, saved.city, saved.profile) == ("F", "Aastad", GOOD["profile"])
    assert saved.interests == ["werk", "participatie"] and (saved.lat, saved.lon) == (52.37, 4.89)
    [event] = _events(world)
    assert event.actor_id == world.users["company_a"].id and event.entity_id == saved.id
    assert event.before is not None and event.after is not None
    assert (event.before["sector"], event.after["sector"]) == ("", "F")
    ctx = contract_context(world.session, world.contract_a)
    assert (ctx.company_sector, ctx.company_interests) == ("F", ("werk", "participatie"))
    page = company.get("/company/profile").get_data(as_text=True)
    assert '<option value="F" selected>' in page


def test_every_bad_field_is_shown_at_once_and_nothing_is_saved(company: Any, world: World) -> None:
    bad = {
        "sector": "Z",
        "city": "x" * 101,
        "profile": "kept as typed",
        "interests": ["werk", "nope"],
        "lat": "noord",
        "lon": "200",
    }
    response = company.post("/company/profile", data=bad)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert html.count('class="field-error"') == 5  # sector, city, interests, lat, lon
    assert "Choose one of the options." in html and "at most 100 characters" in html
    assert "Enter a number from -90 to 90." in html and "Enter a number from -180 to 180." in html
    assert "kept as typed" in html and 'value="noord"' in html
    saved = _company(world)
    assert (saved.sector, saved.city, saved.profile) == ("", "Aastad", "Bouw en renovatie")
    assert _events(world) == []


@pytest.mark.parametrize("who", ["company_b", "initiative_a", "officer_a", "admin"])
def test_the_service_changes_only_the_actors_own_company(world: World, who: str) -> None:
    actor = world.users[who]
    if who == "company_b":
        changed = world.act(update_company_profile, actor=actor, data=CompanyProfileInput(sector="Q"))
        assert changed.id == world.company_b.id and _company(world).sector == ""
        return
    with pytest.raises(NotFound):
        world.act(update_company_profile, actor=actor, data=CompanyProfileInput(sector="Q"))
    assert _company(world).sector == "" and _events(world) == []


def test_the_service_refuses_a_sector_outside_the_code_list(world: World) -> None:
    with pytest.raises(Exception, match="Choose one of the options"):
        world.act(
            update_company_profile,
            actor=world.users["company_a"],
            data=CompanyProfileInput(sector="Bouw"),
        )
    assert _company(world).sector == ""
