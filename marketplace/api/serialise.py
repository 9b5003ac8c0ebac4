"""Rows of the read side as JSON-ready dicts: the API's response shapes (see openapi.py)."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app, url_for

from search import Result

from .. import formatting
from ..models import (
    AuditEvent,
    BuildingBlock,
    Certificate,
    Government,
    HandprintScore,
    Initiative,
    Need,
    Placement,
    Revision,
    SmartPlan,
    User,
    ValuationTable,
)
from ..queries import ContractRow, MatchRow, SupplierRow


def api_url(endpoint: str, **values: Any) -> str:
    """An absolute URL that never echoes an untrusted Host header.

    From SERVER_NAME when it is configured; from the request's host when TRUSTED_HOSTS is configured (Flask
    has then refused any other host with 400); otherwise the path alone (a relative reference).
    """
    config = current_app.config
    path = url_for(endpoint, **values)
    if config.get("SERVER_NAME"):
        return f"{config.get('PREFERRED_URL_SCHEME', 'http')}://{config['SERVER_NAME']}{path}"
    if config.get("TRUSTED_HOSTS"):
        return url_for(endpoint, _external=True, **values)
    return path


# How much of a person's pseudonymous key is shown: enough to tell placements apart, as on the pages.
KEY_PREFIX = 10


def iso(value: date | datetime | None) -> str | None:
    """Dates as YYYY-MM-DD; times as ISO 8601 in UTC (stored times without a zone are UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def government_ref(gov: Government) -> dict[str, Any]:
    return {"slug": gov.slug, "name": gov.name}


def contract_json(row: ContractRow) -> dict[str, Any]:
    c, t = row.contract, row.totals
    return {
        "reference": c.reference,
        "title": c.title,
        "government": government_ref(row.government),
        "company": {"slug": row.company.slug, "name": row.company.name, "kvk": row.company.kvk},
        "sum_cents": c.sum_cents,
        "obligation_cents": t.obligation_cents,
        "committed_cents": t.committed_cents,
        "pending_cents": t.pending_cents,
        "realised_cents": t.realised_cents,
        "remaining_cents": t.remaining_cents,
        "small_contract": t.small_contract,
        "obligation_state": t.obligation.state,
        "obligation_missing": t.obligation.missing,
        "obligation_steps": [{"code": code, "params": params} for code, params in t.obligation.steps],
        "activities_required": t.activities_required,
        "activities_committed": t.activities_committed,
        "award_date": iso(c.award_date),
        "end_date": iso(c.end_date),
        "url": api_url("api.contract", reference=c.reference),
    }


def block_json(block: BuildingBlock) -> dict[str, Any]:
    return block.as_dict()


def table_json(
    table: ValuationTable | None, blocks: Sequence[BuildingBlock] | None = None
) -> dict[str, Any] | None:
    if table is None:
        return None
    out: dict[str, Any] = {
        "version": table.version,
        "name": table.name,
        "assumption": table.assumption,
        "effective_from": iso(table.effective_from),
        "effective_to": iso(table.effective_to),
        "source": table.source,
    }
    if blocks is not None:
        out["blocks"] = [block_json(b) for b in blocks]
    return out


def contract_detail_json(
    row: ContractRow,
    table: ValuationTable | None,
    blocks: Sequence[BuildingBlock],
    matches: Sequence[MatchRow],
) -> dict[str, Any]:
    out = contract_json(row)
    c = row.contract
    out.update(
        labour_component_cents=c.labour_component_cents,
        kind=c.kind,
        policy=dict(c.policy),
        policy_version=c.policy_version,
        valuation_table=table_json(table, blocks),
        matches=[match_json(m) for m in matches],
    )
    return out


def line_json(line: dict[str, Any]) -> dict[str, Any]:
    """One breakdown line as stored, plus the line in words in the caller's language."""
    return {
        "kind": line.get("kind"),
        "label": line.get("label"),
        "value_cents": line.get("value_cents"),
        "params": line.get("params", {}),
        "text": formatting.breakdown_line(line),
    }


def match_json(row: MatchRow) -> dict[str, Any]:
    m = row.match
    return {
        "id": m.id,
        "contract": row.contract.reference,
        "government": government_ref(row.government),
        "company": {"slug": row.company.slug, "name": row.company.name},
        "status": m.status,
        "block": {
            "code": row.block.code,
            "label": row.block.label,
            "unit": row.block.unit,
            "route": row.block.route,
        },
        "initiative": {"slug": row.initiative.slug, "name": row.initiative.name, "kind": row.initiative.kind}
        if row.initiative
        else None,
        "need": {
            "id": row.need.id,
            "reference": row.need.reference,
            "title": row.need.title,
            "unit": row.need.unit,
        }
        if row.need
        else None,
        "placement": placement_json(row.placement) if row.placement else None,
        "supplier": {"kvk": row.supplier.kvk, "name": row.supplier.name, "kind": row.supplier.kind}
        if row.supplier
        else None,
        "certificate_id": m.certificate_id,
        "smart_plan_id": m.smart_plan_id,
        "quantity": m.quantity,
        "hours_per_week": m.hours_per_week,
        "months": m.months,
        "weeks": m.weeks,
        "bonuses": list(m.bonus_codes),
        "value_cents": m.value_cents,
        "table_version": row.table.version if row.table else None,
        "note": m.note,
        "officer_reason": m.officer_reason,
        "delivered_note": m.delivered_note,
        "delivered_at": iso(m.delivered_at),
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
        "version": m.version,
        "url": api_url("api.match", match_id=m.id),
    }


def match_detail_json(row: MatchRow, history: Sequence[tuple[AuditEvent, User | None]]) -> dict[str, Any]:
    out = match_json(row)
    out["breakdown"] = [line_json(line) for line in row.match.breakdown]
    out["valuation_table"] = table_json(row.table)
    out["history"] = [
        {
            "at": iso(e.at),
            "action": e.action,
            "reason": e.reason,
            "actor": {"name": u.name, "role": u.role} if u is not None else None,
            "before": e.before,
            "after": e.after,
        }
        for e, u in history
    ]
    return out


def preview_json(out: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "value_cents": out["value_cents"],
        "lines": [line_json(line) for line in out["lines"]],
        "table": {"version": out["table"]["version"], "name": out["table"]["name"]},
        "block": out["block"],
    }
    if "need" in out:
        body["need"] = {
            "id": out["need"]["id"],
            "open_quantity": out["need"]["open"],
            "unit": out["need"]["unit"],
        }
    if out.get("warning"):
        body["warning"] = out["warning"]
    return body


def search_json(result: Result) -> dict[str, Any]:
    hits = []
    for h in result.hits:
        d = h.document
        slug = d.payload.get("slug")
        hit: dict[str, Any] = {
            "id": h.id,
            "type": h.type,
            "title": d.title,
            "highlights": dict(h.highlights),
            "score": h.score,
            "municipality": d.municipality,
            "themes": list(d.themes),
            "kind": d.kind,
            "need_kinds": list(d.need_kinds),
            "target_groups": list(d.target_groups),
            "deadline": d.deadline,
            "distance_km": h.distance_km,
            "url": api_url("public.initiative", slug=slug) if slug else None,
        }
        if h.type == "need":
            hit["need"] = {
                "id": d.payload.get("need_id"),
                "reference": d.payload.get("reference"),
                "unit": d.payload.get("unit"),
                "initiative": d.payload.get("initiative"),
            }
        hits.append(hit)
    return {
        "hits": hits,
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "facets": {k: dict(v) for k, v in result.facets.items()},
        "backend": result.backend,
    }


def initiative_json(
    ini: Initiative,
    scores: Sequence[HandprintScore],
    needs: Sequence[tuple[Need, int]],
    governments: Sequence[Government],
) -> dict[str, Any]:
    """The public profile: the yearly impact value of the handprint is private and never included."""
    return {
        "slug": ini.slug,
        "name": ini.name,
        "kind": ini.kind,
        "summary": ini.summary,
        "description": ini.description,
        "municipality": ini.municipality,
        "neighbourhood": ini.neighbourhood,
        "life_phase": ini.life_phase,
        "website": ini.website,
        # Only what the initiative published: an empty contact field is left out.
        "contact": {
            key: value
            for key, value in (
                ("website", ini.website),
                ("email", ini.contact_email),
                ("phone", ini.contact_phone),
                ("name", ini.contact_name),
            )
            if value
        },
        "target_groups": list(ini.target_groups),
        "handprint": [{"theme": h.theme, "score": h.score, "indicator": h.indicator} for h in scores],
        "needs": [
            {
                "id": n.id,
                "reference": n.reference,
                "kind": n.kind,
                "title": n.title,
                "description": n.description,
                "themes": list(n.themes),
                "quantity": n.quantity,
                "unit": n.unit,
                "open_quantity": open_quantity,
                "deadline": iso(n.deadline),
            }
            for n, open_quantity in needs
        ],
        "eligible_for": [government_ref(g) for g in governments],
        "url": api_url("public.initiative", slug=ini.slug),
    }


def suggestion_json(s: Any) -> dict[str, Any]:
    """One recommendation (marketplace.recommendations.Suggestion) with its score, reasons and features."""
    c = s.rec.candidate
    return {
        "id": c.id,
        "rank": s.rec.rank,
        "score": round(s.rec.score, 4),
        "scorer": s.rec.scorer,
        "title": c.title,
        "initiative": {"slug": c.initiative_slug, "name": c.initiative_name},
        "need_id": c.need_id,
        "kind": c.kind,
        "route": c.route,
        "building_block": s.valuer.block.code,
        "open_units": c.open_units,
        "unit": s.valuer.unit,
        "unit_value_cents": c.unit_value_cents,
        "open_value_cents": c.open_value_cents,
        "reasons": s.reasons,
        "reason_codes": [
            {"code": r.code, "params": dict(r.params), "contribution": round(r.contribution, 4)}
            for r in s.rec.reasons
        ],
        "features": {k: round(v, 4) for k, v in s.rec.features.items()},
    }


def placement_json(p: Placement) -> dict[str, Any]:
    """A placed person as the register shows them: a prefix of the pseudonymous key, never a reference.

    The key is empty once the details are deleted (retention); the prefix is then null.
    """
    return {
        "person_key_prefix": p.person_key[:KEY_PREFIX] or None,
        "target_group": p.target_group,
        "proof_kind": p.proof_kind,
        "employment": p.employment,
        "start_date": iso(p.start_date),
        "end_date": iso(p.end_date),
        "hours_per_week": p.hours_per_week,
    }


def register_json(row: MatchRow) -> dict[str, Any]:
    """One row of a contract's register of placed people: the placement, and the match it counts for."""
    assert row.placement is not None
    return {
        **placement_json(row.placement),
        "match_id": row.match.id,
        "block": row.block.code,
        "value_cents": row.match.value_cents,
        "status": row.match.status,
        "url": api_url("api.match", match_id=row.match.id),
    }


def revision_json(r: Revision) -> dict[str, Any]:
    return {
        "id": r.id,
        "match_id": r.match_id,
        "kind": r.kind,
        "reason": r.reason,
        "status": r.status,
        "old_value_cents": r.old_value_cents,
        "new_value_cents": r.new_value_cents,
        "new_end_date": iso(r.new_end_date),
        "new_quantity": r.new_quantity,
        "breakdown": [line_json(line) for line in r.new_breakdown],
        "decision_reason": r.decision_reason,
        "created_at": iso(r.created_at),
        "decided_at": iso(r.decided_at),
        "match_url": api_url("api.match", match_id=r.match_id),
    }


def certificate_json(c: Certificate) -> dict[str, Any]:
    return {
        "id": c.id,
        "level": c.level,
        "number": c.number,
        "issued_on": iso(c.issued_on),
        "valid_until": iso(c.valid_until),
    }


def recognition_json(row: SupplierRow) -> dict[str, Any]:
    r, s = row.recognition, row.supplier
    return {
        "id": r.id,
        "supplier": {"kvk": s.kvk, "name": s.name, "kind": s.kind, "city": s.city},
        "basis": r.basis,
        "evidence": r.evidence,
        "status": r.status,
        "note": r.note,
        "pledges": row.matches,
        "decided_at": iso(r.decided_at),
        "version": r.version,
    }


def smart_plan_json(plan: SmartPlan, contract_reference: str, initiative: Initiative) -> dict[str, Any]:
    return {
        "id": plan.id,
        "contract": contract_reference,
        "initiative": {"id": initiative.id, "slug": initiative.slug, "name": initiative.name},
        "goal": plan.goal,
        "target_group": plan.target_group,
        "roots": plan.roots,
        "participants": plan.participants,
        "status": plan.status,
        "officer_reason": plan.officer_reason,
        "created_at": iso(plan.created_at),
        "decided_at": iso(plan.decided_at),
        "version": plan.version,
    }
