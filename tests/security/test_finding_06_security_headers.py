"""Finding 6: security headers on every response, and a CSP that needs no 'unsafe-inline'.

The walk opens every GET page of the matrix world (objects of every kind) as every role and checks that the
HTML has no inline script, no <style> block, no style="" attribute and no inline event handler, so the
policy `script-src 'self'; style-src 'self'` blocks nothing SRX itself sends. The browser tests
(tests/browser) run the pages under this policy.
"""

import re
from typing import Any

import pytest

from marketplace import create_app
from marketplace.authz import access_of
from marketplace.headers import CSP
from tests.conftest import World
from tests.views.test_access_matrix import ROLES, ROUTES, USER_OF_ROLE, _allowed, _params, _url

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_BLOCK = re.compile(r"<style\b", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


def _inline(html: str) -> list[str]:
    found = []
    for name, pattern in (
        ("inline <script>", INLINE_SCRIPT),
        ("<style> block", STYLE_BLOCK),
        ('style="" attribute', STYLE_ATTRIBUTE),
        ("inline event handler", EVENT_HANDLER),
    ):
        for match in pattern.finditer(html):
            found.append(f"{name}: {html[match.start() : match.start() + 80]!r}")
    return found


def test_the_policy_allows_nothing_inline() -> None:
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert "script-src 'self'" in CSP and "style-src 'self'" in CSP and "frame-ancestors 'none'" in CSP


@pytest.mark.parametrize("role", ROLES)
def test_no_page_has_inline_script_or_style(
    app: Any, client: Any, login_as: Any, matrix_world: tuple[World, dict[str, Any]], role: str
) -> None:
    world, extra = matrix_world
    params = _params(world, extra)
    problems: list[str] = []
    pages = 0
    for rule, method, endpoint in ROUTES:
        if method != "GET" or not _allowed(access_of(app.view_functions[endpoint]) or (), role):
            continue
        url = _url(rule, params, "own")
        if url is None:
            continue
        if role != "anonymous":
            login_as(world.users[USER_OF_ROLE[role]])
        response = client.get(url)
        # Every answer has a policy without 'unsafe-inline' (evidence downloads have a stricter one of their own).
        policy = response.headers.get("Content-Security-Policy", "")
        assert "default-src" in policy and "unsafe-inline" not in policy, url
        if response.mimetype != "text/html":
            continue
        pages += 1
        problems += [f"{url}: {p}" for p in _inline(response.get_data(as_text=True))]
    assert pages > 0
    assert problems == [], "\n".join(problems[:40])


@pytest.mark.parametrize(
    "path", ["/", "/catalogue", "/login", "/nowhere", "/api/v1/contracts", "/static/srx.css"]
)
def test_every_response_carries_the_headers(client: Any, path: str) -> None:
    headers = client.get(path).headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Server"] == "SRX"  # no Werkzeug/x.y Python/z
    assert "Strict-Transport-Security" not in headers  # plain HTTP (the demo): no HSTS


def test_hsts_when_the_cookies_are_secure(app_config: dict[str, Any]) -> None:
    app = create_app({**app_config, "SESSION_COOKIE_SECURE": True})
    response = app.test_client().get("/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    app.extensions["srx.engine"].dispose()
