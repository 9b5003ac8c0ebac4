"""Whatever a client sends, the API answers with a problem or a result, never a 500."""

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.services import approvals
from tests.api.conftest import placement_body
from tests.conftest import World, placement

FIELDS = [
    "block",
    "quantity",
    "need_id",
    "initiative_id",
    "placement",
    "certificate_id",
    "supplier",
    "smart_plan_id",
    "hours_per_week",
    "months",
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
# Values that get past the shape checks, so the services' own checks are reached too.
plausible = st.one_of(
    values,
    st.sampled_from(["2025-04-01", "2026-03-31", "2025-02-28", "0001-01-01", "9999-12-31", "2100-12-31"]),
    st.dates().map(str),
    st.sampled_from(
        ["participatiewet", "ww", "benefit_letter", "permanent", "internship", "55_plus", "trede_2"]
    ),
    st.sampled_from(["ended_early", "invoiced_lower", "did_not_happen", "other"]),
    st.sampled_from(["12345678", "sw_company", "social_firm", "government_list"]),
    st.integers(min_value=-2, max_value=50),
)
PLACEMENT_FIELDS = list(placement_body())
PLACEMENT_FIELDS += [
    "age_band",
    "statushouder_or_language",
    "after_vso_pro_internship",
    "occupational_disability",
]
SUPPLIER_FIELDS = ["kvk", "name", "kind", "basis", "evidence", "city"]


def _objects(fields: list[str], base: dict[str, Any]) -> Any:
    """Objects with these fields: random ones, and a valid `base` with some fields changed or dropped."""
    keys = st.sampled_from(fields) | st.text(max_size=5)
    changed = st.builds(
        lambda changes, dropped: {**{k: v for k, v in base.items() if k not in dropped}, **changes},
        st.dictionaries(keys, plausible, max_size=3),
        st.sets(st.sampled_from(list(base)), max_size=2),
    )
    return st.dictionaries(keys, plausible, max_size=12) | changed


placements = _objects(PLACEMENT_FIELDS, placement_body())
SUPPLIER = {"kvk": "12345678", "name": "Pantar", "kind": "sw_company", "basis": "sw_company"}
suppliers = _objects(SUPPLIER_FIELDS, SUPPLIER)
NESTED = {"placement": placements, "supplier": suppliers}
random_bodies = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), values, max_size=8).flatmap(
    lambda body: st.fixed_dictionaries({k: NESTED[k] if k in NESTED else st.just(v) for k, v in body.items()})
)
PLEDGES = [
    {"block": "employee_hour", "quantity": 10},
    {"block": "participatiewet", "placement": placement_body()},
    {"block": "mbo_bol", "placement": placement_body(target_group="bol_bbl", employment="internship")},
    {"block": "purchase_social_firm", "quantity": 100_000, "supplier": SUPPLIER},
    {"block": "pso_certificate", "quantity": 1, "certificate_id": 1},
]


def _mutated(bases: list[dict[str, Any]], fields: list[str], nested: dict[str, Any]) -> Any:
    """A valid body with a few fields changed (nested objects among them) or one dropped."""
    keys = st.sampled_from(fields) | st.text(max_size=5)
    changes = st.dictionaries(keys, plausible, max_size=3).flatmap(
        lambda d: st.fixed_dictionaries({k: nested[k] if k in nested else st.just(v) for k, v in d.items()})
    )
    return st.builds(
        lambda base, changed, dropped: {**{k: v for k, v in base.items() if k not in dropped}, **changed},
        st.sampled_from(bases),
        changes,
        st.sets(st.sampled_from(sorted({k for base in bases for k in base})), max_size=1),
    )


bodies = random_bodies | _mutated(PLEDGES, FIELDS, NESTED)
SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
OK = {200, 201, 400, 404, 409, 412, 413, 415, 422, 428}


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
    if "block" in body and body.get("need_id") is None and "placement" not in body and "supplier" not in body:
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
        # With the current ETag, so the body reaches the parser and the decision path (not only the 428).
        etag = client.get(f"/api/v1/matches/{match_id}").headers["ETag"]
        _check(
            client.post(
                f"/api/v1/matches/{match_id}/{action}",
                data=data,
                content_type="application/json",
                headers={"If-Match": etag},
            )
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


REVISION_FIELDS = ["kind", "reason", "new_end_date", "new_quantity", "new_value_cents"]
COUNTING_FIELDS = REVISION_FIELDS + [
    "level",
    "number",
    "issued_on",
    "valid_until",
    "initiative_id",
    "goal",
    "target_group",
    "roots",
    "participants",
    "labour_component_cents",
]
COUNTING_BODIES = [
    {"kind": "ended_early", "reason": "Uit dienst", "new_end_date": "2025-06-30"},
    {"kind": "invoiced_lower", "reason": "Factuur", "new_quantity": 950_000},
    {"kind": "other", "reason": "Lager", "new_value_cents": 500_000},
    {"kind": "did_not_happen", "reason": "Niet gebeurd"},
    {"level": "trede_2", "issued_on": "2024-06-01", "valid_until": "2026-05-31"},
    {"initiative_id": 1, "goal": "g", "target_group": "t", "roots": "r", "participants": "p"},
    {"labour_component_cents": 80_000_000},
]
counting_bodies = st.dictionaries(
    st.sampled_from(COUNTING_FIELDS) | st.text(max_size=8), plausible, max_size=8
) | _mutated(COUNTING_BODIES, COUNTING_FIELDS, {})


def _counting_world(world: World, login_as: Any) -> dict[str, Any]:
    """Once per test: an approved placement and an approved purchase to revise, logged in as the company."""
    if not getattr(world, "_counting", None):
        placed = world.pledge(
            need_id=None, block_code="participatiewet", quantity=None, placement=placement()
        )
        bought = world.pledge(
            need_id=None, initiative_id=world.firm_a.id, block_code="purchase_social_firm", quantity=1_200_000
        )
        for match in (placed, bought):
            world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=match.id)
        world._counting = {"placed": placed.id, "bought": bought.id}  # type: ignore[attr-defined]
    return world._counting  # type: ignore[attr-defined,no-any-return]


@SETTINGS
@given(body=counting_bodies)
def test_counting_rule_endpoints_never_fail(
    client: Any, login_as: Any, world: World, body: dict[str, Any]
) -> None:
    ids = _counting_world(world, login_as)
    payload = json.dumps(body)
    company_urls = [
        f"/api/v1/matches/{ids['placed']}/revisions",
        f"/api/v1/matches/{ids['bought']}/revisions",
        "/api/v1/certificates",
        "/api/v1/contracts/A-001/smart-plans",
    ]
    officer_urls = [f"/api/v1/matches/{ids['bought']}/revisions", "/api/v1/contracts/A-001/complete"]
    for user, urls in (("company_a", company_urls), ("officer_a", officer_urls)):
        login_as(world.users[user])
        for url in urls:
            _check(client.post(url, data=payload, content_type="application/json"))


@SETTINGS
@given(
    data=st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
    | counting_bodies.map(lambda b: json.dumps(b).encode())
)
def test_officer_decisions_never_fail(client: Any, login_as: Any, world: World, data: bytes) -> None:
    if not getattr(world, "_decisions", None):
        _counting_world(world, login_as)
        login_as(world.users["company_a"])
        revision = client.post(
            f"/api/v1/matches/{world._counting['placed']}/revisions",  # type: ignore[attr-defined]
            json={"kind": "ended_early", "reason": "Uit dienst", "new_end_date": "2025-06-30"},
        )
        plan = client.post(
            "/api/v1/contracts/A-001/smart-plans",
            json={
                "initiative_id": world.ini_a.id,
                "goal": "g",
                "target_group": "t",
                "roots": "r",
                "participants": "p",
            },
        )
        supplied = client.post(
            "/api/v1/contracts/A-001/pledges",
            json={
                "block": "purchase_social_firm",
                "quantity": 100_000,
                "supplier": {
                    "kvk": "12345678",
                    "name": "Pantar",
                    "kind": "sw_company",
                    "basis": "sw_company",
                },
            },
        )
        assert (revision.status_code, plan.status_code, supplied.status_code) == (201, 201, 201)
        login_as(world.users["officer_a"])
        recognition = client.get("/api/v1/suppliers").get_json()["items"][0]["id"]
        world._decisions = (
            [  # type: ignore[attr-defined]
                f"/api/v1/revisions/{revision.get_json()['id']}/{action}" for action in ("approve", "reject")
            ]
            + [f"/api/v1/smart-plans/{plan.get_json()['id']}/{action}" for action in ("approve", "changes")]
            + [f"/api/v1/suppliers/{recognition}/{action}" for action in ("recognise", "refuse")]
        )
    for url in world._decisions:  # type: ignore[attr-defined]
        _check(client.post(url, data=data, content_type="application/json"))
