"""Finding 11: what schemathesis found against the OpenAPI document. 405 carries Allow; per_page=0 and other
values outside the documented range are refused (400), not clamped; a repeated single-valued argument is
refused; the document states the maxima; an anonymous API POST gets 401, not the CSRF 400.
"""

from typing import Any

import pytest

from marketplace import create_app
from marketplace.api.schemas import MAX_PAGE, MAX_PER_PAGE
from tests.conftest import World


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


def test_405_carries_allow(client: Any, world: World) -> None:
    for path in ("/api/v1/search", "/catalogue", "/logout"):
        response = client.put(path)
        assert response.status_code == 405
        allowed = {m.strip() for m in response.headers["Allow"].split(",")}
        assert allowed and "PUT" not in allowed, path
    assert client.delete("/api/v1/search").headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "query",
    [
        "per_page=0",
        "per_page=101",
        "page=0",
        f"page={MAX_PAGE + 1}",
        "page=1&page=2",
        "sort=deadline&sort=relevance",
    ],
)
def test_out_of_range_and_repeated_arguments_are_refused(client: Any, world: World, query: str) -> None:
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["field"] in ("page", "per_page", "sort")


def test_the_limits_still_work(client: Any, world: World) -> None:
    assert client.get(f"/api/v1/search?per_page={MAX_PER_PAGE}&page=1").status_code == 200


def test_the_document_states_the_maxima(client: Any) -> None:
    spec = client.get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert params["page"]["schema"]["maximum"] == MAX_PAGE
    assert (
        params["per_page"]["schema"]["minimum"] == 1
        and params["per_page"]["schema"]["maximum"] == MAX_PER_PAGE
    )


def test_an_anonymous_api_post_gets_401_not_the_csrf_400(app_config: dict[str, Any], world: World) -> None:
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    response = client.post(f"/api/v1/matches/{1}/approve", json={})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    response = client.post(f"/api/v1/contracts/{world.contract_a.reference}/pledges", json={})
    assert response.status_code == 401
    app.extensions["srx.engine"].dispose()
