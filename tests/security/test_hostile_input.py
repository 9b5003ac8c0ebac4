"""The hostile-input suite: every route, every form field and every API body, as every role, with unicode
digits, huge ids, NUL bytes, 100 kB strings, script tags and SQL fragments. No answer may be a 5xx.

Generated from the URL map (like tests/views/test_access_matrix.py) and from the forms on the pages each role
can open, so a new route or a new field is covered without editing this file. Runs on SQLite and, when
TEST_DATABASE_URL is set, on PostgreSQL. See tests/security/hostile.py for what is sent (and what is sampled).
"""

import re
import time
from typing import Any
from urllib.parse import quote

import pytest
from werkzeug.security import generate_password_hash

from marketplace.authz import access_of
from tests.conftest import FAST_HASH, PASSWORD, World
from tests.security.hostile import (
    QUERY_ARGS,
    VALUES,
    api_body_requests,
    body_properties,
    form_requests,
    forms_of,
    hostile_urls,
)
from tests.views.test_access_matrix import (
    ROLES,
    ROUTES,
    USER_OF_ROLE,
    _allowed,
    _params,
)

STATS: dict[str, int] = {}

# A hostile value can be a valid new password (a 100 kB string, a script tag): these forms really change it.
# After a POST to one of them the role's password is put back, so the suite can log in again.
PASSWORD_RULES = ("/password/reset/<token>", "/account/password")


def _restore_password(world: World, role: str) -> None:
    user = world.users[USER_OF_ROLE[role]]
    world.session.refresh(user)
    user.password_hash = generate_password_hash(PASSWORD, method=FAST_HASH)
    world.session.commit()


def _own_url(rule: str, own: dict[str, Any]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: quote(str(own[m.group(1)]), safe=""), rule)


def _requests_for(app: Any, client: Any, role: str, own: dict[str, Any], spec: dict[str, Any]) -> Any:
    """(rule, request) pairs for one role; forms come from the role's own pages, fetched as it goes."""
    seen_forms: set[tuple[str, str, tuple[str, ...]]] = set()
    for rule, method, endpoint in ROUTES:
        roles = access_of(app.view_functions[endpoint]) or ()
        allowed = _allowed(roles, role)
        urls = list(hostile_urls(rule, own))
        if not allowed:  # refused before anything reads the input: one probe is enough
            urls = urls[:1] or [(_own_url(rule, own), "refused")]
        for url, label in urls:
            yield rule, (method, url, {}, label)
        if not allowed:
            continue
        url = _own_url(rule, own)
        if method == "GET":
            for label, value in VALUES.items():
                yield rule, (method, url, {"query_string": dict.fromkeys(QUERY_ARGS, value)}, f"args={label}")
            page = client.get(url)
            if page.status_code == 200 and page.mimetype == "text/html":
                for form in forms_of(url, page.get_data(as_text=True)):
                    key = (form["method"], form["action"].split("?")[0], tuple(sorted(form["fields"])))
                    if key in seen_forms:
                        continue
                    seen_forms.add(key)
                    for req in form_requests(form):
                        yield rule, req
        elif rule.startswith("/api/"):
            for req in api_body_requests(url, body_properties(spec, rule)):
                yield rule, req
        else:  # a POST route: its form is found on the page that shows it; this is the empty and junk post
            yield rule, (method, url, {"data": dict.fromkeys(QUERY_ARGS, VALUES["NUL byte"])}, "junk form")


@pytest.mark.parametrize("role", ROLES)
def test_no_hostile_request_gets_a_5xx(
    app: Any,
    client: Any,
    login_as: Any,
    matrix_world: tuple[World, dict[str, Any]],
    role: str,
    db_kind: str,
) -> None:
    world, extra = matrix_world
    own = {name: sides["own"] for name, sides in _params(world, extra).items()}
    with app.test_request_context():
        from marketplace.api.openapi import document

        spec = document()
    started = time.monotonic()
    failures: list[str] = []
    sent = 0
    current_rule = None
    logged_in = False
    for rule, (method, url, kwargs, label) in _requests_for(app, client, role, own, spec):
        if rule != current_rule:
            current_rule = rule
            if role != "anonymous" and not logged_in:
                login_as(world.users[USER_OF_ROLE[role]])
                logged_in = True
        if method == "POST":
            logged_in = False  # a hostile POST may have logged out: log in again at the next route
        send = client.get if method == "GET" else client.post
        response = send(url, **kwargs)
        sent += 1
        if method == "POST" and rule in PASSWORD_RULES and role != "anonymous":
            _restore_password(world, role)
        if response.status_code >= 500:
            failures.append(f"{role} {method} {url[:90]} [{label}]: {response.status_code}")
    STATS[f"{db_kind}/{role}"] = sent
    print(
        f"\n{db_kind} {role}: {sent} hostile requests, {len(failures)} 5xx, {time.monotonic() - started:.1f} s"
    )
    assert failures == [], f"{len(failures)} of {sent} requests got a 5xx:\n" + "\n".join(failures[:60])
