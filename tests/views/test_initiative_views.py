"""Initiative pages: needs, profile, handprint, and the pledges made to the initiative."""

from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import HandprintScore, Initiative, Match, Need
from marketplace.queries import contract_totals
from marketplace.services import approvals
from tests.conftest import World


@pytest.fixture
def ini_client(client: Any, login_as: Any, world: World) -> Any:
    login_as(world.users["initiative_a"])
    return client


def _need_count(world: World) -> int:
    world.session.expire_all()
    return len(world.session.exec(select(Need)).all())


def _approved_match(world: World, **kw: Any) -> Match:
    match = world.pledge(**kw)
    return world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=match.id)


# --- pages ------------------------------------------------------------------------------------------------


def test_dashboard_shows_needs_handprint_and_grouped_pledges(ini_client: Any, world: World) -> None:
    _approved_match(world, quantity=10)
    world.pledge(quantity=5)
    body = ini_client.get("/initiative/").get_data(as_text=True)
    assert "Voedselbank Aastad" in body
    assert "Chauffeurs" in body and "Koelcel" in body  # open needs
    assert "Confirm delivery" in body  # the approved pledge has its action
    assert "Nothing delivered yet." in body  # an empty group says so
    assert "<svg" in body  # the handprint chart


@pytest.mark.parametrize(
    "path",
    [
        "/initiative/",
        "/initiative/profile",
        "/initiative/handprint",
        "/initiative/needs",
        "/initiative/needs/new",
        "/initiative/pledges",
        "/initiative/pledges?status=approved",
    ],
)
def test_pages_render(ini_client: Any, world: World, path: str) -> None:
    assert ini_client.get(path).status_code == 200


def test_other_roles_are_refused(client: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    assert client.get("/initiative/").status_code == 403


# --- needs ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, unit, quantity",
    [
        ("money", "cents", "lots"),
        ("money", "cents", "-100"),
        ("money", "cents", "0"),
        ("money", "cents", "99999999999999"),
        ("hours", "hours", "2.5"),
        ("hours", "hours", "ten"),
        ("hours", "hours", "-3"),
        ("internship", "places", "1e9"),
        ("hours", "hours", ""),
    ],
)
def test_create_need_with_bad_quantity_shows_error_and_stores_nothing(
    ini_client: Any, world: World, kind: str, unit: str, quantity: str
) -> None:
    before = _need_count(world)
    response = ini_client.post(
        "/initiative/needs/new",
        data={
            "kind": kind,
            "unit": unit,
            "title": "Nieuwe bus",
            "description": "Voor de ritten",
            "quantity": quantity,
            "themes": ["werk"],
        },
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'class="field-error"' in body
    assert 'value="Nieuwe bus"' in body and "Voor de ritten" in body  # the form keeps what was typed
    assert _need_count(world) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "hours", "unit": "hours", "quantity": "99999999999"}, "At most 100.000"),
        ({"kind": "money", "unit": "cents", "quantity": "50.000.000"}, "At most EUR 10.000.000"),
        ({"kind": "internship", "unit": "places", "quantity": "5000"}, "At most 1.000"),
        (
            {"kind": "hours", "unit": "hours", "quantity": "10", "deadline": "2020-01-01"},
            "cannot be in the past",
        ),
    ],
)
def test_absurd_needs_are_refused_with_the_bound_in_the_message(
    ini_client: Any, world: World, data: dict[str, str], message: str
) -> None:
    """Issue 13: a need of 99,999,999,999 hours, or with a deadline of 2020-01-01, is not published."""
    before = _need_count(world)
    response = ini_client.post(
        "/initiative/needs/new", data={"title": "Te groot", "themes": ["werk"], **data}
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _need_count(world) == before


def test_create_need_converts_euro_to_cents(ini_client: Any, world: World) -> None:
    response = ini_client.post(
        "/initiative/needs/new",
        data={
            "kind": "money",
            "unit": "cents",
            "title": "Nieuwe koelcel",
            "quantity": "1.250,50",
            "themes": ["werk"],
            "deadline": "2027-01-31",
        },
    )
    assert response.status_code == 302
    need = world.session.exec(select(Need).where(Need.title == "Nieuwe koelcel")).one()
    assert (need.quantity, need.unit, need.initiative_id, need.status) == (
        125_050,
        "cents",
        world.ini_a.id,
        "open",
    )
    assert need.themes == ["werk"]


def test_dutch_thousands_separator_is_not_a_decimal_point(ini_client: Any, world: World) -> None:
    ini_client.post(
        "/initiative/needs/new", data={"kind": "goods", "title": "Rolcontainers", "quantity": "2.500"}
    )
    need = world.session.exec(select(Need).where(Need.title == "Rolcontainers")).one()
    assert need.quantity == 250_000


def test_unit_must_fit_the_kind(ini_client: Any, world: World) -> None:
    before = _need_count(world)
    response = ini_client.post(
        "/initiative/needs/new", data={"kind": "hours", "unit": "cents", "title": "x", "quantity": "3"}
    )
    assert response.status_code == 400
    assert _need_count(world) == before


def test_edit_need_cannot_drop_below_pledged(ini_client: Any, world: World) -> None:
    world.pledge(quantity=40)
    response = ini_client.post(
        f"/initiative/needs/{world.need_hours.id}/edit",
        data={"kind": "hours", "unit": "hours", "title": "Chauffeurs", "quantity": "10"},
    )
    assert response.status_code == 400
    assert "40" in response.get_data(as_text=True)
    world.session.expire_all()
    assert world.session.get(Need, world.need_hours.id).quantity == 100


def test_edit_and_close_and_reopen_need(ini_client: Any, world: World) -> None:
    need_id = world.need_money.id
    page = ini_client.get(f"/initiative/needs/{need_id}/edit").get_data(as_text=True)
    assert 'value="5000"' in page  # cents shown as euro
    assert (
        ini_client.post(
            f"/initiative/needs/{need_id}/edit",
            data={"kind": "money", "unit": "cents", "title": "Grotere koelcel", "quantity": "6000"},
        ).status_code
        == 302
    )
    assert (
        ini_client.post(f"/initiative/needs/{need_id}/status", data={"status": "closed"}).status_code == 302
    )
    world.session.expire_all()
    need = world.session.get(Need, need_id)
    assert (need.title, need.quantity, need.status) == ("Grotere koelcel", 600_000, "closed")
    assert ini_client.post(f"/initiative/needs/{need_id}/status", data={"status": "bogus"}).status_code == 302
    assert ini_client.post(f"/initiative/needs/{need_id}/status", data={"status": "open"}).status_code == 302
    world.session.expire_all()
    assert world.session.get(Need, need_id).status == "open"


def test_another_initiatives_need_is_404(ini_client: Any, world: World) -> None:
    foreign = world.need_b.id
    assert ini_client.get(f"/initiative/needs/{foreign}/edit").status_code == 404
    assert (
        ini_client.post(
            f"/initiative/needs/{foreign}/edit",
            data={"kind": "hours", "unit": "hours", "title": "Mine now", "quantity": "5"},
        ).status_code
        == 404
    )
    assert (
        ini_client.post(f"/initiative/needs/{foreign}/status", data={"status": "closed"}).status_code == 404
    )
    assert ini_client.get("/initiative/needs/999999/edit").status_code == 404
    world.session.expire_all()
    need = world.session.get(Need, foreign)
    assert (need.title, need.status) == ("Taalmaatjes", "open")


# --- profile and handprint --------------------------------------------------------------------------------


def test_profile_error_keeps_values(ini_client: Any, world: World) -> None:
    response = ini_client.post(
        "/initiative/profile",
        data={
            "name": "Voedselbank Aastad",
            "summary": "Nieuwe samenvatting",
            "municipality": "Aastad",
            "life_phase": "start",
            "lat": "not a number",
        },
    )
    assert response.status_code == 400
    assert "Nieuwe samenvatting" in response.get_data(as_text=True)
    world.session.expire_all()
    assert world.session.get(Initiative, world.ini_a.id).summary == "Voedselpakketten"


def test_profile_saves_but_not_the_kind(ini_client: Any, world: World) -> None:
    response = ini_client.post(
        "/initiative/profile",
        data={
            "name": "Voedselbank Aastad-Noord",
            "municipality": "Aastad",
            "life_phase": "growth",
            "lat": "52.1",
            "lon": "5.1",
            "website": "https://voedselbank.example",
            "target_groups": ["ww", "wia"],
            "kind": "social_firm",
        },
    )
    assert response.status_code == 302
    world.session.expire_all()
    ini = world.session.get(Initiative, world.ini_a.id)
    assert (ini.name, ini.life_phase, ini.target_groups, ini.kind) == (
        "Voedselbank Aastad-Noord",
        "growth",
        ["ww", "wia"],
        "initiative",
    )


def test_handprint_saves_scores_and_euro_values(ini_client: Any, world: World) -> None:
    response = ini_client.post(
        "/initiative/handprint",
        data={
            "score_werk": "40",
            "value_werk": "12.500",
            "indicator_werk": "10 banen",
            "score_armoedebestrijding": "90",
            "score_onderwijs": "",
        },
    )
    assert response.status_code == 302
    world.session.expire_all()
    rows = {
        h.theme: h
        for h in world.session.exec(
            select(HandprintScore).where(HandprintScore.initiative_id == world.ini_a.id)
        ).all()
    }
    assert set(rows) == {"werk", "armoedebestrijding"}
    assert (rows["werk"].score, rows["werk"].yearly_value_cents, rows["werk"].indicator) == (
        40,
        1_250_000,
        "10 banen",
    )


@pytest.mark.parametrize(
    "data, field",
    [
        ({"score_werk": "abc"}, "score_werk"),
        ({"score_werk": "10", "score_onderwijs": "150"}, "score_onderwijs"),
        ({"score_werk": "10", "value_werk": "veel"}, "value_werk"),
        ({"score_werk": "10", "indicator_participatie": "zonder score"}, "score_participatie"),
        ({"score_werk": "10", "indicator_werk": "x" * 400}, "indicator_werk"),
    ],
)
def test_handprint_error_is_marked_on_its_theme(
    ini_client: Any, world: World, data: dict[str, str], field: str
) -> None:
    response = ini_client.post("/initiative/handprint", data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    # The error sits in the cell of the field at fault.
    cell = body.split(f'id="f-{field}"', 1)[1].split("</td>", 1)[0]
    assert "field-error" in cell
    world.session.expire_all()
    scores = world.session.exec(
        select(HandprintScore).where(HandprintScore.initiative_id == world.ini_a.id)
    ).all()
    assert [(h.theme, h.score) for h in scores] == [("armoedebestrijding", 80)]


# --- pledges ----------------------------------------------------------------------------------------------


def test_initiative_cannot_see_another_initiatives_pledge(client: Any, login_as: Any, world: World) -> None:
    match = _approved_match(world, quantity=10)
    login_as(world.users["initiative_b"])
    assert client.get(f"/initiative/pledges/{match.id}").status_code == 404
    assert client.post(f"/initiative/pledges/{match.id}/deliver", data={"note": "mine"}).status_code == 404
    assert client.get("/initiative/pledges/999999").status_code == 404
    world.session.expire_all()
    assert world.session.get(Match, match.id).status == "approved"
    # Nor does the list show it.
    assert "Chauffeurs" not in client.get("/initiative/pledges").get_data(as_text=True)


def test_own_pledge_detail(ini_client: Any, world: World) -> None:
    match = _approved_match(world, quantity=10)
    body = ini_client.get(f"/initiative/pledges/{match.id}").get_data(as_text=True)
    assert "Bouw A B.V." in body and f'action="/initiative/pledges/{match.id}/deliver"' in body


def test_confirm_delivery_moves_pledge_to_delivered_and_raises_realised(
    ini_client: Any, world: World
) -> None:
    match = _approved_match(world, quantity=10)
    contract = world.contract_a
    before = contract_totals(world.session, [contract])[contract.id].realised_cents
    response = ini_client.post(f"/initiative/pledges/{match.id}/deliver", data={"note": "Tien uur gereden"})
    assert response.status_code == 302
    world.session.expire_all()
    stored = world.session.get(Match, match.id)
    assert stored.status == "delivered" and stored.delivered_note == "Tien uur gereden"
    after = contract_totals(world.session, [contract])[contract.id].realised_cents
    assert after == before + match.value_cents and after > before


def test_confirm_delivery_from_dashboard_returns_there(ini_client: Any, world: World) -> None:
    match = _approved_match(world, quantity=10)
    response = ini_client.post(f"/initiative/pledges/{match.id}/deliver", data={"back": "dashboard"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/initiative/")


def test_confirm_delivery_refuses_a_pledge_not_yet_approved(ini_client: Any, world: World) -> None:
    match = world.pledge(quantity=10)
    response = ini_client.post(
        f"/initiative/pledges/{match.id}/deliver", data={"note": ""}, follow_redirects=True
    )
    assert response.status_code == 200
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    world.session.expire_all()
    assert world.session.get(Match, match.id).status == "proposed"


def test_confirm_delivery_with_overlong_note_keeps_it(ini_client: Any, world: World) -> None:
    match = _approved_match(world, quantity=10)
    note = "Gereden. " * 300
    response = ini_client.post(f"/initiative/pledges/{match.id}/deliver", data={"note": note})
    assert response.status_code == 400
    assert "Gereden. Gereden." in response.get_data(as_text=True)
    world.session.expire_all()
    assert world.session.get(Match, match.id).status == "approved"
