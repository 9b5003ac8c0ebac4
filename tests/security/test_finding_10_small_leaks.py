"""Finding 10: small leaks. /healthz says only ok/degraded (detail for admins at /admin/health); API URLs come
from SERVER_NAME or TRUSTED_HOSTS, never from the Host header; a database outage is a 503 problem on the API
and a plain page in HTML, not a 500. (The CSV formula part of finding 10 has its own module.)
"""

from typing import Any

import pytest

from marketplace import create_app
from tests.conftest import World


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


def test_public_healthz_says_only_the_status(client: Any, world: World) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    text = response.get_data(as_text=True)
    for leak in ("sqlite", "fts5", "search.sqlite3", "documents", "dialect"):
        assert leak not in text


def test_admins_see_the_detail(client: Any, login_as: Any, world: World) -> None:
    login_as(world.users["officer_a"])
    assert client.get("/admin/health").status_code == 403
    login_as(world.users["admin"])
    body = client.get("/admin/health").get_json()
    assert body["status"] == "ok" and body["database"]["dialect"] == "sqlite"
    assert body["search"]["backend"] == "fts5" and "pending_changes" in body["search"]


def test_the_host_header_is_not_reflected_into_api_urls(client: Any, world: World) -> None:
    response = client.get(f"/api/v1/initiatives/{world.ini_a.slug}", headers={"Host": "evil.example"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    url = response.get_json()["url"]
    assert "evil.example" not in url and url == f"/initiatives/{world.ini_a.slug}"


def test_api_urls_use_server_name(app_config: dict[str, Any], world: World) -> None:
    app = create_app({**app_config, "SERVER_NAME": "srx.example.nl", "PREFERRED_URL_SCHEME": "https"})
    client = app.test_client()
    response = client.get(f"/api/v1/initiatives/{world.ini_a.slug}", headers={"Host": "evil.example"})
    assert response.get_json()["url"] == f"https://srx.example.nl/initiatives/{world.ini_a.slug}"
    app.extensions["srx.engine"].dispose()


def test_trusted_hosts_refuse_any_other_host(app_config: dict[str, Any], world: World) -> None:
    app = create_app({**app_config, "TRUSTED_HOSTS": ["srx.example.nl"]})
    client = app.test_client()
    assert client.get("/", environ_overrides={"HTTP_HOST": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "srx.example.nl"}).status_code == 200
    app.extensions["srx.engine"].dispose()


@pytest.fixture
def outage_app(app: Any) -> Any:
    """The app with its database gone: the engine points at a port where nothing listens."""
    from sqlalchemy import create_engine

    app.extensions["srx.engine"].dispose()
    app.extensions["srx.engine"] = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:9/srx", connect_args={"connect_timeout": 2}
    )
    return app


def test_a_database_outage_is_a_503_problem_on_the_api(outage_app: Any) -> None:
    response = outage_app.test_client().get("/api/v1/initiatives/anything")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 503 and response.headers["Retry-After"]


def test_a_database_outage_is_a_plain_page_in_html(outage_app: Any) -> None:
    response = outage_app.test_client().get("/initiatives/anything")
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "unavailable for a moment" in response.get_data(as_text=True)
