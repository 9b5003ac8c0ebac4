"""The OpenAPI 3.1 document of /api/v1, written by hand; request bodies come from the pydantic models.

tests/api/test_openapi.py checks that every /api route in the URL map is described here, with its
methods, and that the document is structurally sound (and valid, when openapi-spec-validator is installed).
"""

from copy import deepcopy
from functools import cache
from typing import Any

from pydantic import BaseModel

from .schemas import (
    MAX_PAGE,
    MAX_PER_PAGE,
    ApproveBody,
    CancelBody,
    CertificateBody,
    CompletionBody,
    DeliverBody,
    PledgeBody,
    PreviewBody,
    ReasonBody,
    RemarkBody,
    RevisionBody,
    SmartPlanBody,
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
            "contact": _object(
                {
                    "website": URL,
                    "email": {"type": "string", "format": "email"},
                    "phone": {
                        "type": "string",
                        "description": "As the initiative wrote it (a Dutch number).",
                    },
                    "name": {"type": "string", "description": "A contact person or role line."},
                },
                required=[],
                additionalProperties=False,
                description="The contact details the initiative published; an unpublished one is absent.",
            ),
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
REVISION_STATUSES = {"enum": ["proposed", "approved", "rejected"]}


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
        "Revision": _object(
            {
                "id": INT,
                "match_id": INT,
                "kind": {"enum": ["ended_early", "invoiced_lower", "did_not_happen", "other"]},
                "reason": STR,
                "status": REVISION_STATUSES,
                "old_value_cents": CENTS,
                "new_value_cents": CENTS,
                "new_end_date": _nullable(DATE),
                "new_quantity": _nullable(INT),
                "breakdown": {"type": "array", "items": _ref("BreakdownLine")},
                "decision_reason": STR,
                "created_at": DATETIME,
                "decided_at": _nullable(DATETIME),
                "match_url": URL,
            }
        ),
        "RevisionPage": _page("Revision"),
        "Certificate": _object(
            {"id": INT, "level": STR, "number": STR, "issued_on": DATE, "valid_until": DATE}
        ),
        "CertificatePage": _page("Certificate"),
        "SupplierRecognition": _object(
            {
                "id": {**INT, "description": "The recognition's id (recognition_id)."},
                "supplier": _object({"kvk": STR, "name": STR, "kind": STR, "city": STR}),
                "basis": STR,
                "evidence": STR,
                "status": {"enum": ["pending", "recognised", "refused"]},
                "note": {**STR, "description": "The officer's reason."},
                "pledges": {**INT, "description": "Pledges of the government's contracts that name it."},
                "decided_at": _nullable(DATETIME),
                "version": INT,
            }
        ),
        "SupplierPage": _page("SupplierRecognition"),
        "SmartPlan": _object(
            {
                "id": INT,
                "contract": {**STR, "description": "Contract reference."},
                "initiative": _object({"id": INT, "slug": STR, "name": STR}),
                "goal": STR,
                "target_group": STR,
                "roots": STR,
                "participants": STR,
                "status": {"enum": ["submitted", "approved", "changes_requested"]},
                "officer_reason": STR,
                "created_at": DATETIME,
                "decided_at": _nullable(DATETIME),
                "version": INT,
            }
        ),
        "SmartPlanPage": _page("SmartPlan"),
    }
)


BODIES: dict[str, type[BaseModel]] = {
    "PledgeBody": PledgeBody,
    "PreviewBody": PreviewBody,
    "CancelBody": CancelBody,
    "ApproveBody": ApproveBody,
    "ReasonBody": ReasonBody,
    "DeliverBody": DeliverBody,
    "RemarkBody": RemarkBody,
    "RevisionBody": RevisionBody,
    "CertificateBody": CertificateBody,
    "SmartPlanBody": SmartPlanBody,
    "CompletionBody": CompletionBody,
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
    {
        "name": "page",
        "in": "query",
        "schema": {**INT, "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        "description": "Outside 1 to 1,000,000, or given twice: 400.",
    },
    {
        "name": "per_page",
        "in": "query",
        "schema": {**INT, "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20},
        "description": "Outside 1 to 100 (0 too), or given twice: 400.",
    },
]
AUTH: list[dict[str, list[str]]] = [{"session": []}, {"bearer": []}]
READ_ERRORS = {
    "400": _problem("A query argument is not a whole number in its range, or is repeated."),
    "401": _problem("Not logged in."),
    "403": _problem("The caller's role may not use this, or the API token lacks the scope `read`."),
    "429": {
        **_problem("The API token made more calls than API_RATE_LIMIT in API_RATE_WINDOW seconds."),
        "headers": {"Retry-After": {"schema": INT, "description": "Seconds until the next window."}},
    },
}
WRITE_ERRORS = {
    "400": _problem("Not a JSON object, or the CSRF token is missing or wrong (title 'CSRF')."),
    "401": _problem("Not logged in."),
    "403": _problem("The caller's role may not do this, or the API token lacks the scope it needs."),
    "429": _problem("The API token made too many calls; wait Retry-After seconds."),
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


H_ETAG = {
    "ETag": {
        "description": "The match's entity tag; send it back in If-Match to decide on this version.",
        "schema": STR,
    }
}
P_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "schema": STR,
    "description": "The ETag of the match as the officer saw it (GET /api/v1/matches/{match_id}).",
}


def _decision(summary: str, body: str, body_required: bool = False) -> dict[str, Any]:
    """An officer decision: only on the version the caller saw (If-Match with the match's ETag)."""
    op = _action(summary, "an officer of the contract's government", body, body_required)
    op["post"]["parameters"] = [P_MATCH, P_IF_MATCH]
    op["post"]["responses"]["200"] = {**op["post"]["responses"]["200"], "headers": H_ETAG}
    op["post"]["responses"]["412"] = _problem("If-Match names an older version: the match changed since.")
    op["post"]["responses"]["428"] = _problem(
        "If-Match is missing (or `*`): GET the match and send its ETag."
    )
    return op


def _post(
    summary: str,
    roles: str,
    parameters: list[dict[str, Any]],
    body: str,
    ok: dict[str, Any],
    *,
    body_required: bool = True,
    conflict: str = "",
) -> dict[str, Any]:
    """A POST of the counting rules: the object check first (404), then the body (400/413/415/422)."""
    errors = dict(WRITE_ERRORS)
    if conflict:
        errors["409"] = _problem(conflict)
    else:
        errors.pop("409")
    return {
        "post": {
            "summary": summary,
            "description": f"Who: {roles}.",
            "security": AUTH,
            "parameters": parameters,
            "requestBody": _body(body, body_required),
            "responses": {**ok, **errors},
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


P_REVISION = {"name": "revision_id", "in": "path", "required": True, "schema": {**INT, "minimum": 1}}
P_PLAN = {"name": "plan_id", "in": "path", "required": True, "schema": {**INT, "minimum": 1}}
P_RECOGNITION = {
    "name": "recognition_id",
    "in": "path",
    "required": True,
    "schema": {**INT, "minimum": 1},
    "description": "The id of the supplier's recognition (GET /api/v1/suppliers).",
}
OFFICER = "an officer of the contract's government"
PARTIES = "the contract's company and its government's officers"

COUNTING_PATHS: dict[str, Any] = {
    "/api/v1/contracts/{reference}/placements": _get(
        "The contract's register of placed people.",
        PARTIES + ". Each person by a prefix of the pseudonymous key: no reference, name or BSN",
        [P_REFERENCE],
        "RegisterPage",
        "One page of placements, by start date.",
    ),
    "/api/v1/contracts/{reference}/complete": _post(
        "Complete a contract: the labour component its frozen policy needs to compute the obligation.",
        OFFICER,
        [P_REFERENCE],
        "CompletionBody",
        {"200": _json("ContractDetail", "The contract with its obligation.")},
    ),
    "/api/v1/contracts/{reference}/smart-plans": {
        **_get(
            "The contract's SMART plans, newest first.",
            PARTIES,
            [P_REFERENCE],
            "SmartPlanPage",
            "One page of SMART plans.",
        ),
        **_post(
            "Submit a SMART plan for a contribution to one initiative.",
            "the contract's company. The officer assesses the plan before a contribution on a route that "
            "needs one counts (pledge with `smart_plan_id`)",
            [P_REFERENCE],
            "SmartPlanBody",
            {"201": _json("SmartPlan", "The submitted plan.")},
        ),
    },
    "/api/v1/smart-plans/{plan_id}/approve": _post(
        "Approve a submitted SMART plan.",
        OFFICER,
        [P_PLAN],
        "RemarkBody",
        {"200": _json("SmartPlan", "The approved plan.")},
        body_required=False,
        conflict="The plan is not waiting for a decision (decided already).",
    ),
    "/api/v1/smart-plans/{plan_id}/changes": _post(
        "Send a SMART plan back with what to change (reason required).",
        OFFICER,
        [P_PLAN],
        "ReasonBody",
        {"200": _json("SmartPlan", "The plan, waiting for the company.")},
        conflict="The plan is not waiting for a decision (decided already).",
    ),
    "/api/v1/matches/{match_id}/revisions": {
        **_get(
            "The revisions of a contribution, oldest first.",
            "the contract's company and its government's officers",
            [P_MATCH],
            "RevisionPage",
            "One page of revisions.",
        ),
        **_post(
            "Propose a lower value for an approved or delivered contribution.",
            "the contract's company or an officer of its government. A placement ends early (`new_end_date`) "
            "or did not happen; an invoice came out lower (`new_quantity`, in cents for money blocks); blocks "
            "valued by agreement take `new_value_cents`. The new value is computed from the contract's frozen "
            "table and counts once the officer approves",
            [P_MATCH],
            "RevisionBody",
            {"201": _json("Revision", "The proposed revision.")},
            conflict="The contribution is not approved or delivered, or a revision of it is already waiting.",
        ),
    },
    "/api/v1/revisions/{revision_id}/approve": _post(
        "Approve a revision: the contribution counts at its new value from now on.",
        OFFICER,
        [P_REVISION],
        "RemarkBody",
        {"200": _json("Revision", "The approved revision.")},
        body_required=False,
        conflict="The revision was decided already, or the contribution changed since it was proposed.",
    ),
    "/api/v1/revisions/{revision_id}/reject": _post(
        "Reject a revision (reason required); the value stays.",
        OFFICER,
        [P_REVISION],
        "ReasonBody",
        {"200": _json("Revision", "The rejected revision.")},
        conflict="The revision was decided already.",
    ),
    "/api/v1/certificates": {
        **_get(
            "The calling company's PSO certificates, latest valid first.",
            "a company",
            [],
            "CertificatePage",
            "One page of certificates.",
        ),
        **_post(
            "Register a PSO certificate (one of a level the company has renews it).",
            "a company",
            [],
            "CertificateBody",
            {"201": _json("Certificate", "The certificate.")},
        ),
    },
    "/api/v1/suppliers": _get(
        "Suppliers outside the catalogue that pledges of the government's contracts name, pending first.",
        "an officer",
        [],
        "SupplierPage",
        "One page of recognitions.",
    ),
    "/api/v1/suppliers/{recognition_id}/recognise": _post(
        "Recognise a supplier: purchases from it can count for the government's contracts.",
        "an officer of the recognition's government",
        [P_RECOGNITION],
        "RemarkBody",
        {"200": _json("SupplierRecognition", "The recognition.")},
        body_required=False,
        conflict="The supplier was decided already.",
    ),
    "/api/v1/suppliers/{recognition_id}/refuse": _post(
        "Refuse a supplier (reason required; the company sees it).",
        "an officer of the recognition's government",
        [P_RECOGNITION],
        "ReasonBody",
        {"200": _json("SupplierRecognition", "The recognition.")},
        conflict="The supplier was decided already.",
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
    {
        "name": "sort",
        "in": "query",
        "schema": {"enum": ["relevance", "deadline", "distance"]},
        "description": "Given twice: 400.",
    },
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
                "200": {**_json("MatchDetail", "The match."), "headers": H_ETAG},
                "404": _problem("No such match, or not the caller's to see."),
                **READ_ERRORS,
            },
        }
    },
    "/api/v1/matches/{match_id}/cancel": _action(
        "Withdraw a pledge that is still open.", "the company", "CancelBody"
    ),
    "/api/v1/matches/{match_id}/approve": _decision(
        "Approve a proposed match; it then counts toward the obligation.", "ApproveBody"
    ),
    "/api/v1/matches/{match_id}/reject": _decision(
        "Reject a proposed match (reason required).", "ReasonBody", True
    ),
    "/api/v1/matches/{match_id}/changes": _decision(
        "Ask the company to change a proposed match (reason required).", "ReasonBody", True
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
                "400": _problem(
                    "page or per_page is not a whole number in range, or an argument is repeated."
                ),
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
    from . import openapi_lifecycle, v1_lifecycle

    schemas = {**SCHEMAS, **openapi_lifecycle.SCHEMAS}
    for name, model in {**BODIES, **v1_lifecycle.BODIES}.items():
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))  # nested bodies (PlacementBody, SupplierBody) as components
        schemas[name] = schema
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SRX API",
            "version": "1.0.0",
            "description": (
                "The Social Return Exchange JSON API. Two ways to authenticate: an API token, made at "
                "/settings/api-tokens, sent as `Authorization: Bearer <token>` (no CSRF token needed; a "
                "call outside the token's scopes gets 403, an unknown or revoked token 401, more than "
                "API_RATE_LIMIT calls per API_RATE_WINDOW seconds 429 with Retry-After); or the web "
                "login's session cookie, with the CSRF token (the page's <meta name=\"csrf-token\">) "
                "in the X-CSRFToken header on every POST. Scopes: read (every GET), pledge (pledges, "
                "plans, revisions, certificates), decide (an officer's decisions, settlement), report "
                "(realisation reports, delivery). Money is in euro cents. Errors are RFC 9457 problem "
                "documents."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": {**PATHS, **COUNTING_PATHS, **openapi_lifecycle.PATHS},
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The web session cookie, set by POST /login.",
                },
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from /settings/api-tokens, with its scopes "
                    "(read, pledge, decide, report).",
                },
            },
        },
    }


def document() -> dict[str, Any]:
    return deepcopy(_document())
