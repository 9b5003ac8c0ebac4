"""Whatever a client sends, the API answers with a problem or a result, never a 500."""

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import World

FIELDS = [
    "block",
    "quantity",
    "need_id",
    "initiative_id",
    "hours_per_week",
    "months",
    "weeks",
    "bonuses",
    "note",
    "reason",
    "agreed_value_cents",
]
BLOCKS = [
    "employee_hour",
    "participatiewet",
    "bonus_50plus",
    "donation_initiative",
    "purchase_social_firm",
    "maatwerk_agreement",
    "pso_certificate",
    "mbo_bol",
    "social_activity_day",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=50),
    st.sampled_from(BLOCKS),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
bodies = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), values, max_size=8)
SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
OK = {200, 201, 400, 404, 409, 413, 415, 422}


def _check(response: Any) -> None:
    assert response.status_code in OK, (response.status_code, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert response.content_type == "application/problem+json"
        assert response.get_json(force=True)["detail"]


@SETTINGS
@given(body=bodies)
def test_company_endpoints_never_fail(client: Any, login_as: Any, world: World, body: dict[str, Any]) -> None:
    if not getattr(world, "_logged_in", False):
        login_as(world.users["company_a"])
        world._logged_in = True  # type: ignore[attr-defined]
    if "block" in body and body.get("need_id") is None:
        body["need_id"] = world.need_hours.id
    payload = json.dumps(body)
    for url in ("/api/v1/contracts/A-001/valuation", "/api/v1/contracts/A-001/pledges"):
        _check(client.post(url, data=payload, content_type="application/json"))


@SETTINGS
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_raw_bytes_never_fail(client: Any, login_as: Any, world: World, data: bytes) -> None:
    if not getattr(world, "_match", None):
        world._match = world.pledge(block_code="maatwerk_agreement", quantity=1000, need_id=None)  # type: ignore[attr-defined]
        login_as(world.users["officer_a"])
    match_id = world._match.id  # type: ignore[attr-defined]
    for action in ("approve", "reject", "changes"):
        _check(
            client.post(f"/api/v1/matches/{match_id}/{action}", data=data, content_type="application/json")
        )


@SETTINGS
@given(
    args=st.dictionaries(
        st.sampled_from(["q", "page", "per_page", "theme", "sort", "near", "municipality", "kind", "type"]),
        st.text(max_size=30),
        max_size=5,
    )
)
def test_search_args_never_fail(client: Any, world: World, args: dict[str, str]) -> None:
    response = client.get("/api/v1/search", query_string=args)
    assert response.status_code in (200, 400), response.status_code
