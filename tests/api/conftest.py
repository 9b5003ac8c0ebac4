"""Helpers for the JSON API tests."""

from typing import Any

import pytest

from tests.conftest import World


def problem_of(response: Any, status: int) -> dict[str, Any]:
    """Assert a problem+json answer with this status and return its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.content_type == "application/problem+json", response.content_type
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status and body["title"] and isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.fixture
def api(client: Any) -> Any:
    """The test client, with a JSON post helper."""

    class Api:
        def get(self, url: str, **kw: Any) -> Any:
            return client.get(url, **kw)

        def post(self, url: str, body: Any = None, **kw: Any) -> Any:
            if body is None:
                return client.post(url, **kw)
            return client.post(url, json=body, **kw)

        def decide(self, url: str, body: Any = None) -> Any:
            """An officer decision as a client makes it: GET the pledge, send its ETag back in If-Match."""
            match_url = url.rsplit("/", 1)[0]
            etag = client.get(match_url).headers.get("ETag")
            return self.post(url, body, headers={"If-Match": etag} if etag else {})

    return Api()


def contract_totals(api: Any, reference: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/contracts/{reference}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def hours_pledge(world: World, quantity: int = 10) -> dict[str, Any]:
    return {"block": "employee_hour", "quantity": quantity, "need_id": world.need_hours.id}


def placement_body(reference: str = "P-001", **fields: Any) -> dict[str, Any]:
    """A placement as the API takes it (default: Participatiewet, full time, 12 months from April 2025)."""
    return {
        "person_reference": reference,
        "target_group": "participatiewet",
        "proof_kind": "benefit_letter",
        "employment": "temporary",
        "start_date": "2025-04-01",
        "end_date": "2026-03-31",
        "hours_per_week": 36,
        **fields,
    }
