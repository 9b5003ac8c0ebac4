"""The admin's pages: overview, governments, valuation-table versions, users."""

from typing import Any

import flask_babel
import pytest
from sqlmodel import select

from marketplace.models import Government, PolicyVersion, User
from marketplace.policy import Policy
from tests.conftest import PASSWORD, World


def text(response: Any) -> str:
    return str(response.get_data(as_text=True)).replace("&#39;", "'")


@pytest.fixture
def admin(client: Any, login_as: Any, world: World) -> Any:
    # The assertions read English messages; Dutch is the default once its catalogue is filled in.
    world.users["admin"].locale = "en"
    world.session.add(world.users["admin"])
    world.session.commit()
    login_as(world.users["admin"])
    # The `app` fixture keeps one app context for the whole test, so Flask-Babel caches the locale of the
    # first request (anonymous: Dutch); forget it so the user's locale applies.
    flask_babel.refresh()
    return client


def test_pages_render(admin: Any, world: World) -> None:
    for url in (
        "/admin/",
        "/admin/governments",
        "/admin/governments/new",
        f"/admin/governments/{world.gov_a.id}",
        f"/admin/governments/{world.gov_a.id}/tables/new",
        "/admin/users",
        "/admin/users?role=officer",
        "/admin/users?page=zz",
        "/admin/users/new",
        "/admin/users/new?role=initiative",
    ):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert '<html lang="en">' in text(response)
    assert admin.get("/admin/governments/999999").status_code == 404
    assert admin.get("/admin/governments/999999/tables/new").status_code == 404


def test_other_roles_are_refused(client: Any, login_as: Any, world: World) -> None:
    login_as(world.users["officer_a"])
    assert client.get("/admin/").status_code == 403
    assert client.post("/admin/governments/new", data={}).status_code == 403
    assert (
        client.post(f"/admin/users/{world.users['company_a'].id}/active", data={"active": "0"}).status_code
        == 403
    )


def test_government_detail_shows_policy_and_tables(admin: Any, world: World) -> None:
    world.table_a.assumption = "placeholder until the WSP supplies its own"
    world.session.add(world.table_a)
    world.session.commit()
    html = text(admin.get(f"/admin/governments/{world.gov_a.id}"))
    assert "Gemeente Aastad" in html and "Bouwblokken Aastad" in html
    assert 'class="tag assumption"' in html and "placeholder until the WSP" in html
    assert "participatiewet" in html and "Employee-hour for an initiative" in html


# --- governments -----------------------------------------------------------------------------------------


def _government_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": "zeist",
        "name": "Gemeente Zeist",
        "kind": "municipality",
        "municipality": "Zeist",
        "percentage": "2,5",
        "threshold": "125.000",
        "cap": "300000",
        "basis": "contract_sum",
        "small_contract_rule": "one_social_activity",
        "priority_themes": ["werk", "onderwijs"],
        "notes": "test",
    }
    data.update(overrides)
    return data


def test_create_government(admin: Any, world: World) -> None:
    response = admin.post("/admin/governments/new", data=_government_form())
    assert response.status_code == 302
    gov = world.session.exec(select(Government).where(Government.slug == "zeist")).one()
    version = world.session.exec(select(PolicyVersion).where(PolicyVersion.government_id == gov.id)).one()
    policy = Policy.from_dict(version.policy)
    assert (
        policy.percentage_bp == 250
        and policy.threshold_cents == 12_500_000
        and policy.cap_cents == 30_000_000
    )
    assert policy.priority_themes == ("werk", "onderwijs")
    assert response.headers["Location"].endswith(f"/admin/governments/{gov.id}/tables/new")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"percentage": "vijf"}, "Enter a percentage"),
        ({"percentage": "150"}, "from 0 to 100"),
        ({"percentage": ""}, "required"),
        ({"threshold": "veel"}, "Enter an amount"),
        ({"threshold": ""}, "required"),
        ({"cap": "-1"}, "Enter an amount"),
        ({"slug": "Not A Slug!"}, "lowercase"),
        ({"slug": "gov-a"}, "taken"),
        ({"name": ""}, "required"),
        ({"name": "x" * 300}, "Too long"),
        ({"kind": "planet"}, "Choose one of the options"),
        ({"basis": "vibes"}, "Choose one of the options"),
        ({"priority_themes": ["bogus"]}, "Choose one of the options"),
    ],
)
def test_create_government_bad_input(
    admin: Any, world: World, overrides: dict[str, Any], message: str
) -> None:
    count = len(world.session.exec(select(Government)).all())
    response = admin.post("/admin/governments/new", data=_government_form(**overrides))
    assert response.status_code == 400
    assert message in text(response)
    assert len(world.session.exec(select(Government)).all()) == count


# --- users -----------------------------------------------------------------------------------------------


def _user_form(world: World, **overrides: str) -> dict[str, str]:
    data = {
        "email": "Nieuw@Aastad.nl",
        "name": "Nieuwe adviseur",
        "role": "officer",
        "government_id": str(world.gov_a.id),
        "password": "een-lang-wachtwoord",
        "locale": "en",
    }
    data.update(overrides)
    return data


def test_create_user_then_log_in(admin: Any, client: Any, world: World) -> None:
    response = admin.post("/admin/users/new", data=_user_form(world))
    assert response.status_code == 302
    user = world.session.exec(select(User).where(User.email == "nieuw@aastad.nl")).one()
    assert user.role == "officer" and user.government_id == world.gov_a.id and user.locale == "en"
    listing = text(admin.get("/admin/users?role=officer"))
    assert "nieuw@aastad.nl" in listing and "company-a@test.nl" not in listing
    admin.post("/logout")
    login = client.post("/login", data={"email": "nieuw@aastad.nl", "password": "een-lang-wachtwoord"})
    assert login.status_code == 302 and login.headers["Location"].endswith("/officer/")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"email": "not-an-address"}, "valid e-mail"),
        ({"email": "admin@test.nl"}, "exists already"),
        ({"password": "kort"}, "at least 10"),
        ({"role": "king"}, "Choose one of the options"),
        ({"government_id": ""}, "Choose the organisation"),
        ({"government_id": "abc"}, "Choose the organisation"),
        ({"government_id": "999999"}, "Choose the organisation"),
        ({"role": "company", "company_id": "x"}, "Choose the organisation"),
        ({"role": "initiative"}, "Choose the organisation"),
        ({"locale": "fr"}, "Choose one of the options"),
        ({"name": "x" * 300}, "Too long"),
    ],
)
def test_create_user_bad_input(admin: Any, world: World, overrides: dict[str, str], message: str) -> None:
    count = len(world.session.exec(select(User)).all())
    response = admin.post("/admin/users/new", data=_user_form(world, **overrides))
    assert response.status_code == 400
    body = text(response)
    assert message in body
    assert "een-lang-wachtwoord" not in body  # the password is never echoed
    assert len(world.session.exec(select(User)).all()) == count


def test_deactivate_and_activate(admin: Any, login_as: Any, world: World) -> None:
    target = world.users["company_b"]
    response = admin.post(
        f"/admin/users/{target.id}/active",
        data={"active": "0", "confirm": "yes", "next": "/admin/users?role=company"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users?role=company")
    world.session.expire_all()
    assert not world.session.get(User, target.id).active  # type: ignore[union-attr]
    admin.post("/logout")
    assert admin.post("/login", data={"email": target.email, "password": PASSWORD}).status_code == 401
    login_as(world.users["admin"])
    assert (
        admin.post(f"/admin/users/{target.id}/active", data={"active": "1", "confirm": "yes"}).status_code
        == 302
    )
    world.session.expire_all()
    assert world.session.get(User, target.id).active  # type: ignore[union-attr]
    admin.post("/logout")
    assert admin.post("/login", data={"email": target.email, "password": PASSWORD}).status_code == 302


def test_user_activation_bad_input(admin: Any, world: World) -> None:
    me = world.users["admin"]
    response = admin.post(
        f"/admin/users/{me.id}/active", data={"active": "0", "confirm": "yes"}, follow_redirects=True
    )
    assert "cannot deactivate yourself" in text(response)
    world.session.expire_all()
    assert world.session.get(User, me.id).active  # type: ignore[union-attr]
    assert admin.post(f"/admin/users/{me.id}/active", data={"active": "perhaps"}).status_code == 400
    assert admin.post("/admin/users/999999/active", data={"active": "0", "confirm": "yes"}).status_code == 404
    # an off-site "next" is ignored
    response = admin.post(
        f"/admin/users/{world.users['company_b'].id}/active",
        data={"active": "0", "confirm": "yes", "next": "//evil.example/"},
    )
    assert response.headers["Location"].endswith("/admin/users")
