"""The admin's forms: a valuation table as one row of fields per building block, every error at once."""

from datetime import date
from typing import Any

import flask_babel
import pytest
from sqlmodel import select

from marketplace.models import AuditEvent, BuildingBlock, ValuationTable
from tests.conftest import World


def text(response: Any) -> str:
    return str(response.get_data(as_text=True)).replace("&#39;", "'")


@pytest.fixture
def admin(client: Any, login_as: Any, world: World) -> Any:
    world.users["admin"].locale = "en"
    world.session.add(world.users["admin"])
    world.session.commit()
    login_as(world.users["admin"])
    flask_babel.refresh()
    return client


def _tables(world: World) -> list[ValuationTable]:
    world.session.expire_all()
    return list(
        world.session.exec(
            select(ValuationTable)
            .where(ValuationTable.government_id == world.gov_a.id)
            .order_by(ValuationTable.version)
        ).all()
    )


GOOD_ROWS: list[dict[str, Any]] = [
    {
        "code": "participatiewet",
        "route": "paid_work",
        "label": "Participatiewet",
        "label_en": "Participation Act",
        "unit": "fte_year",
        "value": "40.000",
        "max_months": "24",
        "target_group": "participatiewet",
    },
    {
        "code": "bonus_55plus",
        "route": "paid_work",
        "label": "Bonus 55+",
        "unit": "bonus",
        "value": "10000",
        "min_age": "55",
        "requires": ["permanent_contract"],
        "for_groups": ["ww", "wia"],
    },
    {
        "code": "employee_hour",
        "route": "social_domain",
        "label": "Medewerkersuur",
        "unit": "hour",
        "value": "150,50",
    },
    {
        "code": "leiden_day",
        "route": "social_domain",
        "label": "Dag",
        "unit": "day",
        "value": "1000",
        "at_most": "y",
    },
    {
        "code": "purchase",
        "route": "labour_participation",
        "label": "Inkoop",
        "unit": "euro_spent",
        "percentage": "100",
    },
    {"code": "maatwerk", "route": "social_domain", "label": "Maatwerk", "unit": "by_agreement"},
    {},  # an empty row is skipped
]


def table_form(rows: list[dict[str, Any]], caps: list[dict[str, str]] = (), **fields: str) -> dict[str, Any]:  # type: ignore[assignment]
    data: dict[str, Any] = {
        "based_on": "1",
        "name": "Bouwblokken Aastad 2026",
        "effective_from": "2026-01-01",
        "source": "aastad.nl",
        "assumption": "",
        **fields,
    }
    for i, row in enumerate(rows):
        data[f"blocks-{i}-code"] = ""
        for name, value in row.items():
            data[f"blocks-{i}-{name}"] = value
    for i, cap in enumerate(caps):
        for name, value in cap.items():
            data[f"caps-{i}-{name}"] = value
    return data


def test_the_form_shows_a_row_of_fields_per_block_of_the_latest_version(admin: Any, world: World) -> None:
    html = text(admin.get(f"/admin/governments/{world.gov_a.id}/tables/new"))
    assert "code;route;label" not in html  # no more semicolon text
    assert 'name="blocks-0-code" type="text" value="participatiewet"' in html
    assert 'name="blocks-1-value" type="text" value="50000"' in html  # banenafspraak, in euro
    assert 'name="blocks-1-max_months" type="number" value="24"' in html
    assert 'name="blocks-10-code" type="text" value=""' in html  # one empty row to add a block
    assert 'name="based_on" value="1"' in html


def test_a_saved_table_is_a_new_version_and_the_old_contract_keeps_its_own(admin: Any, world: World) -> None:
    caps = [{"group": "*", "months": "12"}, {"group": "banenafspraak", "months": ""}]
    response = admin.post(f"/admin/governments/{world.gov_a.id}/tables/new", data=table_form(GOOD_ROWS, caps))
    assert response.status_code == 302, text(response)
    v1, v2 = _tables(world)
    assert v2.version == 2 and v2.effective_from == date(2026, 1, 1) and v1.effective_to == date(2025, 12, 31)
    assert v2.group_caps == {"*": 12, "banenafspraak": None}
    blocks = {
        b.code: b for b in world.session.exec(select(BuildingBlock).where(BuildingBlock.table_id == v2.id))
    }
    assert set(blocks) == {
        "participatiewet",
        "bonus_55plus",
        "employee_hour",
        "leiden_day",
        "purchase",
        "maatwerk",
    }
    assert blocks["participatiewet"].value_cents == 4_000_000 and blocks["participatiewet"].max_months == 24
    assert blocks["participatiewet"].label_en == "Participation Act"
    assert blocks["bonus_55plus"].conditions == {
        "min_age": 55,
        "requires": ["permanent_contract"],
        "target_groups": ["ww", "wia"],
    }
    assert blocks["employee_hour"].value_cents == 15_050
    assert blocks["leiden_day"].at_most and not blocks["employee_hour"].at_most
    assert blocks["purchase"].percentage_bp == 10_000 and blocks["purchase"].value_cents is None
    event = world.session.exec(select(AuditEvent).where(AuditEvent.action == "valuation_table.created")).one()
    assert event.entity_id == v2.id and event.actor_id == world.users["admin"].id
    # Contract A-001 was awarded under version 1: 10 hours stay 10 x EUR 100 = EUR 1,000 (not 10 x EUR 150.50).
    pledge = world.pledge(quantity=10)
    assert pledge.table_id == v1.id and pledge.value_cents == 100_000
    # The government's page shows the new version with the English label.
    page = text(admin.get(f"/admin/governments/{world.gov_a.id}"))
    assert "version 2, from" in page and "Participation Act" in page


def test_several_wrong_rows_show_every_error_at_once_and_store_nothing(admin: Any, world: World) -> None:
    rows = [
        {"code": "Bad Code", "route": "paid_work", "label": "A", "unit": "fte_year", "value": "veel"},
        {"code": "b", "route": "walking", "label": "", "unit": "hour"},
        {"code": "c", "route": "social_domain", "label": "C", "unit": "fte_year", "percentage": "150"},
        {
            "code": "c",
            "route": "social_domain",
            "label": "C2",
            "unit": "bonus",
            "value": "10",
            "at_most": "y",
        },
        {"code": "d", "route": "social_domain", "label": "D", "unit": "parsec", "max_months": "0"},
        {
            "code": "e",
            "route": "paid_work",
            "label": "E",
            "unit": "fte_year",
            "value": "1",
            "target_group": "martians",
        },
    ]
    caps = [{"group": "ww", "months": "abc"}, {"group": "ww", "months": "6"}]
    response = admin.post(
        f"/admin/governments/{world.gov_a.id}/tables/new",
        data=table_form(rows, caps, name="", effective_from="soon"),
    )
    assert response.status_code == 400
    html = text(response)
    expected = {
        "name": "This field is required.",
        "effective_from": "Enter a date as YYYY-MM-DD.",
        "blocks-0-code": "Use lowercase letters",
        "blocks-0-value": "Enter an amount in euro",
        "blocks-1-route": "Choose one of the options.",
        "blocks-1-label": "This field is required.",
        "blocks-1-value": "needs a value in euro",
        "blocks-2-value": "needs a value in euro",
        "blocks-2-percentage": "from 0 to 100",
        "blocks-3-code": "The code c is already used in row 3.",
        "blocks-3-at_most": "Only an hour or a day",
        "blocks-4-unit": "Choose one of the options.",
        "blocks-4-max_months": "from 1 to 120",
        "blocks-5-target_group": "Choose one of the options.",
        "caps-0-months": "Enter a whole number",
        "caps-1-group": "already in row 1",
    }
    for name, message in expected.items():
        # beside its field, tied to it, and in the summary linked to it
        error_id = f"f-{name}-error"
        assert f'id="{error_id}"' in html and message in html.split(f'id="{error_id}"')[1][:300], name
        assert f'aria-describedby="{error_id}"' in html or f'{error_id}"' in html, name
        assert f'href="#f-{name}"' in html, name
    assert "Building block 4, code: The code c is already used in row 3." in html
    assert 'value="bad code"' in html and 'value="veel"' in html  # what was typed is shown again
    assert len(_tables(world)) == 1 and _tables(world)[0].effective_to is None
    assert len(world.session.exec(select(BuildingBlock)).all()) == 20


@pytest.mark.parametrize(
    "rows, fields, message",
    [
        ([{}], {}, "A table needs at least one building block."),
        (
            [{"code": "x", "route": "paid_work", "label": "X", "unit": "hour", "value": "1"}],
            {"effective_from": "2023-01-01"},
            "must start after the latest one",
        ),
        (
            [{"code": "x", "route": "paid_work", "label": "X", "unit": "hour", "value": "1"}],
            {"assumption": "a" * 2000},
            "Too long",
        ),
    ],
)
def test_bad_tables_store_nothing(admin: Any, world: World, rows: Any, fields: Any, message: str) -> None:
    response = admin.post(f"/admin/governments/{world.gov_a.id}/tables/new", data=table_form(rows, **fields))
    assert response.status_code == 400 and message in text(response)
    assert len(_tables(world)) == 1


def test_rows_are_added_and_removed_without_javascript(admin: Any, world: World) -> None:
    url = f"/admin/governments/{world.gov_a.id}/tables/new"
    rows = GOOD_ROWS[:3]
    html = text(admin.post(url, data={**table_form(rows), "row_action": "add-block"}))
    assert 'name="blocks-3-code"' in html and 'name="blocks-4-code"' not in html
    html = text(admin.post(url, data={**table_form(rows), "row_action": "remove-block-1"}))
    assert 'name="blocks-1-code" type="text" value="employee_hour"' in html and "bonus_55plus" not in html
    html = text(admin.post(url, data={**table_form(rows), "row_action": "add-cap"}))
    assert 'name="caps-1-group"' in html and 'name="caps-2-group"' not in html  # the empty one and a new one
    assert "There is a problem" not in html  # adding a row checks nothing yet
    assert len(_tables(world)) == 1  # and stores nothing


def test_a_version_added_meanwhile_makes_the_form_stale(admin: Any, world: World) -> None:
    url = f"/admin/governments/{world.gov_a.id}/tables/new"
    first = admin.post(url, data=table_form(GOOD_ROWS))
    assert first.status_code == 302
    # A second admin still had the form open on version 1.
    stale = admin.post(url, data=table_form(GOOD_ROWS, effective_from="2027-01-01"))
    assert stale.status_code == 409 and "changed since you opened it" in text(stale)
    assert [t.version for t in _tables(world)] == [1, 2]


def test_other_roles_cannot_open_or_post_the_table_form(client: Any, login_as: Any, world: World) -> None:
    url = f"/admin/governments/{world.gov_a.id}/tables/new"
    for role in ("officer_a", "company_a", "initiative_a"):
        login_as(world.users[role])
        assert client.get(url).status_code == 403
        assert client.post(url, data=table_form(GOOD_ROWS)).status_code == 403
        client.post("/logout")
    assert len(_tables(world)) == 1


# --- edits of governments, companies and users; deactivation with its confirmation ------------------------


def _audit(world: World, action: str) -> list[AuditEvent]:
    world.session.expire_all()
    return list(world.session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_edit_a_government(admin: Any, world: World) -> None:
    url = f"/admin/governments/{world.gov_a.id}/edit"
    html = text(admin.get(url))
    assert 'value="Gemeente Aastad"' in html and 'name="version" value="1"' in html
    response = admin.post(
        url,
        data={
            "version": "1",
            "name": "Gemeente Aastad-Zuid",
            "kind": "municipality",
            "municipality": "Aastad",
            "notes": "samengevoegd",
        },
    )
    assert response.status_code == 302
    world.session.expire_all()
    assert (
        world.gov_a.name == "Gemeente Aastad-Zuid"
        and world.gov_a.version == 2
        and world.gov_a.slug == "gov-a"
    )
    (event,) = _audit(world, "government.updated")
    assert event.before == {"name": "Gemeente Aastad", "notes": ""}
    assert event.after == {"name": "Gemeente Aastad-Zuid", "notes": "samengevoegd"}


def test_edit_a_government_shows_every_error_at_once(admin: Any, world: World) -> None:
    response = admin.post(
        f"/admin/governments/{world.gov_a.id}/edit",
        data={"version": "1", "name": "", "kind": "planet", "municipality": "x" * 200},
    )
    assert response.status_code == 400
    html = text(response)
    for name in ("name", "kind", "municipality"):
        assert f'id="f-{name}-error"' in html and f'href="#f-{name}"' in html, name
    world.session.expire_all()
    assert world.gov_a.name == "Gemeente Aastad" and world.gov_a.version == 1


def test_a_stale_edit_stores_nothing(admin: Any, world: World) -> None:
    url = f"/admin/governments/{world.gov_a.id}/edit"
    data = {"version": "1", "name": "Eerste", "kind": "municipality"}
    assert admin.post(url, data=data).status_code == 302
    # A second admin opened the form on version 1 too, and saves after the first.
    stale = admin.post(url, data={**data, "name": "Tweede"})
    assert stale.status_code == 409 and "changed since you opened it" in text(stale)
    world.session.expire_all()
    assert world.gov_a.name == "Eerste" and world.gov_a.version == 2
    assert len(_audit(world, "government.updated")) == 1


def test_edit_a_company_and_its_profile_edit_makes_the_form_stale(
    admin: Any, client: Any, login_as: Any, world: World
) -> None:
    listing = text(admin.get("/admin/companies"))
    assert "Bouw A B.V." in listing and f"/admin/companies/{world.company_a.id}/edit" in listing
    url = f"/admin/companies/{world.company_a.id}/edit"
    assert 'value="11111111"' in text(admin.get(url))
    bad = admin.post(url, data={"version": "1", "name": "", "kvk": "1234", "sector": "Q9"})
    assert bad.status_code == 400
    for name in ("name", "kvk", "sector"):
        assert f'id="f-{name}-error"' in text(bad), name
    taken = admin.post(url, data={"version": "1", "name": "Bouw A", "kvk": world.company_b.kvk})
    assert taken.status_code == 400 and "Another company has this KvK number" in text(taken)
    ok = admin.post(
        url,
        data={"version": "1", "name": "Bouw A Holding", "kvk": "1111 1112", "city": "Beedorp", "sector": "F"},
    )
    assert ok.status_code == 302
    world.session.expire_all()
    assert (world.company_a.name, world.company_a.kvk, world.company_a.sector) == (
        "Bouw A Holding",
        "11111112",
        "F",
    )
    assert world.company_a.version == 2 and len(_audit(world, "company.updated")) == 1
    # The company changes its own profile: an admin form opened on version 2 is stale now.
    from marketplace.services.companies import CompanyProfileInput, update_company_profile

    world.act(update_company_profile, actor=world.users["company_a"], data=CompanyProfileInput(city="Aastad"))
    stale = admin.post(url, data={"version": "2", "name": "Bouw A", "kvk": "11111112"})
    assert stale.status_code == 409 and "changed since you opened it" in text(stale)
    world.session.expire_all()
    assert world.company_a.name == "Bouw A Holding"


def test_edit_a_user(admin: Any, client: Any, world: World) -> None:
    target = world.users["officer_a"]
    url = f"/admin/users/{target.id}/edit"
    html = text(admin.get(url))
    assert (
        'value="officer-a@test.nl"' in html
        and 'name="government_id"' in html
        and 'name="company_id"' not in html
    )
    bad = admin.post(
        url,
        data={
            "version": "1",
            "email": "admin@test.nl",
            "government_id": "999999",
            "locale": "fr",
            "password": "kort",
        },
    )
    assert bad.status_code == 400
    body = text(bad)
    assert "Choose one of the options" in body  # the locale, checked by the form
    assert "kort" not in body  # a password is never echoed
    ok = admin.post(
        url,
        data={
            "version": "1",
            "email": "Nieuw-Officer@Test.nl",
            "name": "Nieuwe naam",
            "government_id": str(world.gov_b.id),
            "locale": "nl",
            "password": "een-nieuw-wachtwoord",
        },
    )
    assert ok.status_code == 302
    world.session.expire_all()
    user = world.session.get(type(target), target.id)
    assert user is not None and (user.email, user.government_id, user.locale) == (
        "nieuw-officer@test.nl",
        world.gov_b.id,
        "nl",
    )
    (event,) = _audit(world, "user.updated")
    assert "password_hash" not in str(event.after) and event.after.get("password") == "changed"
    admin.post("/logout")
    assert (
        client.post(
            "/login", data={"email": "nieuw-officer@test.nl", "password": "een-nieuw-wachtwoord"}
        ).status_code
        == 302
    )


def test_an_email_taken_by_another_user_is_refused(admin: Any, world: World) -> None:
    target = world.users["company_a"]
    response = admin.post(
        f"/admin/users/{target.id}/edit",
        data={
            "version": "1",
            "email": "admin@test.nl",
            "company_id": str(world.company_a.id),
            "locale": "en",
        },
    )
    assert response.status_code == 400 and "exists already" in text(response)


def test_deactivate_asks_for_confirmation_on_its_own_page_first(admin: Any, world: World) -> None:
    target = world.users["company_b"]
    listing = text(admin.get("/admin/users?role=company"))
    confirm_url = f"/admin/users/{target.id}/active?active=0"
    assert (
        confirm_url in listing and f'action="/admin/users/{target.id}/active"' not in listing
    )  # a link, not a button
    page = text(admin.get(confirm_url + "&next=/admin/users?role%3Dcompany"))
    assert "Deactivate company-b@test.nl?" in page and 'name="confirm" value="yes"' in page
    world.session.expire_all()
    assert world.session.get(type(target), target.id).active  # type: ignore[union-attr]  # opening it changes nothing
    # A post without the confirmation shows the page again and changes nothing.
    unconfirmed = admin.post(f"/admin/users/{target.id}/active", data={"active": "0", "version": "1"})
    assert unconfirmed.status_code == 400 and "Yes, deactivate" in text(unconfirmed)
    world.session.expire_all()
    assert world.session.get(type(target), target.id).active  # type: ignore[union-attr]
    confirmed = admin.post(
        f"/admin/users/{target.id}/active",
        data={"active": "0", "version": "1", "confirm": "yes", "next": "/admin/users?role=company"},
    )
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(
        "/admin/users?role=company"
    )
    world.session.expire_all()
    user = world.session.get(type(target), target.id)
    assert user is not None and not user.active and user.version == 2
    # The same confirmation page, opened before, is stale now: reactivating from it stores nothing.
    again = admin.post(
        f"/admin/users/{target.id}/active",
        data={"active": "1", "version": "1", "confirm": "yes"},
        follow_redirects=True,
    )
    assert "changed since you opened it" in text(again)
    world.session.expire_all()
    assert not world.session.get(type(target), target.id).active  # type: ignore[union-attr]


@pytest.mark.parametrize("role", ["officer_a", "company_a", "initiative_a", "adviser_a"])
def test_non_admins_are_refused_every_admin_form(client: Any, login_as: Any, world: World, role: str) -> None:
    login_as(world.users[role])
    target = world.users["company_b"]
    for url in (
        f"/admin/governments/{world.gov_a.id}/edit",
        "/admin/companies",
        f"/admin/companies/{world.company_a.id}/edit",
        f"/admin/companies/{world.company_a.id}/certificates",
        f"/admin/users/{target.id}/edit",
        f"/admin/users/{target.id}/active?active=0",
        f"/admin/governments/{world.gov_a.id}/tables/new",
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(
            f"/admin/governments/{world.gov_a.id}/edit",
            data={"version": "1", "name": "X", "kind": "municipality"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/admin/users/{target.id}/active", data={"active": "0", "version": "1", "confirm": "yes"}
        ).status_code
        == 403
    )
    world.session.expire_all()
    assert world.gov_a.name == "Gemeente Aastad" and world.session.get(type(target), target.id).active  # type: ignore[union-attr]


# --- policies: a new version from a form, audited, refused when stale ------------------------------------


def _policy_form(**overrides: str) -> dict[str, str]:
    data = {
        "based_on": "1",
        "effective_from": "2026-01-01",
        "note": "raadsbesluit 2025",
        "percentage": "4",
        "basis": "contract_sum",
        "threshold": "250.000",
        "small_contract_rule": "one_social_activity",
        "route_1": "paid_work",
        "route_2": "labour_participation",
        "route_3": "social_domain",
        "route_4": "social_enterprise",
        "plan_deadline_days": "14",
        "report_period": "quarterly",
        "recovery_days": "90",
    }
    data.update(overrides)
    return data


def test_a_policy_version_from_the_form_leaves_the_awarded_contract_alone(admin: Any, world: World) -> None:
    from marketplace.models import PolicyVersion
    from marketplace.policy import Policy

    url = f"/admin/governments/{world.gov_a.id}/policies/new"
    assert 'name="based_on" value="1"' in text(admin.get(url))
    response = admin.post(url, data=_policy_form())
    assert response.status_code == 302, text(response)
    world.session.expire_all()
    versions = world.session.exec(
        select(PolicyVersion)
        .where(PolicyVersion.government_id == world.gov_a.id)
        .order_by(PolicyVersion.version)
    ).all()
    assert [v.version for v in versions] == [1, 2]
    new = Policy.from_dict(versions[1].policy)
    assert (new.percentage_bp, new.threshold_cents, new.plan_deadline_days) == (400, 25_000_000, 14)
    (event,) = _audit(world, "policy.version_added")
    assert event.after["version"] == 2 and event.actor_id == world.users["admin"].id
    # A-001 was awarded in 2025 under 5%: EUR 2,000,000 x 5% = EUR 100,000 still.
    assert Policy.from_dict(world.contract_a.policy).percentage_bp == 500


def test_a_policy_form_shows_every_error_and_refuses_when_stale(admin: Any, world: World) -> None:
    url = f"/admin/governments/{world.gov_a.id}/policies/new"
    bad = admin.post(
        url, data=_policy_form(percentage="vijf", threshold="", effective_from="morgen", recovery_days="0")
    )
    assert bad.status_code == 400
    html = text(bad)
    for name in ("percentage", "threshold", "effective_from", "recovery_days"):
        assert f'id="f-{name}-error"' in html and f'href="#f-{name}"' in html, name
    assert admin.post(url, data=_policy_form()).status_code == 302
    stale = admin.post(url, data=_policy_form(effective_from="2027-01-01"))
    assert stale.status_code == 409 and "changed since you opened it" in text(stale)
    assert len(_audit(world, "policy.version_added")) == 1


# --- recognised suppliers: the officer's own list ----------------------------------------------------------


@pytest.fixture
def officer(client: Any, login_as: Any, world: World) -> Any:
    login_as(world.users["officer_a"])
    flask_babel.refresh()
    return client


def _supplier_form(**overrides: str) -> dict[str, str]:
    data = {
        "kvk": "4455 6677",
        "name": "Werkbedrijf Aastad",
        "kind": "sw_company",
        "city": "Aastad",
        "basis": "government_list",
        "evidence": "raadsbesluit 2024-17",
    }
    data.update(overrides)
    return data


def test_an_officer_puts_a_supplier_on_the_list(officer: Any, world: World) -> None:
    from marketplace.models import Supplier, SupplierRecognition

    response = officer.post("/officer/suppliers", data=_supplier_form())
    assert response.status_code == 302
    world.session.expire_all()
    supplier = world.session.exec(select(Supplier).where(Supplier.kvk == "44556677")).one()
    row = world.session.exec(
        select(SupplierRecognition).where(SupplierRecognition.supplier_id == supplier.id)
    ).one()
    assert (row.government_id, row.status, row.basis) == (world.gov_a.id, "recognised", "government_list")
    assert row.decided_by_id == world.users["officer_a"].id
    assert [e.action for e in _audit(world, "supplier.recognised")] == ["supplier.recognised"]
    page = text(officer.get("/officer/suppliers"))
    assert "Werkbedrijf Aastad" in page and "raadsbesluit 2024-17" in page
    again = officer.post("/officer/suppliers", data=_supplier_form())
    assert again.status_code == 400 and "on the list already" in text(again)


def test_the_supplier_form_shows_every_error_at_once(officer: Any, world: World) -> None:
    from marketplace.models import Supplier

    response = officer.post(
        "/officer/suppliers", data=_supplier_form(kvk="12", name="", kind="bakery", basis="")
    )
    assert response.status_code == 400
    html = text(response)
    for name in ("kvk", "name", "kind", "basis"):
        assert f'id="f-{name}-error"' in html and f'href="#f-{name}"' in html, name
    assert world.session.exec(select(Supplier)).all() == []


def test_refusing_a_requested_supplier_needs_a_reason(officer: Any, world: World) -> None:
    from marketplace.models import Supplier, SupplierRecognition

    world.session.add(Supplier(kvk="99887766", name="Kringloop Noord", kind="social_firm"))
    world.session.flush()
    supplier = world.session.exec(select(Supplier)).one()
    world.session.add(
        SupplierRecognition(
            government_id=world.gov_a.id or 0, supplier_id=supplier.id or 0, basis="social_firm_criteria"
        )
    )
    world.session.commit()
    row = world.session.exec(select(SupplierRecognition)).one()
    page = text(officer.get("/officer/suppliers"))
    assert 'name="decision" value="changes"' in page  # a refusal is offered beside the recognition
    url = f"/officer/suppliers/{row.id}/decide"
    officer.post(url, data={"decision": "changes", "reason": "", "version": "1"})
    world.session.expire_all()
    assert world.session.get(SupplierRecognition, row.id).status == "pending"  # type: ignore[union-attr]
    officer.post(url, data={"decision": "changes", "reason": "geen 30% doelgroep", "version": "1"})
    world.session.expire_all()
    refused = world.session.get(SupplierRecognition, row.id)
    assert refused is not None and refused.status == "refused" and refused.note == "geen 30% doelgroep"


def test_other_governments_and_roles_cannot_use_the_supplier_list(
    client: Any, login_as: Any, world: World
) -> None:
    from marketplace.models import Supplier

    for role in ("company_a", "initiative_a", "admin"):
        login_as(world.users[role])
        assert client.post("/officer/suppliers", data=_supplier_form()).status_code == 403, role
        client.post("/logout")
    assert world.session.exec(select(Supplier)).all() == []


# --- PSO certificates registered by the admin --------------------------------------------------------------


def test_an_admin_registers_and_renews_a_companys_certificate(admin: Any, world: World) -> None:
    from marketplace.models import Certificate

    url = f"/admin/companies/{world.company_a.id}/certificates"
    assert "No certificate yet." in text(admin.get(url))
    first = {"level": "trede_2", "number": "PSO-1", "issued_on": "2024-05-01", "valid_until": "2026-04-30"}
    assert admin.post(url, data=first).status_code == 302
    renewed = {**first, "number": "PSO-2", "issued_on": "2026-05-01", "valid_until": "2028-04-30"}
    assert admin.post(url, data=renewed).status_code == 302
    world.session.expire_all()
    (cert,) = world.session.exec(
        select(Certificate).where(Certificate.company_id == world.company_a.id)
    ).all()
    assert (cert.number, cert.valid_until) == ("PSO-2", date(2028, 4, 30))
    events = _audit(world, "certificate.added") + _audit(world, "certificate.renewed")
    assert [e.action for e in events] == ["certificate.added", "certificate.renewed"]
    assert events[1].before["valid_until"] == "2026-04-30"  # the old dates are kept in the trail
    assert all(e.actor_id == world.users["admin"].id for e in events)


def test_the_certificate_form_shows_every_error_at_once(admin: Any, world: World) -> None:
    from marketplace.models import Certificate

    url = f"/admin/companies/{world.company_a.id}/certificates"
    response = admin.post(url, data={"level": "trede_9", "issued_on": "gisteren", "valid_until": ""})
    assert response.status_code == 400
    html = text(response)
    for name in ("level", "issued_on", "valid_until"):
        assert f'id="f-{name}-error"' in html and f'href="#f-{name}"' in html, name
    too_long = admin.post(
        url, data={"level": "trede_1", "issued_on": "2024-01-01", "valid_until": "2027-01-01"}
    )
    assert too_long.status_code == 400 and "at most two years" in text(too_long)
    assert world.session.exec(select(Certificate)).all() == []
    assert admin.get("/admin/companies/999999/certificates").status_code == 404
