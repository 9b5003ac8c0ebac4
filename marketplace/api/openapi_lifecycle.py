"""The OpenAPI paths and schemas of the life of a contract (api/v1_lifecycle.py), merged into the document."""

from typing import Any

from ..models import CONTRACT_STATUSES
from ..progress import Pace
from ..services.reports import EVIDENCE_KINDS
from .openapi import (
    AUTH,
    BOOL,
    CENTS,
    DATE,
    DATETIME,
    INT,
    P_MATCH,
    P_REFERENCE,
    READ_ERRORS,
    STR,
    URL,
    WRITE_ERRORS,
    _body,
    _json,
    _nullable,
    _object,
    _problem,
    _ref,
)

P_REPORT = {"name": "report_id", "in": "path", "required": True, "schema": {**INT, "minimum": 1}}
P_EVIDENCE = {"name": "evidence_id", "in": "path", "required": True, "schema": {**INT, "minimum": 1}}
P_SETTLEMENT = {"name": "settlement_id", "in": "path", "required": True, "schema": {**INT, "minimum": 1}}
STATE = {"enum": list(CONTRACT_STATUSES), "description": "The contract's lifecycle state."}
PACE = {
    "anyOf": [{"enum": [p.value for p in Pace]}, {"type": "null"}],
    "description": "on_track, behind, at_risk, met or short; null while the obligation cannot be computed.",
}
ETAG = {"ETag": {"schema": STR, "description": "Send it back in If-Match to guard a change."}}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "schema": STR,
    "description": "The ETag the caller saw (instead of `version` in the body); another tag answers 412.",
}
EVIDENCE = _object(
    {
        "id": INT,
        "kind": {"enum": list(EVIDENCE_KINDS)},
        "filename": STR,
        "content_type": {"enum": ["application/pdf", "image/png", "image/jpeg"]},
        "size": INT,
        "sha256": STR,
        "uploaded_at": DATETIME,
        "url": {**_nullable(URL), "description": "Download; null after the retention period."},
    }
)

SCHEMAS: dict[str, Any] = {
    "Progress": _object(
        {
            "contract": STR,
            "state": STATE,
            "pace": PACE,
            "version": INT,
            "award_date": DATE,
            "end_date": DATE,
            "recovery_until": _nullable(DATE),
            "closed_on": _nullable(DATE),
            "plan": _object(
                {
                    "status": _nullable({"enum": ["draft", "submitted", "changes_requested", "approved"]}),
                    "due_on": DATE,
                    "overdue": BOOL,
                }
            ),
            "obligation_state": {"enum": ["amount", "small", "none", "incomplete"]},
            "obligation_cents": CENTS,
            "committed_cents": CENTS,
            "reported_cents": CENTS,
            "verified_cents": CENTS,
            "remaining_cents": CENTS,
            "shortfall_cents": {
                **CENTS,
                "description": "Obligation minus verified (what a settlement is about).",
            },
            "forecast": _nullable(
                _object(
                    {
                        "pace_cents_per_week": CENTS,
                        "pace_from": DATE,
                        "pace_to": DATE,
                        "expected_cents": {**CENTS, "description": "Where the straight line is today."},
                        "forecast_day": _nullable(DATE),
                        "days_left": INT,
                        "early": {**BOOL, "description": "Too early after the award for a pace."},
                    }
                )
            ),
            "series": {
                "type": "array",
                "description": "The burn-down: points every 14 days from the award to the end date, and today.",
                "items": _object(
                    {
                        "day": DATE,
                        "obligation_cents": CENTS,
                        "committed_cents": CENTS,
                        "verified_cents": CENTS,
                        "line_cents": {**CENTS, "description": "The straight line from award to end date."},
                    }
                ),
            },
        }
    ),
    "LifecyclePlan": _object(
        {
            "contract": STR,
            "status": _nullable({"enum": ["draft", "submitted", "changes_requested", "approved"]}),
            "due_on": DATE,
            "overdue": BOOL,
            "text": STR,
            "routes": {"type": "array", "items": STR},
            "pledges": {"type": "array", "items": {"type": "object"}},
            "placements": {"type": "array", "items": {"type": "object"}},
            "officer_reason": STR,
            "submitted_at": _nullable(DATETIME),
            "decided_at": _nullable(DATETIME),
            "version": _nullable(INT),
        }
    ),
    "Evidence": EVIDENCE,
    "Report": _object(
        {
            "id": INT,
            "match_id": INT,
            "contract": STR,
            "period_start": DATE,
            "period_end": DATE,
            "quantity": {**INT, "description": "In the contribution's unit (hours, days, cents, months)."},
            "value_cents": CENTS,
            "note": STR,
            "status": {"enum": ["submitted", "accepted", "rejected"]},
            "officer_reason": STR,
            "attempt": INT,
            "created_at": DATETIME,
            "decided_at": _nullable(DATETIME),
            "version": INT,
            "evidence": {"type": "array", "items": _ref("Evidence")},
        }
    ),
    "Realisation": _object(
        {
            "contract": STR,
            "periods": {"type": "array", "items": _object({"start": DATE, "end": DATE, "started": BOOL})},
            "contributions": {
                "type": "array",
                "items": _object(
                    {
                        "match_id": INT,
                        "status": STR,
                        "block": STR,
                        "unit": {"enum": ["months", "weeks", "whole", "hours", "days", "cents"]},
                        "total": INT,
                        "committed_cents": CENTS,
                        "reported_quantity": INT,
                        "reported_cents": CENTS,
                        "verified_cents": CENTS,
                        "left": INT,
                        "reports": {"type": "array", "items": _ref("Report")},
                    }
                ),
            },
        }
    ),
    "Settlement": _object(
        {
            "id": INT,
            "contract": STR,
            "number": STR,
            "kind": {"enum": ["recovery", "best_effort", "financial"]},
            "reason": STR,
            "recovery_until": _nullable(DATE),
            "amount_cents": CENTS,
            "method": {"enum": ["", "withhold", "invoice"]},
            "obligation_cents": CENTS,
            "verified_cents": CENTS,
            "decided_at": DATETIME,
        }
    ),
    "SettlementList": _object({"items": {"type": "array", "items": _ref("Settlement")}, "total": INT}),
    "ReportUpload": _object(
        {
            "period_start": {**DATE, "description": "The first day of one of the contract's periods."},
            "quantity": {**INT, "description": "What was realised, in the contribution's unit."},
            "note": STR,
            "kind": {"enum": list(EVIDENCE_KINDS)},
            "files": {
                "type": "array",
                "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                "description": "1 to 10 PDF, PNG or JPEG files (checked by content), each at most "
                "EVIDENCE_MAX_BYTES.",
            },
        },
        required=["period_start", "quantity", "files"],
    ),
}


def _read(summary: str, who: str, params: list[dict[str, Any]], schema: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "description": f"Who: {who}.",
            "security": AUTH,
            "parameters": params,
            "responses": {
                "200": {**_json(schema, summary), "headers": ETAG},
                "404": _problem("No such object, or not the caller's to see."),
                **READ_ERRORS,
            },
        }
    }


def _write(
    summary: str, who: str, params: list[dict[str, Any]], body: str, ok: str, *, status: str = "200"
) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "description": f"Who: {who}. The version the caller saw goes in `version` or If-Match; "
            "a stale one answers 409.",
            "security": AUTH,
            "parameters": [*params, IF_MATCH],
            "requestBody": _body(body),
            "responses": {
                status: {**_json(ok, summary), "headers": ETAG},
                **WRITE_ERRORS,
                "409": _problem(
                    "Not in a state that allows this, or someone changed it first (stale version)."
                ),
                "412": _problem("If-Match carries a tag that is not this object's."),
            },
        }
    }


COMPANY_SIDE = "the contract's company, or an officer or WSP adviser of its government"
OFFICER = "an officer or WSP adviser of the contract's government"

PATHS: dict[str, Any] = {
    "/api/v1/contracts/{reference}/progress": _read(
        "The contract's lifecycle state and pace as codes, its totals, forecast and burn-down series.",
        COMPANY_SIDE,
        [P_REFERENCE],
        "Progress",
    ),
    "/api/v1/contracts/{reference}/plan": {
        **_read(
            "The contract's plan van aanpak and when it is due.", COMPANY_SIDE, [P_REFERENCE], "LifecyclePlan"
        ),
        **_write(
            "Write the plan van aanpak; submit: true sends it to the officer.",
            "the contract's company",
            [P_REFERENCE],
            "PlanBody",
            "LifecyclePlan",
        ),
    },
    "/api/v1/contracts/{reference}/plan/approve": _write(
        "Approve the submitted plan: its pledges become proposed matches, all or none.",
        OFFICER,
        [P_REFERENCE],
        "DecisionBody",
        "LifecyclePlan",
    ),
    "/api/v1/contracts/{reference}/plan/changes": _write(
        "Send the submitted plan back with a reason (required).",
        OFFICER,
        [P_REFERENCE],
        "DecisionBody",
        "LifecyclePlan",
    ),
    "/api/v1/contracts/{reference}/reports": {
        "get": {
            "summary": "Per approved contribution: committed, reported, verified, and its reports with evidence.",
            "description": f"Who: {COMPANY_SIDE}.",
            "security": AUTH,
            "parameters": [P_REFERENCE],
            "responses": {
                "200": _json("Realisation", "The contract's periods and contributions."),
                "404": _problem("No such contract, or not the caller's to see."),
                **READ_ERRORS,
            },
        }
    },
    "/api/v1/matches/{match_id}/reports": {
        "post": {
            "summary": "Report what an approved contribution realised in one period, with evidence files.",
            "description": "Who: the contract's company. multipart/form-data; every file is checked (not "
            "empty, not too large, a PDF, PNG or JPEG by its content) before anything is stored: a refused "
            "upload stores nothing.",
            "security": AUTH,
            "parameters": [P_MATCH],
            "requestBody": {
                "required": True,
                "content": {"multipart/form-data": {"schema": _ref("ReportUpload")}},
            },
            "responses": {
                "201": {
                    **_json("Report", "The report, waiting for the officer."),
                    "headers": {**ETAG, "Location": {"schema": STR}},
                },
                **WRITE_ERRORS,
                "409": _problem("The period was reported already, or the contribution in full."),
                "413": _problem("The upload is larger than the server accepts."),
                "415": _problem("Not multipart/form-data."),
                "422": _problem("A field or a file is refused: `field` names it, `detail` says why."),
            },
        }
    },
    "/api/v1/reports/{report_id}": _read(
        "One realisation report with its evidence.", COMPANY_SIDE, [P_REPORT], "Report"
    ),
    "/api/v1/reports/{report_id}/accept": _write(
        "Accept a report: its value counts as verified.", OFFICER, [P_REPORT], "DecisionBody", "Report"
    ),
    "/api/v1/reports/{report_id}/reject": _write(
        "Reject a report with a reason (required).", OFFICER, [P_REPORT], "DecisionBody", "Report"
    ),
    "/api/v1/evidence/{evidence_id}": {
        "get": {
            "summary": "Download an evidence file.",
            "description": f"Who: {COMPANY_SIDE}. Never cached.",
            "security": AUTH,
            "parameters": [P_EVIDENCE],
            "responses": {
                "200": {
                    "description": "The file.",
                    "content": {
                        t: {"schema": {"type": "string", "contentMediaType": t}}
                        for t in ("application/pdf", "image/png", "image/jpeg")
                    },
                },
                "404": _problem("No such file, deleted after the retention period, or not the caller's."),
                **READ_ERRORS,
            },
        }
    },
    "/api/v1/contracts/{reference}/settlements": {
        "get": {
            "summary": "The contract's settlement decisions, oldest first.",
            "description": f"Who: {COMPANY_SIDE}.",
            "security": AUTH,
            "parameters": [P_REFERENCE],
            "responses": {
                "200": _json("SettlementList", "The decisions."),
                "404": _problem("No such contract, or not the caller's to see."),
                **READ_ERRORS,
            },
        }
    },
    "/api/v1/contracts/{reference}/settlement": _write(
        "Settle a contract in settlement: recovery period, best effort accepted, or financial.",
        OFFICER,
        [P_REFERENCE],
        "SettlementBody",
        "Settlement",
        status="201",
    ),
    "/api/v1/settlements/{settlement_id}": {
        "get": {
            "summary": "One settlement decision.",
            "description": f"Who: {COMPANY_SIDE}.",
            "security": AUTH,
            "parameters": [P_SETTLEMENT],
            "responses": {
                "200": _json("Settlement", "The decision."),
                "404": _problem("No such settlement, or not the caller's to see."),
                **READ_ERRORS,
            },
        }
    },
}
