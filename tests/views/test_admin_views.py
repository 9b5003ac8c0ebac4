"""The admin's pages: overview, governments, valuation-table versions, users."""

from datetime import date
from typing import Any

import flask_babel
import pytest
from sqlmodel import select

from marketplace.models import BuildingBlock, Government, PolicyVersion, User, ValuationTable
from marketplace.policy import Policy
from marketplace.views.admin import BlockLineError, blocks_to_text, parse_blocks
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
        "/admin/users?role=nonsense&page=zz",
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


# --- valuation tables ------------------------------------------------------------------------------------


GOOD_BLOCKS = """# a comment line
participatiewet;paid_work;Participatiewet;fte_year;40000;;24;participatiewet
bonus_50plus;paid_work;Bonus 50+;bonus;10000

employee_hour;social_domain;Employee-hour;hour;100,50
purchase;labour_participation;Purchase from a social firm;euro_spent;;100
maatwerk;social_domain;By agreement;by_agreement
"""


def _tables(world: World) -> list[ValuationTable]:
    world.session.expire_all()
    return list(
        world.session.exec(
            select(ValuationTable)
            .where(ValuationTable.government_id == world.gov_a.id)
            .order_by(ValuationTable.version)
        ).all()
    )


def test_new_table_version_is_stored_and_closes_the_previous(admin: Any, world: World) -> None:
    response = admin.post(
        f"/admin/governments/{world.gov_a.id}/tables/new",
        data={
            "name": "Bouwblokken Aastad 2026",
            "effective_from": "2026-01-01",
            "source": "aastad.nl",
            "assumption": "",
            "blocks": GOOD_BLOCKS,
        },
    )
    assert response.status_code == 302
    v1, v2 = _tables(world)
    assert v2.version == 2 and v2.effective_from == date(2026, 1, 1) and v2.assumption is None
    assert v1.effective_to == date(2025, 12, 31)
    blocks = {
        b.code: b for b in world.session.exec(select(BuildingBlock).where(BuildingBlock.table_id == v2.id))
    }
    assert set(blocks) == {"participatiewet", "bonus_50plus", "employee_hour", "purchase", "maatwerk"}
    assert blocks["participatiewet"].value_cents == 4_000_000 and blocks["participatiewet"].max_months == 24
    assert blocks["participatiewet"].target_group == "participatiewet"
    assert blocks["employee_hour"].value_cents == 10_050
    assert blocks["purchase"].percentage_bp == 10_000 and blocks["purchase"].value_cents is None


def test_table_form_is_prefilled_with_the_latest_version(admin: Any, world: World) -> None:
    html = text(admin.get(f"/admin/governments/{world.gov_a.id}/tables/new"))
    assert "participatiewet;paid_work;Participatiewet;fte_year;40000" in html
    assert "banenafspraak;paid_work;Banenafspraak;fte_year;50000;;24" in html
    assert "purchase_social_firm;labour_participation;Purchase from a social firm;euro_spent;;100" in html


def test_prefilled_blocks_round_trip(app: Any, admin: Any, world: World) -> None:
    old = list(world.session.exec(select(BuildingBlock).where(BuildingBlock.table_id == world.table_a.id)))
    with app.test_request_context():
        parsed = parse_blocks(blocks_to_text(old))
    assert [b.code for b in parsed] == [b.code for b in sorted(old, key=lambda b: b.id or 0)]
    by_code = {b.code: b for b in old}
    for row in parsed:
        block = by_code[row.code]
        assert (row.route, row.label, row.unit, row.value_cents, row.percentage_bp, row.max_months) == (
            block.route,
            block.label,
            block.unit,
            block.value_cents,
            block.percentage_bp,
            block.max_months,
        )


@pytest.mark.parametrize(
    "blocks, message",
    [
        ("x;paid_work", "Line 1: expected"),
        ("a;paid_work;A;fte_year;1;;;;;", "Line 1: expected"),
        ("# header\n\na;walking;A;fte_year;1", "Line 3: unknown route"),
        ("a;paid_work;A;fte_year;1\nb;paid_work;B;parsec;1", "Line 2: unknown unit"),
        ("a;paid_work;A;fte_year;veel", "Line 1: 'veel' is not an amount"),
        ("a;paid_work;A;fte_year;", "Line 1: a block of unit fte_year needs a value"),
        ("a;paid_work;A;bonus", "Line 1: a block of unit bonus needs a value"),
        ("a;paid_work;A;euro_spent;;150", "Line 1: '150' is not a percentage"),
        ("a;paid_work;A;euro_spent;;x", "Line 1: 'x' is not a percentage"),
        ("a;paid_work;A;fte_year;1;;0", "Line 1: max_months"),
        ("a;paid_work;A;fte_year;1;;abc", "Line 1: max_months"),
        ("a;paid_work;A;fte_year;1;;;martians", "Line 1: unknown target group"),
        ("Bad Code;paid_work;A;fte_year;1", "Line 1: the code"),
        ("a;paid_work;;fte_year;1", "Line 1: the label is required"),
        (
            "a;paid_work;A;fte_year;1\na;paid_work;B;fte_year;2",
            "Line 2: the code a is already used on line 1",
        ),
        ("", "at least one building block"),
        ("# only a comment", "at least one building block"),
    ],
)
def test_bad_block_lines_name_the_line_and_store_nothing(
    admin: Any, world: World, blocks: str, message: str
) -> None:
    response = admin.post(
        f"/admin/governments/{world.gov_a.id}/tables/new",
        data={"name": "Nieuw", "effective_from": "2026-01-01", "blocks": blocks},
    )
    assert response.status_code == 400
    assert message in text(response)
    tables = _tables(world)
    assert len(tables) == 1 and tables[0].effective_to is None


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"effective_from": "2023-01-01"}, "must start after the latest one"),
        ({"effective_from": "soon"}, "YYYY-MM-DD"),
        ({"effective_from": ""}, "required"),
        ({"name": ""}, "required"),
        ({"assumption": "a" * 2000}, "Too long"),
    ],
)
def test_bad_table_fields_store_nothing(
    admin: Any, world: World, overrides: dict[str, str], message: str
) -> None:
    data = {"name": "Nieuw", "effective_from": "2026-01-01", "blocks": GOOD_BLOCKS, **overrides}
    response = admin.post(f"/admin/governments/{world.gov_a.id}/tables/new", data=data)
    assert response.status_code == 400 and message in text(response)
    tables = _tables(world)
    assert len(tables) == 1 and tables[0].effective_to is None
    assert len(world.session.exec(select(BuildingBlock)).all()) == 20  # the two fixture tables only


def test_parse_blocks_too_many_lines(app: Any) -> None:
    lines = "\n".join(f"b{i};paid_work;B{i};hour;1" for i in range(201))
    with app.test_request_context(), pytest.raises(BlockLineError) as info:
        parse_blocks(lines)
    assert info.value.line == 201


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
        f"/admin/users/{target.id}/active", data={"active": "0", "next": "/admin/users?role=company"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users?role=company")
    world.session.expire_all()
    assert not world.session.get(User, target.id).active  # type: ignore[union-attr]
    admin.post("/logout")
    assert admin.post("/login", data={"email": target.email, "password": PASSWORD}).status_code == 401
    login_as(world.users["admin"])
    assert admin.post(f"/admin/users/{target.id}/active", data={"active": "1"}).status_code == 302
    world.session.expire_all()
    assert world.session.get(User, target.id).active  # type: ignore[union-attr]
    admin.post("/logout")
    assert admin.post("/login", data={"email": target.email, "password": PASSWORD}).status_code == 302


def test_user_activation_bad_input(admin: Any, world: World) -> None:
    me = world.users["admin"]
    response = admin.post(f"/admin/users/{me.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "cannot deactivate yourself" in text(response)
    world.session.expire_all()
    assert world.session.get(User, me.id).active  # type: ignore[union-attr]
    assert admin.post(f"/admin/users/{me.id}/active", data={"active": "perhaps"}).status_code == 400
    assert admin.post("/admin/users/999999/active", data={"active": "0"}).status_code == 404
    # an off-site "next" is ignored
    response = admin.post(
        f"/admin/users/{world.users['company_b'].id}/active", data={"active": "0", "next": "//evil.example/"}
    )
    assert response.headers["Location"].endswith("/admin/users")
