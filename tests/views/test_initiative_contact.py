"""An initiative publishes its website, e-mail and phone: checked in the profile form, shown on its public page."""

import re
from typing import Any

import pytest
from sqlmodel import select

from marketplace import contact
from marketplace.models import AuditEvent, Initiative
from tests.conftest import World

BASE = {"name": "Voedselbank Aastad", "municipality": "Aastad", "life_phase": "start"}


@pytest.fixture
def ini_client(client: Any, login_as: Any, world: World) -> Any:
    login_as(world.users["initiative_a"])
    return client


def _stored(world: World) -> Initiative:
    world.session.expire_all()
    ini = world.session.get(Initiative, world.ini_a.id)
    assert ini is not None
    return ini


def test_bad_website_email_and_phone_are_all_refused_at_once(ini_client: Any, world: World) -> None:
    response = ini_client.post(
        "/initiative/profile",
        data={
            **BASE,
            "summary": "Nieuwe samenvatting",
            "website": "javascript:alert(1)",
            "contact_email": "info@",
            "contact_phone": "12345",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for name in ("website", "contact_email", "contact_phone"):
        assert f'id="f-{name}-error"' in html, name  # beside the field
        assert f'href="#f-{name}"' in html, name  # and in the summary
        assert re.search(rf'id="f-{name}"[^>]*aria-invalid="true"', html), name
    assert 'href="javascript:' not in html
    ini = _stored(world)
    assert (ini.summary, ini.website, ini.contact_email, ini.contact_phone) == (
        "Voedselpakketten",
        None,
        "",
        "",
    )


def test_published_contact_details_show_on_the_public_page_with_working_links(
    ini_client: Any, world: World
) -> None:
    response = ini_client.post(
        "/initiative/profile",
        data={
            **BASE,
            "website": "www.voedselbank-aastad.example/over-ons",
            "contact_email": "info@voedselbank-aastad.example",
            "contact_phone": "+31 (0)20 123 45 67",
            "contact_name": "Coördinator vrijwilligers",
        },
    )
    assert response.status_code == 302
    ini = _stored(world)
    assert ini.website == "https://www.voedselbank-aastad.example/over-ons"  # the missing scheme added
    assert ini.contact_phone == "+31 (0)20 123 45 67"  # kept as typed
    events = world.session.exec(select(AuditEvent).where(AuditEvent.action == "initiative.updated")).all()
    assert events and events[-1].after["contact_email"] == "info@voedselbank-aastad.example"

    html = ini_client.get("/initiatives/voedselbank-aastad").get_data(as_text=True)
    block = html[html.index('id="contact"') :]
    block = block[: block.index("</section>")]
    assert (
        '<a href="https://www.voedselbank-aastad.example/over-ons" rel="noopener nofollow ugc">'
        "www.voedselbank-aastad.example/over-ons</a>" in block
    )
    assert '<a href="mailto:info@voedselbank-aastad.example">' in block
    assert '<a href="tel:+31201234567">+31 (0)20 123 45 67</a>' in block
    assert "Coördinator vrijwilligers" in block


def test_empty_contact_fields_are_not_published(ini_client: Any, world: World) -> None:
    ini_client.post("/initiative/profile", data={**BASE, "contact_email": "info@aastad.example"})
    html = ini_client.get("/initiatives/voedselbank-aastad").get_data(as_text=True)
    assert "mailto:info@aastad.example" in html
    assert "tel:" not in html and "ugc" not in html  # no phone, no website
    ini_client.post("/initiative/profile", data={**BASE, "contact_email": "", "contact_name": "Jan"})
    html = ini_client.get("/initiatives/voedselbank-aastad").get_data(as_text=True)
    assert 'id="contact"' not in html and "mailto:" not in html  # a name alone is no way to reach anyone


@pytest.mark.parametrize(
    "typed",
    [
        "javascript:alert(1)",
        "ftp://x.example",
        "https://",
        "https://localhost",
        "data:text/html,hoi",
        "http:/x.nl",
    ],
)
def test_a_website_that_is_not_an_http_address_with_a_host_is_refused(typed: str) -> None:
    assert contact.normalise_website(typed) is None


@pytest.mark.parametrize(
    ("typed", "national"),
    [
        ("020 123 4567", "0201234567"),
        ("020-1234567", "0201234567"),
        ("(020) 123 45 67", "0201234567"),
        ("06 12345678", "0612345678"),
        ("+31 6 1234 5678", "0612345678"),
        ("+31 (0)20 123 4567", "0201234567"),
        ("0031 20 123 4567", "0201234567"),
        ("+32 2 123 45 67", None),  # not Dutch
        ("0800 1234", None),  # too few digits
        ("020 123 4567 ext", None),
    ],
)
def test_dutch_phone_numbers_in_common_notations(typed: str, national: str | None) -> None:
    assert contact.phone_national(typed) == national


def test_too_long_website_is_refused(ini_client: Any, world: World) -> None:
    response = ini_client.post(
        "/initiative/profile", data={**BASE, "website": "https://x.example/" + "a" * 190}
    )
    assert response.status_code == 400
    assert _stored(world).website is None
