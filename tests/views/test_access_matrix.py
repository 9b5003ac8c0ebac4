"""Who may call what: a role x route matrix generated from the app's URL map.

Every route must declare its rule with `marketplace.authz.access`; a new route without one fails
`test_every_route_declares_who_may_call_it`. For each GET route and role, the test checks:
- a role the rule does not allow is refused (login redirect or 401 when anonymous, 403 otherwise);
- an allowed role opening its own objects gets 200;
- an allowed role opening another organisation's or government's objects gets 404, never data.
POST routes are checked for refusal of roles that may not call them and for 404 on foreign objects.
"""

from typing import Any

import pytest
from werkzeug.routing import Rule

from marketplace import create_app
from marketplace.authz import ANY_USER, PUBLIC, access_of
from marketplace.services import approvals
from tests.conftest import World

ROLES = ("anonymous", "company", "initiative", "officer", "admin")
USER_OF_ROLE = {"company": "company_a", "initiative": "initiative_a", "officer": "officer_a", "admin": "admin"}
SKIP_ENDPOINTS = {"static"}


def _rules(app: Any) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in SKIP_ENDPOINTS), key=lambda r: r.rule)


def _static_rules() -> list[tuple[str, str, str]]:
    """(rule, method, endpoint) of every routed view, for parametrisation at collection time."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x",
                      "SEARCH_SQLITE_PATH": ":memory:"})
    out = []
    for r in _rules(app):
        for method in sorted((r.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((r.rule, method, r.endpoint))
    return out


ROUTES = _static_rules()


def test_every_route_declares_who_may_call_it(app: Any) -> None:
    missing = [r.endpoint for r in _rules(app) if access_of(app.view_functions[r.endpoint]) is None]
    assert missing == [], f"routes without an access rule: {missing}"


def _params(world: World, extra: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """URL parameter values: 'own' belongs to the test role's side (gov_a), 'foreign' to gov_b's side."""
    return {
        "contract_id": {"own": world.contract_a.id, "foreign": world.contract_b.id},
        "reference": {"own": world.contract_a.reference, "foreign": world.contract_b.reference},
        "match_id": {"own": extra["match_a"].id, "foreign": extra["match_b"].id},
        "need_id": {"own": world.need_hours.id, "foreign": world.need_b.id},
        "initiative_id": {"own": world.ini_a.id, "foreign": None},
        "slug": {"own": world.ini_a.slug, "foreign": None},
        "government_id": {"own": world.gov_a.id, "foreign": None},
        "table_id": {"own": world.table_a.id, "foreign": None},
        "user_id": {"own": world.users["company_a"].id, "foreign": None},
    }


@pytest.fixture
def matrix_world(world: World) -> tuple[World, dict[str, Any]]:
    match_a = world.pledge(quantity=10)
    match_b = world.pledge(actor=world.users["company_b"], contract_id=world.contract_b.id,
                           need_id=world.need_b.id, quantity=5)
    # The initiative's "own" match must be one pledged to it; approve it so delivery pages apply.
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=match_a.id)
    return world, {"match_a": match_a, "match_b": match_b}


def _url(rule: str, params: dict[str, dict[str, Any]], side: str) -> str | None:
    url = rule
    import re

    for _converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        if name not in params:
            raise AssertionError(f"{rule}: add a value for <{name}> to _params() in this test")
        value = params[name][side]
        if value is None:
            return None
        url = re.sub(rf"<(?:\w+:)?{name}>", str(value), url)
    return url


def _allowed(roles: tuple[str, ...], role: str) -> bool:
    if PUBLIC in roles:
        return True
    if role == "anonymous":
        return False
    return ANY_USER in roles or role in roles


def _check(app: Any, client: Any, world: World, extra: dict[str, Any], role: str, rule: str, method: str,
           endpoint: str) -> list[str]:
    """Check one cell of the matrix; returns what went wrong (empty when right)."""
    roles = access_of(app.view_functions[endpoint]) or ()
    params = _params(world, extra)
    own = _url(rule, params, "own")
    assert own is not None
    send = client.get if method == "GET" else client.post
    response = send(own)
    code = response.status_code
    api = rule.startswith("/api/")
    where = f"{role} {method} {own}"
    if not _allowed(roles, role):
        if role == "anonymous":
            ok = code == 401 if api else (code == 302 and "/login" in response.headers.get("Location", ""))
        else:
            ok = code == 403
        return [] if ok else [f"{where}: expected refusal, got {code}"]
    problems = []
    if code >= 500:
        problems.append(f"{where}: {code}")
    if method == "GET" and code != 200 and not (endpoint == "auth.login" and code == 302):
        problems.append(f"{where}: own side should be 200, got {code}")
    has_object = "<" in rule and PUBLIC not in roles
    if has_object and role not in ("admin", "anonymous"):
        foreign = _url(rule, params, "foreign")
        if foreign is not None:
            code = send(foreign).status_code
            if code not in (403, 404):
                problems.append(f"{role} {method} {foreign}: another side's object gave {code}")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_role_route_matrix(app: Any, client: Any, login_as: Any, matrix_world: tuple[World, dict[str, Any]],
                           role: str) -> None:
    """One role against every route; all failures are reported together."""
    world, extra = matrix_world
    problems: list[str] = []
    cells = 0
    for rule, method, endpoint in ROUTES:
        if role != "anonymous":
            login_as(world.users[USER_OF_ROLE[role]])  # a POST (logout, language) may have changed the session
        problems += _check(app, client, world, extra, role, rule, method, endpoint)
        cells += 1
    assert cells == len(ROUTES)
    assert problems == [], "\n".join(problems)

