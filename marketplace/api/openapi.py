"""The OpenAPI 3.1 document of /api/v1, written by hand; request bodies come from the pydantic models.

tests/api/test_openapi.py checks that every /api route in the URL map is described here, with its
methods, and that the document is structurally sound (and valid, when openapi-spec-validator is installed).
"""

from copy import deepcopy
from functools import cache
from typing import Any

from pydantic import BaseModel

from .schemas import (
    ApproveBody,
    CancelBody,
    DeliverBody,
    PledgeBody,
    PreviewBody,
    ReasonBody,
)

REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
URL = {"type": "string", "format": "uri"}
CENTS = {"type": "integer", "description": "Euro cents."}


def _object(properties: dict[str, Any], required: list[str] | None = None, **kw: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        **kw,
    }


ORG_REF = _object({"slug": STR, "name": STR})

SCHEMAS: dict[str, Any] = {
    "Problem": _object(
        {
            "type": {**STR, "description": "about:blank"},
            "title": STR,
            "status": INT,
            "detail": {**STR, "description": "What went wrong, in the caller's language."},
            "field": {**STR, "description": "The request field to blame (validation errors)."},
            "errors": {"type": "array", "items": _object({"field": STR, "detail": STR})},
            "match_id": {**INT, "description": "On 409 for a duplicate pledge: the match already stored."},
        },
        required=["type", "title", "status", "detail"],
        description="RFC 9457 problem details.",
    ),
    "Totals": _object(
        {
            "obligation_cents": CENTS,
            "committed_cents": CENTS,
            "pending_cents": CENTS,
            "realised_cents": CENTS,
            "remaining_cents": CENTS,
            "small_contract": BOOL,
            "obligation_state": {"enum": ["amount", "small", "none", "incomplete"]},
            "obligation_missing": {
                **_nullable(STR),
                "description": "What an officer must complete (incomplete).",
            },
            "obligation_steps": {
                "type": "array",
                "items": _object({"code": STR, "params": {"type": "object"}}),
            },
            "activities_required": INT,
            "activities_committed": INT,
        }
    ),
    "Contract": {
        "allOf": [
            _ref("Totals"),
            _object(
                {
                    "reference": STR,
                    "title": STR,
                    "government": ORG_REF,
                    "company": _object({"slug": STR, "name": STR, "kvk": STR}),
                    "sum_cents": CENTS,
                    "award_date": DATE,
                    "end_date": DATE,
                    "url": URL,
                }
            ),
        ]
    },
    "ContractPage": _object(
        {"items": {"type": "array", "items": _ref("Contract")}, "total": INT, "page": INT, "per_page": INT}
    ),
    "BuildingBlock": _object(
        {
            "code": STR,
            "route": STR,
            "label": STR,
            "unit": STR,
            "value_cents": _nullable(INT),
            "percentage_bp": _nullable(INT),
            "max_months": _nullable(INT),
            "target_group": _nullable(STR),
            "label_en": STR,
            "at_most": BOOL,
            "conditions": {"type": "object"},
        }
    ),
    "ValuationTable": _object(
        {
            "version": INT,
            "name": STR,
            "assumption": _nullable(STR),
            "effective_from": DATE,
            "effective_to": _nullable(DATE),
            "source": STR,
            "blocks": {"type": "array", "items": _ref("BuildingBlock")},
        },
        required=["version", "name", "assumption", "effective_from", "effective_to", "source"],
    ),
    "ContractDetail": {
        "allOf": [
            _ref("Contract"),
            _object(
                {
                    "labour_component_cents": _nullable(INT),
                    "kind": {"enum": ["works", "services", "supplies"]},
                    "policy": {
                        "type": "object",
                        "description": "The whole policy frozen at award "
                        "(percentage_bp, thresholds, cap, basis, small-contract rule, PSO discounts, routes).",
                    },
                    "policy_version": INT,
                    "valuation_table": _ref("ValuationTable"),
                    "matches": {"type": "array", "items": _ref("Match")},
                }
            ),
        ]
    },
    "BreakdownLine": _object(
        {
            "kind": {
                "enum": [
                    "base",
                    "bonus",
                    "cap",
                    "percentage",
                    "agreement",
                    "certificate",
                    "at_most",
                    "revised_zero",
                ]
            },
            "label": STR,
            "value_cents": CENTS,
            "params": {"type": "object"},
            "text": {**STR, "description": "The line in words, in the caller's language."},
        }
    ),
    "Match": _object(
        {
            "id": INT,
            "contract": {**STR, "description": "Contract reference."},
            "government": ORG_REF,
            "company": ORG_REF,
            "status": {
                "enum": ["proposed", "approved", "rejected", "changes_requested", "delivered", "cancelled"]
            },
            "block": _object({"code": STR, "label": STR, "unit": STR, "route": STR}),
            "initiative": _nullable(_object({"slug": STR, "name": STR, "kind": STR})),
            "need": _nullable(_object({"id": INT, "reference": STR, "title": STR, "unit": STR})),
            "placement": _nullable(_ref("Placement")),
            "supplier": _nullable(
                _object(
                    {"kvk": STR, "name": STR, "kind": STR}, description="A supplier outside the catalogue."
                )
            ),
            "certificate_id": _nullable(INT),
            "smart_plan_id": _nullable(INT),
            "quantity": INT,
            "hours_per_week": _nullable(INT),
            "months": _nullable(INT),
            "weeks": _nullable(INT),
            "bonuses": {"type": "array", "items": STR},
            "value_cents": CENTS,
            "table_version": _nullable(INT),
            "note": STR,
            "officer_reason": STR,
            "delivered_note": STR,
            "delivered_at": _nullable(DATETIME),
            "created_at": DATETIME,
            "updated_at": DATETIME,
            "version": INT,
            "url": URL,
        }
    ),
    "AuditEvent": _object(
        {
            "at": DATETIME,
            "action": STR,
            "reason": STR,
            "actor": _nullable(_object({"name": STR, "role": STR})),
            "before": _nullable({"type": "object"}),
            "after": _nullable({"type": "object"}),
        }
    ),
    "MatchDetail": {
        "allOf": [
            _ref("Match"),
            _object(
                {
                    "breakdown": {"type": "array", "items": _ref("BreakdownLine")},
                    "valuation_table": _nullable(_ref("ValuationTable")),
                    "history": {"type": "array", "items": _ref("AuditEvent")},
                }
            ),
        ]
    },
    "Valuation": _object(
        {
            "value_cents": CENTS,
            "lines": {"type": "array", "items": _ref("BreakdownLine")},
            "table": _object({"version": INT, "name": STR}),
            "block": _ref("BuildingBlock"),
            "need": _object({"id": INT, "open_quantity": INT, "unit": STR}),
            "warning": {"enum": ["above_capacity"]},
        },
        required=["value_cents", "lines", "table", "block"],
    ),
    "SearchHit": _object(
        {
            "id": {**STR, "description": "initiative:<id> or need:<id>"},
            "type": {"enum": ["initiative", "need"]},
            "title": STR,
            "highlights": _object(
                {"title": STR, "text": STR},
                required=[],
                description="HTML-escaped; matched words in <mark>...</mark>.",
            ),
            "score": {"type": "number"},
            "municipality": STR,
            "themes": {"type": "array", "items": STR},
            "kind": {**STR, "description": "Initiative kind: initiative, social_firm or sw_company."},
            "need_kinds": {"type": "array", "items": STR},
            "target_groups": {"type": "array", "items": STR},
            "deadline": _nullable(DATE),
            "distance_km": _nullable({"type": "number"}),
            "url": _nullable({**URL, "description": "The initiative's public page."}),
            "need": _object({"id": INT, "reference": STR, "unit": STR, "initiative": STR}),
        },
        required=[
            "id",
            "type",
            "title",
            "highlights",
            "score",
            "municipality",
            "themes",
            "kind",
            "need_kinds",
            "deadline",
            "url",
        ],
    ),
    "SearchResult": _object(
        {
            "hits": {"type": "array", "items": _ref("SearchHit")},
            "total": INT,
            "page": INT,
            "per_page": INT,
            "facets": {
                "type": "object",
                "description": "Per facet, the count of each value for this query.",
                "additionalProperties": {"type": "object", "additionalProperties": INT},
            },
            "backend": STR,
        }
    ),
    "Initiative": _object(
        {
            "slug": STR,
            "name": STR,
            "kind": STR,
            "summary": STR,
            "description": STR,
            "municipality": STR,
            "neighbourhood": STR,
            "life_phase": STR,
            "website": _nullable(STR),
            "target_groups": {"type": "array", "items": STR},
            "handprint": {
                "type": "array",
                "items": _object({"theme": STR, "score": INT, "indicator": STR}),
                "description": "Scores 0-100 per theme; the yearly impact value is private.",
            },
            "needs": {
                "type": "array",
                "items": _object(
                    {
                        "id": INT,
                        "reference": STR,
                        "kind": STR,
                        "title": STR,
                        "description": STR,
                        "themes": {"type": "array", "items": STR},
                        "quantity": INT,
                        "unit": STR,
                        "open_quantity": INT,
                        "deadline": _nullable(DATE),
                    }
                ),
            },
            "eligible_for": {"type": "array", "items": ORG_REF},
            "url": URL,
        }
    ),
}

PLACEMENT = {
    "person_key_prefix": _nullable(
        {
            **STR,
            "description": "The first characters of the person's pseudonymous key (null once the details are "
            "deleted). No reference, name or BSN is ever returned.",
        }
    ),
    "target_group": STR,
    "proof_kind": STR,
    "employment": STR,
    "start_date": DATE,
    "end_date": DATE,
    "hours_per_week": INT,
}


def _page(item: str) -> dict[str, Any]:
    return _object(
        {"items": {"type": "array", "items": _ref(item)}, "total": INT, "page": INT, "per_page": INT}
    )


SCHEMAS.update(
    {
        "Placement": _object(PLACEMENT, description="A placed person, pseudonymous."),
        "RegisterRow": _object(
            {
                **PLACEMENT,
                "match_id": INT,
                "block": {**STR, "description": "Building-block code."},
                "value_cents": CENTS,
                "status": {**STR, "description": "The match's status."},
                "url": URL,
            }
        ),
        "RegisterPage": _page("RegisterRow"),
    }
)


BODIES: dict[str, type[BaseModel]] = {
    "PledgeBody": PledgeBody,
    "PreviewBody": PreviewBody,
    "CancelBody": CancelBody,
    "ApproveBody": ApproveBody,
    "ReasonBody": ReasonBody,
    "DeliverBody": DeliverBody,
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": _ref("Problem")}}}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _body(model: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": _ref(model)}}}


P_REFERENCE = {
    "name": "reference",
    "in": "path",
    "required": True,
    "schema": STR,
    "description": "Contract reference.",
}
P_MATCH = {"name": "match_id", "in": "path", "required": True, "schema": {**INT, "minimum": 1}}
P_PAGE = [
    {"name": "page", "in": "query", "schema": {**INT, "minimum": 1, "default": 1}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {**INT, "minimum": 1, "maximum": 100, "default": 20},
        "description": "Larger values are clamped to 100.",
    },
]
AUTH: list[dict[str, list[str]]] = [{"session": []}]
READ_ERRORS = {
    "400": _problem("A query argument is not a whole number."),
    "401": _problem("Not logged in."),
    "403": _problem("The caller's role may not use this."),
}
WRITE_ERRORS = {
    "400": _problem("Not a JSON object, or the CSRF token is missing or wrong (title 'CSRF')."),
    "401": _problem("Not logged in."),
    "403": _problem("The caller's role may not do this."),
    "404": _problem("The object does not exist or is not the caller's."),
    "409": _problem("The match is not in a state that allows this, or someone changed it first."),
    "413": _problem("The body is larger than 64 KiB."),
    "415": _problem("A body was sent without Content-Type: application/json."),
    "422": _problem("A field is invalid: `field` names it, `detail` says why in the caller's language."),
}


def _action(summary: str, roles: str, body: str, body_required: bool = False) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "description": f"Who: {roles}.",
            "security": AUTH,
            "parameters": [P_MATCH],
            "requestBody": _body(body, body_required),
            "responses": {"200": _json("MatchDetail", "The match after the change."), **WRITE_ERRORS},
        }
    }


def _get(
    summary: str, roles: str, parameters: list[dict[str, Any]], schema: str, what: str
) -> dict[str, Any]:
    responses = {"200": _json(schema, what), **READ_ERRORS}
    if any(p["in"] == "path" for p in parameters):
        responses["404"] = _problem("No such object, or not the caller's to see.")
    return {
        "get": {
            "summary": summary,
            "description": f"Who: {roles}.",
            "security": AUTH,
            "parameters": parameters + P_PAGE,
            "responses": responses,
        }
    }


PARTIES = "the contract's company and its government's officers"

COUNTING_PATHS: dict[str, Any] = {
    "/api/v1/contracts/{reference}/placements": _get(
        "The contract's register of placed people.",
        PARTIES + ". Each person by a prefix of the pseudonymous key: no reference, name or BSN",
        [P_REFERENCE],
        "RegisterPage",
        "One page of placements, by start date.",
    ),
}


SEARCH_PARAMS = [
    {
        "name": "q",
        "in": "query",
        "schema": {**STR, "maxLength": 500},
        "description": "Free text; typos and partial words are tolerated.",
    },
    *[
        {
            "name": name,
            "in": "query",
            "schema": {"type": "array", "items": STR},
            "style": "form",
            "explode": True,
            "description": description,
        }
        for name, description in [
            ("theme", "Theme code (werk, armoedebestrijding, ...)."),
            ("municipality", "Municipality name."),
            ("kind", "Initiative kind: initiative, social_firm, sw_company."),
            ("need_kind", "Kind of open need: money, hours, expertise, goods, internship, job, purchase."),
            ("target_group", "Target-group code."),
            ("government", "Slug of a government the initiative counts for."),
            ("type", "initiative or need."),
        ]
    ],
    {"name": "sort", "in": "query", "schema": {"enum": ["relevance", "deadline", "distance"]}},
    {
        "name": "near",
        "in": "query",
        "schema": STR,
        "description": "With sort=distance: a municipality of a government, to sort by distance from.",
    },
    *P_PAGE,
]

PATHS: dict[str, Any] = {
    "/api/openapi.json": {
        "get": {
            "summary": "This document.",
            "security": [],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
    "/api/v1/contracts": {
        "get": {
            "summary": "The caller's contracts with their totals.",
            "description": "Company: its own; officer: its government's; admin: all; initiative: 403.",
            "security": AUTH,
            "parameters": P_PAGE,
            "responses": {
                "200": _json("ContractPage", "One page of contracts, newest award first."),
                **READ_ERRORS,
            },
        }
    },
    "/api/v1/contracts/{reference}": {
        "get": {
            "summary": "One contract: totals, frozen policy, valuation table with its blocks, and its matches.",
            "security": AUTH,
            "parameters": [P_REFERENCE],
            "responses": {
                "200": _json("ContractDetail", "The contract."),
                "404": _problem("No such contract, or not the caller's to see."),
                **READ_ERRORS,
            },
        }
    },
    "/api/v1/contracts/{reference}/recommendations": {
        "get": {
            "summary": "Recommended open needs and social firms for the contract's remaining obligation.",
            "description": "Who: the contract's company and its government's officers. Each item has a score "
            "(0-1), the features, and reasons in the caller's language.",
            "security": AUTH,
            "parameters": [
                P_REFERENCE,
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50}},
                {"name": "q", "in": "query", "schema": STR, "description": "Words to narrow the candidates."},
                {"name": "theme", "in": "query", "schema": STR},
                {"name": "need_kind", "in": "query", "schema": STR},
            ],
            "responses": {
                "200": {
                    "description": "Ranked recommendations",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "404": _problem("No such contract, or not the caller's to see."),
                **READ_ERRORS,
            },
        }
    },
    "/api/v1/contracts/{reference}/valuation": {
        "post": {
            "summary": "Value a pledge without storing it.",
            "description": "Who: the contract's company. `quantity` is in cents for money blocks; person blocks "
            "take a `placement`, whose bonuses follow from the person.",
            "security": AUTH,
            "parameters": [P_REFERENCE],
            "requestBody": _body("PreviewBody"),
            "responses": {
                "200": _json("Valuation", "The value, line by line, from the contract's frozen table."),
                **WRITE_ERRORS,
            },
        }
    },
    "/api/v1/contracts/{reference}/pledges": {
        "post": {
            "summary": "Pledge: create a proposed match.",
            "description": "Who: the contract's company. The value is frozen now from the contract's table "
            "version. A person block registers its placement: `placement.person_reference` becomes a "
            "pseudonymous key at once and is never stored or returned; a person counts once per month "
            "across all contracts.",
            "security": AUTH,
            "parameters": [
                P_REFERENCE,
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "schema": {**STR, "maxLength": 200},
                    "description": "Repeat a request safely: a second pledge with the same key answers 409 with "
                    "`match_id` of the first, and nothing new is stored.",
                },
            ],
            "requestBody": _body("PledgeBody"),
            "responses": {
                "201": {
                    **_json("MatchDetail", "The new match."),
                    "headers": {"Location": {"schema": STR, "description": "The match's URL."}},
                },
                **WRITE_ERRORS,
            },
        }
    },
    "/api/v1/matches/{match_id}": {
        "get": {
            "summary": "One match with its breakdown and history.",
            "description": "Visible to its company, its government's officers, the initiative it goes to, and admins.",
            "security": AUTH,
            "parameters": [P_MATCH],
            "responses": {
                "200": _json("MatchDetail", "The match."),
                "404": _problem("No such match, or not the caller's to see."),
                **READ_ERRORS,
            },
        }
    },
    "/api/v1/matches/{match_id}/cancel": _action(
        "Withdraw a pledge that is still open.", "the company", "CancelBody"
    ),
    "/api/v1/matches/{match_id}/approve": _action(
        "Approve a proposed match; it then counts toward the obligation.",
        "an officer of the contract's government",
        "ApproveBody",
    ),
    "/api/v1/matches/{match_id}/reject": _action(
        "Reject a proposed match (reason required).",
        "an officer of the contract's government",
        "ReasonBody",
        True,
    ),
    "/api/v1/matches/{match_id}/changes": _action(
        "Ask the company to change a proposed match (reason required).",
        "an officer of the contract's government",
        "ReasonBody",
        True,
    ),
    "/api/v1/matches/{match_id}/deliver": _action(
        "Confirm an approved contribution was received.",
        "the initiative it goes to; for hiring without an initiative, the company",
        "DeliverBody",
    ),
    "/api/v1/search": {
        "get": {
            "summary": "Search initiatives and open needs, with facet counts.",
            "security": [],
            "parameters": SEARCH_PARAMS,
            "responses": {
                "200": _json("SearchResult", "One page of hits and the facet counts."),
                "400": _problem("page or per_page is not a whole number."),
                "503": {
                    **_problem("The search index is unavailable; try again later."),
                    "headers": {"Retry-After": {"schema": INT}},
                },
            },
        }
    },
    "/api/v1/initiatives/{slug}": {
        "get": {
            "summary": "An initiative's public profile, handprint scores and open needs.",
            "security": [],
            "parameters": [{"name": "slug", "in": "path", "required": True, "schema": STR}],
            "responses": {
                "200": _json("Initiative", "The profile."),
                "404": _problem("No such published initiative."),
            },
        }
    },
}


@cache
def _document() -> dict[str, Any]:
    schemas = dict(SCHEMAS)
    for name, model in BODIES.items():
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))  # nested bodies (PlacementBody, SupplierBody) as components
        schemas[name] = schema
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SRX API",
            "version": "1.0.0",
            "description": (
                "The Social Return Exchange JSON API. Log in through the web login; the session cookie "
                "authenticates API calls. Every POST carries the CSRF token (the page's "
                '<meta name="csrf-token">) in the X-CSRFToken header. Money is in euro cents. '
                "Errors are RFC 9457 problem documents."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": {**PATHS, **COUNTING_PATHS},
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The web session cookie, set by POST /login.",
                }
            },
        },
    }


def document() -> dict[str, Any]:
    return deepcopy(_document())
