"""List filters are form classes: a bad value answers 400 with the message beside its filter, the list is
shown without that filter, and a good value still filters. Never a 500."""

from typing import Any

import flask_babel
import pytest

from marketplace.services import approvals
from tests.conftest import World


def text(response: Any) -> str:
    return str(response.get_data(as_text=True)).replace("&#39;", "'")


@pytest.fixture
def as_user(client: Any, login_as: Any, world: World) -> Any:
    def _as(key: str) -> Any:
        user = world.users[key]
        user.locale = "en"
        world.session.add(user)
        world.session.commit()
        login_as(user)
        flask_babel.refresh()
        return client

    return _as


def _beside(html: str, name: str, message: str) -> None:
    """The message is in the error summary (linked to the field) and beside the field itself."""
    assert f'href="#f-{name}"' in html
    assert f'<p class="field-error" id="f-{name}-error">' in html
    assert message in html.split(f'id="f-{name}-error">', 1)[1].split("</p>", 1)[0]


def test_admin_users_role_filter(as_user: Any, world: World) -> None:
    client = as_user("admin")
    good = client.get("/admin/users?role=officer")
    assert good.status_code == 200
    assert "officer-a@test.nl" in text(good) and "company-a@test.nl" not in text(good)
    bad = client.get("/admin/users?role=<script>alert(1)</script>")
    html = text(bad)
    assert bad.status_code == 400
    _beside(html, "role", "Choose one of the options.")
    assert 'id="f-role" name="role"  aria-invalid="true"' in html or 'aria-invalid="true"' in html
    assert "<script>alert(1)" not in html
    # the list as if the filter were not set
    assert "officer-a@test.nl" in html and "company-a@test.nl" in html
    long = client.get("/admin/users?q=" + "x" * 101)
    assert long.status_code == 400
    _beside(text(long), "q", "Too long: at most 100 characters.")
    # the "new user" link pre-fills a valid role only
    assert client.get("/admin/users/new?role=bogus").status_code == 200


def test_admin_companies_q_filter(as_user: Any) -> None:
    client = as_user("admin")
    good = text(client.get("/admin/companies?q=Bouw"))
    assert "Bouw A B.V." in good and "Schoonmaak B B.V." not in good
    bad = client.get("/admin/companies?q=" + "x" * 101)
    assert bad.status_code == 400
    _beside(text(bad), "q", "Too long")
    assert "Schoonmaak B B.V." in text(bad)


def test_admin_confirm_active_args(as_user: Any, world: World) -> None:
    client = as_user("admin")
    uid = world.users["company_a"].id
    assert client.get(f"/admin/users/{uid}/active?active=0&next=/admin/users?role=company").status_code == 200
    assert client.get(f"/admin/users/{uid}/active?active=maybe").status_code == 400


def test_officer_matches_status_filter(as_user: Any, world: World) -> None:
    client = as_user("officer_a")
    approved, proposed = world.pledge(quantity=10), world.pledge(quantity=3)
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=approved.id or 0)
    good = text(client.get("/officer/matches?status=approved"))
    assert f'/officer/matches/{approved.id}"' in good and f'/officer/matches/{proposed.id}"' not in good
    bad = client.get("/officer/matches?status=bogus")
    assert bad.status_code == 400
    html = text(bad)
    assert 'href="#f-status"' in html and 'id="f-status"' in html and "Choose one of the options." in html
    assert f'/officer/matches/{approved.id}"' in html and f'/officer/matches/{proposed.id}"' in html


def test_officer_eligibility_filters(as_user: Any) -> None:
    client = as_user("officer_a")
    good = text(client.get("/officer/eligibility?q=Fiets"))
    assert "Fietsfirma Aastad" in good and "Voedselbank Aastad" not in good
    bad = client.get("/officer/eligibility?status=bogus&q=Fiets")
    assert bad.status_code == 400
    html = text(bad)
    _beside(html, "status", "Choose one of the options.")
    assert "Fietsfirma Aastad" in html and "Voedselbank Aastad" not in html  # the valid filter still applies
    long = client.get("/officer/eligibility?municipality=" + "m" * 101)
    assert long.status_code == 400
    _beside(text(long), "municipality", "Too long")


def test_officer_risk_status_filter(as_user: Any) -> None:
    client = as_user("officer_a")
    assert client.get("/officer/risk?status=running").status_code == 200
    bad = client.get("/officer/risk?status=bogus")
    assert bad.status_code == 400
    _beside(text(bad), "status", "Choose one of the options.")


def test_initiative_pledges_status_filter(as_user: Any, world: World) -> None:
    approved, proposed = world.pledge(quantity=10), world.pledge(quantity=3)
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=approved.id or 0)
    client = as_user("initiative_a")
    good = text(client.get("/initiative/pledges?status=approved"))
    assert f"/initiative/pledges/{approved.id}" in good and f"/initiative/pledges/{proposed.id}" not in good
    bad = client.get("/initiative/pledges?status=bogus")
    assert bad.status_code == 400
    html = text(bad)
    assert 'href="#f-status"' in html and "Choose one of the options." in html
    assert f"/initiative/pledges/{approved.id}" in html and f"/initiative/pledges/{proposed.id}" in html
    assert "<title>Pledges" in html and "<title>Pledges<" not in html.split("</title>")[0].replace(
        "<title>", ""
    )
    assert client.get("/initiative/needs/new?kind=<b>").status_code == 200


@pytest.mark.parametrize("year", ["abc", "1999", "20255", "٢٠٢٥"])
def test_report_year_filter(as_user: Any, year: str) -> None:
    client = as_user("officer_a")
    bad = client.get(f"/officer/report?year={year}")
    assert bad.status_code == 400
    _beside(text(bad), "year", "Choose a year from 2000 to 2100.")
    assert client.get("/officer/report?year=2025").status_code == 200
    company = as_user("company_a")
    assert company.get(f"/company/report?year={year}").status_code == 400


def test_export_filters(as_user: Any, world: World) -> None:
    client = as_user("officer_a")
    assert client.get("/exports/pledges.csv?status=approved").status_code == 200
    assert client.get("/exports/pledges.csv?status=bogus").status_code == 400
    assert client.get("/exports/pledges.csv?contract=abc").status_code == 404
    assert client.get(f"/exports/pledges.csv?contract={world.contract_a.id}").status_code == 200


def test_language_switch_and_login_next(client: Any, world: World) -> None:
    assert (
        client.post("/language", data={"locale": "en", "next": "/catalogue"})
        .headers["Location"]
        .endswith("/catalogue")
    )
    # an unknown locale switches to Dutch; an outside `next` goes to the start page
    response = client.post("/language", data={"locale": "<xx>", "next": "//evil.example"})
    assert response.status_code == 302 and response.headers["Location"] in ("/", "http://localhost/")
    response = client.post("/language", data={"locale": "en", "next": "/x" * 2000})
    assert response.status_code == 302 and "/x/x" not in response.headers["Location"]


def test_notification_read_opens_or_returns(as_user: Any, world: World) -> None:
    from marketplace.models import Notification

    client = as_user("company_a")
    n = Notification(
        user_id=world.users["company_a"].id or 0, kind="pledge_decided", subject_type="match", subject_id=1
    )
    world.session.add(n)
    world.session.commit()
    back = client.post(f"/notifications/{n.id}/read?page=zz", data={"open": "0"})
    assert back.status_code == 302 and back.headers["Location"].endswith("/notifications")


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("sort=bogus", "Choose one of the options."),
        ("theme=<script>", "Choose one of the options."),
        ("kind=nonsense", "Choose one of the options."),
        ("q=" + "x" * 501, "Too long: at most 500 characters."),
        ("near=" + "n" * 101, "Too long: at most 100 characters."),
    ],
)
def test_catalogue_bad_filter(client: Any, world: World, arg: str, message: str) -> None:
    from marketplace.search_sync import get_backend, reindex

    reindex(world.session, get_backend(client.application))
    world.session.commit()
    response = client.get(f"/catalogue?{arg}&lang=en")
    html = text(response)
    assert response.status_code == 400
    name = arg.split("=", 1)[0]
    assert f'href="#f-{name}"' in html and f'id="f-{name}-error"' in html
    assert "<script>" not in html.split("<main", 1)[1]
    # the list as if that filter were not set: both initiatives of Aastad are there
    assert "Voedselbank Aastad" in html and "Fietsfirma Aastad" in html


def test_catalogue_good_filters_and_distance_notice(client: Any, world: World) -> None:
    from marketplace.search_sync import get_backend, reindex

    reindex(world.session, get_backend(client.application))
    world.session.commit()
    firms = client.get("/catalogue?kind=social_firm")
    assert firms.status_code == 200
    assert "Fietsfirma Aastad" in text(firms) and "Voedselbank Aastad" not in text(firms)
    notice = client.get("/catalogue?sort=distance")
    assert notice.status_code == 200 and 'class="notice" role="status"' in text(notice)
