"""API tokens (issue 12): made and revoked at /settings/api-tokens, shown once, stored as a sha256 hash;
`Authorization: Bearer` with scopes, no CSRF, 401 for unknown or revoked tokens, a rate limit per token."""

import hashlib
import re
from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import ApiRateCounter, ApiToken, AuditEvent
from marketplace.services import api_tokens
from tests.api.conftest import hours_pledge, problem_of
from tests.conftest import World, add_user


def _token(world: World, user: str, *scopes: str, organisation: bool = False) -> tuple[ApiToken, str]:
    token, secret = world.act(
        api_tokens.create_token,
        actor=world.users[user],
        data=api_tokens.TokenInput(name=f"{user} tool", scopes=scopes, organisation=organisation),
    )
    return token, secret


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_is_made_on_the_settings_page_shown_once_and_stored_hashed(
    app: Any, world: World, client: Any, login_as: Any
) -> None:
    login_as(world.users["company_a"])
    page = client.get("/settings/api-tokens")
    assert page.status_code == 200 and "No token yet." in page.get_data(as_text=True)
    # Every error at once: no name, a scope a company cannot have.
    bad = client.post("/settings/api-tokens", data={"name": "", "scopes": ["decide"]})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and html.count('class="field-error"') + html.count("has-error") >= 2
    response = client.post("/settings/api-tokens", data={"name": "ERP", "scopes": ["read", "report"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<code[^>]*id="new-token"[^>]*>(srx_[\w-]+)</code>', html).group(1)  # type: ignore[union-attr]
    assert secret not in client.get("/settings/api-tokens").get_data(as_text=True)
    world.session.expire_all()
    token = world.session.exec(select(ApiToken)).one()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(token.model_dump()) and token.scopes == ["read", "report"]
    events = world.session.exec(select(AuditEvent).where(AuditEvent.action == "api_token.created")).all()
    assert len(events) == 1 and secret not in repr(events[0].after)

    # The token works without the cookie; its last use is shown.
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/contracts", headers=_bearer(secret)).status_code == 200
    world.session.expire_all()
    assert world.session.get(ApiToken, token.id).last_used_at is not None
    assert "never" not in client.get("/settings/api-tokens").get_data(as_text=True)

    # Revoked on the page: the next call is refused with 401, and the revocation is audited.
    assert client.post(f"/settings/api-tokens/{token.id}/revoke").status_code == 302
    problem_of(anonymous.get("/api/v1/contracts", headers=_bearer(secret)), 401)
    assert world.session.exec(select(AuditEvent).where(AuditEvent.action == "api_token.revoked")).first()
    assert client.post(f"/settings/api-tokens/{token.id}/revoke").status_code == 302  # said so, no 500


def test_unknown_or_malformed_tokens_are_401(app: Any, world: World) -> None:
    client = app.test_client()
    for header in ("Bearer srx_nope", "Bearer ", "Basic dXNlcjpwdw==", "Bearer " + "x" * 500):
        response = client.get("/api/v1/contracts", headers={"Authorization": header})
        problem_of(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_scopes_decide_what_a_token_may_do_and_token_calls_need_no_csrf(
    app: Any, world: World, client: Any, login_as: Any
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    reader_token, reader = _token(world, "company_a", "read")
    _pledger_token, pledger = _token(world, "company_a", "read", "pledge")
    url = f"/api/v1/contracts/{world.contract_a.reference}/pledges"
    api = app.test_client()
    assert api.get(url.removesuffix("/pledges"), headers=_bearer(reader)).status_code == 200
    refused = problem_of(api.post(url, json=hours_pledge(world), headers=_bearer(reader)), 403)
    assert refused["scopes"] == ["pledge"] and "pledge" in refused["detail"]
    created = api.post(url, json=hours_pledge(world), headers=_bearer(pledger))
    assert created.status_code == 201, created.get_data(as_text=True)
    match_id = created.get_json()["id"]
    # The same call on the session cookie still needs the CSRF token.
    app.config["WTF_CSRF_ENABLED"] = False
    login_as(world.users["company_a"])
    app.config["WTF_CSRF_ENABLED"] = True
    assert problem_of(client.post(url, json=hours_pledge(world)), 400)["title"] == "CSRF"
    app.config["WTF_CSRF_ENABLED"] = False
    # A token acts as its user only: the role rules and the object checks hold as for the session.
    problem_of(api.post(f"/api/v1/matches/{match_id}/approve", json={}, headers=_bearer(pledger)), 403)
    _t, decider = _token(world, "officer_a", "read", "decide")
    _t, other_gov = _token(world, "officer_b", "read", "decide")
    problem_of(api.post(f"/api/v1/matches/{match_id}/approve", json={}, headers=_bearer(other_gov)), 404)
    seen = api.get(f"/api/v1/matches/{match_id}", headers=_bearer(decider)).headers["ETag"]
    approved = api.post(
        f"/api/v1/matches/{match_id}/approve", json={}, headers={**_bearer(decider), "If-Match": seen}
    )
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    # A bearer header wins over a session cookie of someone else.
    login_as(world.users["company_b"])
    mine = client.get(f"/api/v1/contracts/{world.contract_a.reference}", headers=_bearer(reader))
    assert mine.status_code == 200 and mine.get_json()["reference"] == world.contract_a.reference
    # A role cannot give its token a scope its work does not need.
    login_as(world.users["officer_a"])
    page = client.post("/settings/api-tokens", data={"name": "x", "scopes": ["pledge"]})
    assert page.status_code == 400


def test_every_write_endpoint_has_a_scope(app: Any) -> None:
    from marketplace.api.tokens import WRITE_SCOPES

    posts = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/") and "POST" in (r.methods or ())
    }
    assert posts and posts == set(WRITE_SCOPES)


@pytest.mark.parametrize("db_kind", ["sqlite", "postgres"])  # the counters' upsert on both databases
def test_the_rate_limit_is_per_token_and_kept_in_the_database(app: Any, world: World, db_kind: str) -> None:
    app.config["API_RATE_LIMIT"] = 3
    _t, first = _token(world, "company_a", "read")
    second_token, second = _token(world, "company_a", "read")
    client = app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/contracts", headers=_bearer(first)).status_code == 200
    over = problem_of(client.get("/api/v1/contracts", headers=_bearer(first)), 429)
    response = client.get("/api/v1/contracts", headers=_bearer(first))
    assert 1 <= int(response.headers["Retry-After"]) <= 60 and "3" in over["detail"]
    # Another token has its own bucket.
    assert client.get("/api/v1/contracts", headers=_bearer(second)).status_code == 200
    world.session.expire_all()
    counts = {r.token_id: r.count for r in world.session.exec(select(ApiRateCounter)).all()}
    assert counts[second_token.id] == 1 and sorted(counts.values()) == [1, 5]
    # A new app (another worker) sees the same counters.
    from marketplace import create_app

    other = create_app({**app.config, "API_RATE_LIMIT": 3})
    problem_of(other.test_client().get("/api/v1/contracts", headers=_bearer(first)), 429)
    other.extensions["srx.engine"].dispose()


def test_organisation_tokens_are_shared_by_colleagues(
    app: Any, world: World, client: Any, login_as: Any
) -> None:
    token, secret = _token(world, "company_a", "read", organisation=True)
    _personal, _s = _token(world, "company_a", "read")
    colleague = add_user(world.session, "collega@test.nl", "company", company_id=world.company_a.id)
    world.session.commit()
    login_as(colleague)
    html = client.get("/settings/api-tokens").get_data(as_text=True)
    assert html.count("company_a tool") == 1  # the organisation's token, not the personal one
    # The maker leaves: the organisation's token goes on working, for the organisation.
    world.users["company_a"].active = False
    world.session.commit()
    assert app.test_client().get("/api/v1/contracts", headers=_bearer(secret)).status_code == 200
    login_as(world.users["company_b"])
    assert client.post(f"/settings/api-tokens/{token.id}/revoke").status_code == 404
    login_as(colleague)
    assert client.post(f"/settings/api-tokens/{token.id}/revoke").status_code == 302
    problem_of(app.test_client().get("/api/v1/contracts", headers=_bearer(secret)), 401)
