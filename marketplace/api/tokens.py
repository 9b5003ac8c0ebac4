"""`Authorization: Bearer <token>` on /api: who calls, with which scopes, how often.

A call with the header is authenticated by the token alone (a session cookie beside it is ignored), so it
needs no CSRF token: a browser never adds the header on its own. A malformed header or an unknown or revoked
token answers 401; a call outside the token's scopes 403; more than API_RATE_LIMIT calls of one token in
API_RATE_WINDOW seconds 429 with Retry-After. The counters are rows in the database (one per token and
window), written in their own short transaction, so every worker counts the same calls and a failed request
still counts.
"""

import time
from typing import Any

from flask import current_app, g, request
from flask_babel import gettext
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from ..db import get_engine, get_session
from ..models import ApiRateCounter, ApiToken
from ..models._base import utcnow
from ..services.api_tokens import authenticate
from .problems import ApiProblem

# POST endpoints and the scopes that allow them (any one of them); every GET needs `read`. A POST that is
# not listed is refused to every token (tests/api/test_tokens.py checks each one is listed).
WRITE_SCOPES: dict[str, tuple[str, ...]] = {
    "api.valuation": ("pledge",),
    "api.create_pledge": ("pledge",),
    "api.cancel": ("pledge",),
    "api.submit_smart_plan": ("pledge",),
    "api.add_certificate": ("pledge",),
    "api.save_plan": ("pledge",),
    "api.propose_revision": ("pledge", "decide"),
    "api.approve": ("decide",),
    "api.reject": ("decide",),
    "api.request_changes": ("decide",),
    "api.complete_contract": ("decide",),
    "api.approve_smart_plan": ("decide",),
    "api.smart_plan_changes": ("decide",),
    "api.approve_revision": ("decide",),
    "api.reject_revision": ("decide",),
    "api.recognise_supplier": ("decide",),
    "api.refuse_supplier": ("decide",),
    "api.approve_plan": ("decide",),
    "api.plan_changes": ("decide",),
    "api.accept_report": ("decide",),
    "api.reject_report": ("decide",),
    "api.settle": ("decide",),
    "api.deliver": ("report",),
    "api.create_report": ("report",),
}


def bearer_secret() -> str | None:
    """The token of an `Authorization: Bearer` header on an /api path (None without such a header)."""
    header = request.headers.get("Authorization")
    if header is None or not request.path.startswith("/api/"):
        return None
    scheme, _sep, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip()


def _unauthorised(detail: str) -> ApiProblem:
    return ApiProblem(
        401, "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="srx", error="invalid_token"'}
    )


def needed_scopes(endpoint: str | None, method: str) -> tuple[str, ...]:
    if method in ("GET", "HEAD", "OPTIONS"):
        return ("read",)
    return WRITE_SCOPES.get(endpoint or "", ())


def count_call(token_id: int, *, limit: int, window: int, now: float | None = None) -> int | None:
    """Count one call of the token in the current window; the seconds to wait when it is over the limit.

    One INSERT ... ON CONFLICT DO UPDATE ... RETURNING in its own transaction: atomic under concurrency on
    SQLite and PostgreSQL alike, and committed whatever the request does next.
    """
    now = time.time() if now is None else now
    number = int(now // window)
    engine = get_engine()
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    table = ApiRateCounter.__table__  # type: ignore[attr-defined]
    stmt = (
        insert(table)
        .values(token_id=token_id, window_no=number, count=1)
        .on_conflict_do_update(index_elements=["token_id", "window_no"], set_={"count": table.c.count + 1})
        .returning(table.c.count)
    )
    with engine.begin() as conn:
        count = int(conn.execute(stmt).scalar_one())
        if count == 1:  # a new window: forget the token's older ones
            conn.execute(table.delete().where(table.c.token_id == token_id, table.c.window_no < number))
        conn.execute(update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=utcnow()))
    if count > limit:
        return max(1, int((number + 1) * window - now + 0.999))
    return None


def authenticate_bearer() -> None:
    """Before an /api view: a Bearer call becomes the token's user, within its scopes and rate."""
    secret = bearer_secret()
    if secret is None:
        if request.headers.get("Authorization") is not None:
            raise _unauthorised(gettext("Send the API token as Authorization: Bearer <token>."))
        return
    found = authenticate(get_session(), secret)
    if found is None:
        raise _unauthorised(gettext("This API token is unknown or was revoked."))
    token, user = found
    g._login_user = user  # Flask-Login's current user for this request; nothing goes into the session
    g.api_token = token
    config = current_app.config
    wait = count_call(token.id or 0, limit=config["API_RATE_LIMIT"], window=config["API_RATE_WINDOW"])
    if wait is not None:
        raise ApiProblem(
            429,
            "Too Many Requests",
            gettext(
                "This token made more than %(limit)s calls in %(window)s seconds. Wait %(wait)s seconds.",
                limit=config["API_RATE_LIMIT"],
                window=config["API_RATE_WINDOW"],
                wait=wait,
            ),
            headers={"Retry-After": str(wait)},
        )
    needed = needed_scopes(request.endpoint, request.method)
    if not any(s in token.scopes for s in needed):
        raise ApiProblem(
            403,
            "Forbidden",
            gettext(
                "This API token may not do this: it needs the scope %(scope)s.",
                scope=" or ".join(needed) or "—",
            ),
            scopes=list(needed),
        )


def is_token_call() -> Any:
    return g.get("api_token") is not None
