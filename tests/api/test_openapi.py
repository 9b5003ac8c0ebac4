"""The OpenAPI document describes every /api route in the URL map, and is a sound OpenAPI 3.1 document."""

import re
from typing import Any

import pytest

REF = re.compile(r"^#/components/schemas/(\w+)$")
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def _openapi_path(rule: str) -> str:
    """Werkzeug's /matches/<int:match_id> as OpenAPI's /matches/{match_id}."""
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule)


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value)
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


@pytest.fixture
def doc(client: Any) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.is_json
    body: dict[str, Any] = response.get_json()
    return body


def test_every_api_route_is_documented_with_its_methods(app: Any, doc: dict[str, Any]) -> None:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            methods = {m.lower() for m in rule.methods or ()} & HTTP_METHODS
            routes.setdefault(_openapi_path(rule.rule), set()).update(methods)
    assert any(path.startswith("/api/v1/") for path in routes)
    documented = {path: set(ops) & HTTP_METHODS for path, ops in doc["paths"].items()}
    assert documented == routes


def test_document_is_structurally_sound(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] and doc["info"]["version"]
    schemas = doc["components"]["schemas"]
    assert {"Problem", "Contract", "Match", "SearchResult"} <= set(schemas)
    for ref in _refs(doc):
        match = REF.match(ref)
        assert match and match.group(1) in schemas, f"dangling $ref {ref}"
    for path, ops in doc["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, op in ops.items():
            assert method in HTTP_METHODS
            assert op["responses"] and op["summary"], (path, method)
            assert all(code.isdigit() for code in op["responses"])
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (path, method)
            for p in op.get("parameters", []):
                if p["in"] == "path":
                    assert p["required"] is True
            if method == "post":
                assert "requestBody" in op
                assert any(
                    code.startswith("4") and "problem+json" in str(r) for code, r in op["responses"].items()
                )
            if op.get("security"):
                assert set(op["security"][0]) <= set(doc["components"]["securitySchemes"])


def test_document_validates_when_the_validator_is_installed(doc: dict[str, Any]) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(doc)


def test_initiative_contact_is_documented_as_optional_fields(doc: dict[str, Any]) -> None:
    contact = doc["components"]["schemas"]["Initiative"]["properties"]["contact"]
    assert set(contact["properties"]) == {"website", "email", "phone", "name"}
    assert contact["required"] == [] and contact["additionalProperties"] is False
