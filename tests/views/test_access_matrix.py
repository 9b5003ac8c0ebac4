"""Who may call what: a role x route matrix generated from the app's URL map.

Every route must declare its rule with `marketplace.authz.access`; a new route without one fails
`test_every_route_declares_who_may_call_it`. For each GET route and role, the test checks:
- a role the rule does not allow is refused (login redirect or 401 when anonymous, 403 otherwise);
- an allowed role opening its own objects gets 200;
- an allowed role opening another organisation's or government's objects gets 404, never data.
POST routes are checked for refusal of roles that may not call them and for 404 on foreign objects.
"""

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from werkzeug.routing import Rule

from marketplace import create_app
from marketplace.authz import ANY_USER, PUBLIC, access_of
from marketplace.models import Contract, Evidence, Notification
from marketplace.services import (
    api_tokens,
    approvals,
    reports,
    revisions,
    settlements,
    smart_plans,
    suppliers,
)
from marketplace.services.revisions import RevisionInput
from marketplace.services.smart_plans import SmartPlanInput
from marketplace.services.suppliers import SupplierInput
from tests.conftest import PDF, TEST_POLICY, World

ROLES = ("anonymous", "company", "initiative", "officer", "adviser", "admin")
USER_OF_ROLE = {
    "company": "company_a",
    "initiative": "initiative_a",
    "officer": "officer_a",
    "adviser": "adviser_a",
    "admin": "admin",
}
SKIP_ENDPOINTS = {"static"}


def _rules(app: Any) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint not in SKIP_ENDPOINTS), key=lambda r: r.rule
    )


def _static_rules() -> list[tuple[str, str, str]]:
    """(rule, method, endpoint) of every routed view, for parametrisation at collection time."""
    app = create_app(
        {"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "SEARCH_SQLITE_PATH": ":memory:"}
    )
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
        "company_id": {"own": world.company_a.id, "foreign": None},
        "revision_id": {"own": extra["revision_a"].id, "foreign": extra["revision_b"].id},
        "plan_id": {"own": extra["plan_a"].id, "foreign": extra["plan_b"].id},
        "recognition_id": {"own": extra["recognition_a"].id, "foreign": extra["recognition_b"].id},
        "report_id": {"own": extra["report_a"].id, "foreign": extra["report_b"].id},
        "evidence_id": {"own": extra["evidence_a"].id, "foreign": extra["evidence_b"].id},
        "settlement_id": {"own": extra["settlement_a"].id, "foreign": extra["settlement_b"].id},
        # Reports and exports are scoped by the caller, not by the URL: there is no foreign value.
        "year": {"own": 2026, "foreign": None},
        "dataset": {"own": "pledges", "foreign": None},
        "fmt": {"own": "csv", "foreign": None},
        "token_id": {"own": extra["token_a"].id, "foreign": extra["token_b"].id},
        "token": {"own": extra["reset_token"], "foreign": None},
        "notification_id": {"own": extra["notification_a"].id, "foreign": extra["notification_b"].id},
    }


@pytest.fixture
def matrix_world(app: Any, world: World, evidence_store: Any) -> tuple[World, dict[str, Any]]:
    match_a = world.pledge(quantity=10)
    match_b = world.pledge(
        actor=world.users["company_b"], contract_id=world.contract_b.id, need_id=world.need_b.id, quantity=5
    )
    # The initiative's "own" match must be one pledged to it; approve it so delivery pages apply.
    world.act(approvals.approve_match, actor=world.users["officer_a"], match_id=match_a.id)
    world.act(approvals.approve_match, actor=world.users["officer_b"], match_id=match_b.id)
    extra: dict[str, Any] = {"match_a": match_a, "match_b": match_b}
    for side, match, company in (("a", match_a, "company_a"), ("b", match_b, "company_b")):
        extra[f"revision_{side}"] = world.act(
            revisions.propose_revision,
            actor=world.users[company],
            data=RevisionInput(match_id=match.id or 0, kind="other", reason="minder uren", new_quantity=1),
        )
    for side, contract, ini, company in (
        ("a", world.contract_a, world.ini_a, "company_a"),
        ("b", world.contract_b, world.ini_b, "company_b"),
    ):
        extra[f"plan_{side}"] = world.act(
            smart_plans.submit_smart_plan,
            actor=world.users[company],
            data=SmartPlanInput(
                contract_id=contract.id or 0,
                initiative_id=ini.id or 0,
                goal="doel",
                target_group="groep",
                roots="wijk",
                participants="wij",
            ),
        )
        supplied = world.pledge(
            actor=world.users[company],
            contract_id=contract.id,
            need_id=None,
            block_code="purchase_social_firm",
            quantity=100_000,
            supplier=SupplierInput(
                kvk="99999991" if side == "a" else "99999992",
                name=f"Firma {side}",
                kind="social_firm",
                basis="government_list",
            ),
        )
        extra[f"recognition_{side}"] = suppliers.recognition_for(
            world.session, contract.government_id, supplied.supplier_id or 0
        )
    for side, match, company in (("a", match_a, "company_a"), ("b", match_b, "company_b")):
        report = world.act(
            reports.submit_report,
            actor=world.users[company],
            store=evidence_store,
            max_bytes=10_000_000,
            today=date(2026, 1, 15),
            data=reports.ReportInput(
                match_id=match.id or 0,
                period_start=date(2026, 1, 1),
                quantity=1,
                files=(reports.EvidenceFile("invoice", "factuur.pdf", PDF),),
            ),
        )
        extra[f"report_{side}"] = report
        extra[f"evidence_{side}"] = world.session.exec(
            select(Evidence).where(Evidence.report_id == report.id)
        ).one()
    # A settlement statement on each side: a contract of its own that ended short and was settled.
    for side, gov, table, company in (
        ("a", world.gov_a, world.table_a, world.company_a),
        ("b", world.gov_b, world.table_b, world.company_b),
    ):
        ended = Contract(
            reference=f"{side.upper()}-ENDED",
            government_id=gov.id or 0,
            company_id=company.id or 0,
            title="Afgelopen",
            sum_cents=100_000_000,
            award_date=date(2024, 1, 1),
            end_date=date(2025, 12, 31),
            table_id=table.id or 0,
            policy=TEST_POLICY.as_dict(),
            status="settlement",
        )
        world.session.add(ended)
        world.session.commit()
        extra[f"settlement_{side}"] = world.act(
            settlements.settle,
            actor=world.users[f"officer_{side}"],
            data=settlements.SettlementInput(
                contract_id=ended.id or 0, kind="financial", reason="tekort", method="invoice"
            ),
        )
    for side, company in (("a", "company_a"), ("b", "company_b")):
        extra[f"token_{side}"], _secret = world.act(
            api_tokens.create_token,
            actor=world.users[company],
            data=api_tokens.TokenInput(name=f"token {side}", scopes=("read",)),
        )
    from marketplace.services.accounts import reset_token

    with app.app_context():
        extra["reset_token"] = reset_token(world.users["company_a"])
    # A notification of company_a's (its approval) and of company_b's: read marks are the owner's alone.
    for side, company in (("a", "company_a"), ("b", "company_b")):
        extra[f"notification_{side}"] = world.session.exec(
            select(Notification).where(Notification.user_id == world.users[company].id)
        ).first()
    return world, extra


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


REFUSED, OWN, OPEN = "—", "own", "yes"
MATRIX_DOC = Path(__file__).resolve().parents[2] / "docs" / "access-matrix.md"


def expected_cell(roles: tuple[str, ...], role: str, rule: str) -> str:
    """What the rule promises this role: refused, only its own objects, or the route as it is."""
    if not _allowed(roles, role):
        return REFUSED
    if "<" in rule and PUBLIC not in roles and role not in ("admin", "anonymous"):
        return OWN
    return OPEN


def _check(
    app: Any,
    client: Any,
    world: World,
    extra: dict[str, Any],
    role: str,
    rule: str,
    method: str,
    endpoint: str,
) -> tuple[str, list[str]]:
    """Observe one cell of the matrix: what the role got, and what went wrong on the way."""
    params = _params(world, extra)
    own = _url(rule, params, "own")
    assert own is not None
    send = client.get if method == "GET" else client.post
    response = send(own)
    code = response.status_code
    api = rule.startswith("/api/")
    where = f"{role} {method} {own}"
    if (
        role == "anonymous"
        and (code == 401 if api else (code == 302 and "/login" in response.headers.get("Location", "")))
        and endpoint != "auth.login"
    ):
        return REFUSED, []
    if role != "anonymous" and code == 403:
        return REFUSED, []
    problems = []
    if code >= 500:
        problems.append(f"{where}: {code}")
    if method == "GET" and code != 200 and not (endpoint == "auth.login" and code == 302):
        problems.append(f"{where}: own side should be 200, got {code}")
    roles = access_of(app.view_functions[endpoint]) or ()
    if expected_cell(roles, role, rule) != OWN:
        return OPEN, problems
    foreign = _url(rule, params, "foreign")
    if foreign is None:
        return OPEN, problems
    code = send(foreign).status_code
    if code not in (403, 404):
        problems.append(f"{role} {method} {foreign}: another side's object gave {code}")
        return OPEN, problems
    return OWN, problems


@pytest.mark.parametrize("role", ROLES)
def test_role_route_matrix(
    app: Any, client: Any, login_as: Any, matrix_world: tuple[World, dict[str, Any]], role: str
) -> None:
    """One role against every route: each cell as observed must be the cell its access rule promises."""
    world, extra = matrix_world
    problems: list[str] = []
    wrong: list[str] = []
    for rule, method, endpoint in ROUTES:
        if role != "anonymous":
            login_as(
                world.users[USER_OF_ROLE[role]]
            )  # a POST (logout, language) may have changed the session
        observed, cell_problems = _check(app, client, world, extra, role, rule, method, endpoint)
        problems += cell_problems
        expected = expected_cell(access_of(app.view_functions[endpoint]) or (), role, rule)
        # A route without objects of another side to try (e.g. the admin's own lists) is observed as open.
        if observed != expected and not (
            expected == OWN and observed == OPEN and _url(rule, _params(world, extra), "foreign") is None
        ):
            wrong.append(f"{role} {method} {rule}: promised {expected!r}, observed {observed!r}")
    assert wrong == [], "\n".join(wrong)
    assert problems == [], "\n".join(problems)


def matrix_document(app: Any) -> str:
    """docs/access-matrix.md: every route and method, and what each role may do with it."""
    lines = [
        "# Who may call what",
        "",
        "Generated from the URL map and each route's `@access` rule by "
        "`UPDATE_ACCESS_MATRIX=1 pytest tests/views/test_access_matrix.py`; "
        "tests/views/test_access_matrix.py checks every cell against the running app.",
        "",
        f"`{OPEN}`: allowed; `{OWN}`: allowed on the role's own organisation's or government's objects only "
        f"(others answer 404); `{REFUSED}`: refused (login, 401 or 403).",
        "",
        "| method | route | " + " | ".join(ROLES) + " |",
        "|---|---|" + "---|" * len(ROLES),
    ]
    for rule, method, endpoint in ROUTES:
        roles = access_of(app.view_functions[endpoint]) or ()
        cells = [expected_cell(roles, role, rule) for role in ROLES]
        lines.append(f"| {method} | `{rule}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def test_the_access_matrix_document_is_current(app: Any) -> None:
    text = matrix_document(app)
    if os.environ.get("UPDATE_ACCESS_MATRIX"):
        MATRIX_DOC.write_text(text, encoding="utf-8")
    assert MATRIX_DOC.is_file() and MATRIX_DOC.read_text(encoding="utf-8") == text, (
        "docs/access-matrix.md is behind the routes: run UPDATE_ACCESS_MATRIX=1 pytest tests/views/test_access_matrix.py"
    )
    assert text.count("\n| ") == len(ROUTES) + 1  # the header and one row per route and method
