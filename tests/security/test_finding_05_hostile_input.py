"""Finding 5: hostile input gave 500s (unicode digits, ids beyond 64 bits, NUL bytes). Refused at the boundary.

The generated suite (test_hostile_input.py) sends every kind of value to every route and field; these are the
cases from the attack run, one by one, with what the user sees. Both databases (NUL bytes broke PostgreSQL).
"""

from typing import Any

import pytest

from marketplace.boundary import BoundedIntConverter, parse_int
from tests.conftest import World

HUGE = str(10**30)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12", 12),
        ("-3", -3),
        ("²", None),
        ("١٢٣", None),
        ("１２", None),
        (HUGE, None),
        (str(2**63), None),
        (str(2**63 - 1), 2**63 - 1),
        ("9" * 5000, None),
        ("", None),
        ("1e3", None),
        (" 7 ", 7),
    ],
)
def test_parse_int_takes_ascii_digits_within_64_bits(text: str, expected: int | None) -> None:
    assert parse_int(text) == expected


def test_route_ids_take_ascii_digits_up_to_a_primary_key() -> None:
    assert BoundedIntConverter.regex == "[0-9]{1,19}"


@pytest.mark.parametrize("page", ["²", "١٢٣", HUGE, "9" * 5000, "-1"])
def test_unicode_digits_and_huge_pages_on_the_lists(
    client: Any, login_as: Any, world: World, page: str
) -> None:
    assert client.get("/catalogue", query_string={"page": page}).status_code == 200
    login_as(world.users["officer_a"])
    for path in ("/officer/matches", "/officer/contracts", "/officer/eligibility"):
        assert client.get(path, query_string={"page": page}).status_code == 200, path
    login_as(world.users["admin"])
    assert client.get("/admin/users", query_string={"page": page}).status_code == 200


def test_ids_beyond_64_bits_are_404_or_a_form_error(client: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    assert client.get(f"/company/matches/{HUGE}").status_code == 404
    assert client.get("/company/matches/١٢٣").status_code == 404  # Arabic-Indic digits are not an id
    contract = world.contract_a.id
    response = client.post(
        f"/company/contracts/{contract}/pledge",
        data={"target": f"need:{HUGE}", "block": "employee_hour", "quantity": "1"},
    )
    assert response.status_code in (200, 400, 422)
    response = client.get(f"/company/contracts/{contract}/pledge", query_string={"need": HUGE})
    assert response.status_code == 200
    assert client.get("/api/v1/matches/" + HUGE).status_code == 404


@pytest.mark.parametrize(
    "path, query",
    [
        ("/catalogue", {"q": "voedsel\x00bank"}),
        ("/initiatives/a%00b", {}),
        ("/api/v1/initiatives/a%00b", {}),
        ("/api/v1/search", {"q": "a\x00b"}),
    ],
)
def test_nul_bytes_are_refused_with_400(client: Any, world: World, path: str, query: dict[str, str]) -> None:
    response = client.get(path, query_string=query)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.mimetype == "application/problem+json"
        assert "NUL" in response.get_json()["detail"]
    else:
        assert "NUL byte" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_form_stores_nothing(client: Any, login_as: Any, world: World) -> None:
    login_as(world.users["initiative_a"])
    need = world.need_hours
    response = client.post(
        f"/initiative/needs/{need.id}/edit",
        data={"title": "Chauffeurs\x00", "kind": need.kind, "unit": need.unit, "quantity": "10"},
    )
    assert response.status_code == 400 and "NUL byte (in title)" in response.get_data(as_text=True)
    world.session.refresh(need)
    assert "\x00" not in need.title


def test_a_nul_byte_in_a_json_body_names_the_field(client: Any, login_as: Any, world: World) -> None:
    login_as(world.users["company_a"])
    response = client.post(
        f"/api/v1/contracts/{world.contract_a.reference}/pledges",
        json={"block": "employee_hour", "quantity": 1, "note": "a\x00b"},
    )
    assert response.status_code == 400 and response.get_json()["field"] == "note"
