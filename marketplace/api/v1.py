"""The /api/v1 routes: thin views over the read-side queries and the services.

Authentication is the web session cookie (the same login as the pages); POSTs carry the CSRF token
in the X-CSRFToken header. Object checks answer 404 for anything outside the caller's reach.
"""

import dataclasses
import hashlib
from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext
from sqlmodel import col, select

from search import SearchError

from ..authz import ANY_USER, PUBLIC, access, me
from ..boundary import parse_int
from ..catalogue import search_query_from_args
from ..db import get_session
from ..models import (
    Contract,
    Initiative,
    Match,
    Placement,
    Revision,
    SmartPlan,
    SupplierRecognition,
    ValuationTable,
)
from ..queries import (
    MatchRow,
    SupplierRow,
    blocks_of,
    contract_for_user,
    contract_rows,
    eligible_governments,
    handprint,
    match_for_user,
    match_history,
    match_rows,
    matches_for_contract,
    needs_of,
    paginate,
    smart_plans_of,
    supplier_recognitions,
)
from ..search_sync import get_backend
from ..services import (
    approvals,
    certificates,
    deliveries,
    placements,
    pledges,
    revisions,
    smart_plans,
    suppliers,
)
from ..services import (
    contracts as contract_service,
)
from ..services.approvals import DecisionInput, Outcome
from ..services.errors import Conflict
from . import bp
from . import serialise as out
from .problems import PLEDGE_FIELDS, ApiProblem, not_found, service_fields
from .schemas import (
    MAX_ID,
    MAX_PAGE,
    MAX_PER_PAGE,
    ApproveBody,
    CancelBody,
    CertificateBody,
    CompletionBody,
    DeliverBody,
    PlacementBody,
    PledgeBody,
    PreviewBody,
    ReasonBody,
    RemarkBody,
    RevisionBody,
    SmartPlanBody,
    SupplierBody,
    parse_body,
)

MAX_IDEMPOTENCY_KEY = 200


# --- helpers -------------------------------------------------------------------------------------------------


def _single_arg(name: str) -> str:
    """A query argument that may be given once: 400 when it is repeated (which one would count?)."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise ApiProblem(400, "Bad Request", gettext("Give %(name)s only once.", name=name), field=name)
    return values[0] if values else ""


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query argument within [low, high]; 400 when it is not one, or out of range."""
    raw = _single_arg(name).strip()
    if not raw:
        return default
    number = parse_int(raw, low=low, high=high)
    if number is None:
        raise ApiProblem(
            400,
            "Bad Request",
            gettext("Enter a whole number from %(low)s to %(high)s.", low=low, high=high),
            field=name,
        )
    return number


def _paging() -> tuple[int, int]:
    return _int_arg("page", 1, 1, MAX_PAGE), _int_arg("per_page", 20, 1, MAX_PER_PAGE)


def _page_json(items: list[Any], total: int, page: int, per_page: int) -> Any:
    return jsonify({"items": items, "total": total, "page": page, "per_page": per_page})


def _list_page(items: list[Any]) -> Any:
    """A short list (a match's revisions, a company's certificates) in the same envelope as the long ones."""
    page, per_page = _paging()
    start = (page - 1) * per_page
    return _page_json(items[start : start + per_page], len(items), page, per_page)


def _visible_contract(reference: str) -> Contract:
    session = get_session()
    if len(reference) > 60:  # longer than any reference: no lookup with a truncated value
        raise not_found()
    contract = session.exec(select(Contract).where(Contract.reference == reference)).first()
    if contract is None or contract_for_user(session, me(), contract.id or 0) is None:
        raise not_found()
    return contract


def _own_contract(reference: str) -> Contract:
    """A contract of the calling company (pledging is the company's alone)."""
    contract = _visible_contract(reference)
    if contract.company_id != me().company_id:
        raise not_found()
    return contract


def _visible_match(match_id: int) -> MatchRow:
    """The match if the caller may see it; 404 otherwise (ids beyond 32 bits cannot exist)."""
    row = match_for_user(get_session(), me(), match_id) if match_id <= MAX_ID else None
    if row is None:
        raise not_found()
    return row


def etag(kind: str, row: Any) -> str:
    """An object's entity tag, `"<kind>-<id>-v<version>"`: it changes with every change of the object."""
    return f'"{kind}-{row.id}-v{row.version}"'


def etag_version(tag: str, kind: str, object_id: int) -> int | None:
    """The version in an entity tag of this object, or None when the tag is not one of its tags."""
    tag = tag.strip().removeprefix("W/").strip('"')
    prefix = f"{kind}-{object_id}-v"
    return parse_int(tag[len(prefix) :], low=0) if tag.startswith(prefix) else None


def _match_response(match_id: int, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    row = _visible_match(match_id)
    response = jsonify(out.match_detail_json(row, match_history(get_session(), match_id)))
    response.status_code = status
    response.headers.update(headers or {})
    response.headers["ETag"] = etag("match", row.match)
    return response


def _placement(body: PlacementBody | None) -> placements.PlacementInput | None:
    """The placement with the reference turned into the pseudonymous key here: the reference goes no further."""
    if body is None:
        return None
    return placements.PlacementInput(
        person_key=placements.person_key(body.person_reference, current_app.config["PERSON_KEY_SECRET"]),
        target_group=body.target_group,
        proof_kind=body.proof_kind,
        employment=body.employment,
        start_date=body.start_date,
        end_date=body.end_date,
        hours_per_week=body.hours_per_week,
        age_band=body.age_band,
        statushouder_or_language=body.statushouder_or_language,
        after_vso_pro_internship=body.after_vso_pro_internship,
        occupational_disability=body.occupational_disability,
    )


def _supplier(body: SupplierBody | None) -> suppliers.SupplierInput | None:
    if body is None:
        return None
    return suppliers.SupplierInput(
        kvk=body.kvk, name=body.name, kind=body.kind, basis=body.basis, evidence=body.evidence, city=body.city
    )


def _pledge_request(contract: Contract, body: PledgeBody, key: str | None = None) -> pledges.PledgeRequest:
    return pledges.PledgeRequest(
        contract_id=contract.id or 0,
        block_code=body.block,
        quantity=body.quantity,
        need_id=body.need_id,
        initiative_id=body.initiative_id,
        note=body.note,
        submission_key=key,
        placement=_placement(body.placement),
        certificate_id=body.certificate_id,
        supplier=_supplier(body.supplier),
        smart_plan_id=body.smart_plan_id,
    )


def _submission_key() -> str | None:
    """The Idempotency-Key header as the match's submission key, scoped to the caller.

    Hashing in the user id keeps one caller's keys from ever colliding with (or revealing) another's.
    """
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        raise ApiProblem(
            400,
            "Bad Request",
            gettext(
                "The Idempotency-Key header must be 1 to %(max)s printable ASCII characters.",
                max=MAX_IDEMPOTENCY_KEY,
            ),
            field="Idempotency-Key",
        )
    digest = hashlib.sha256(f"{me().id}:{key}".encode()).hexdigest()
    return f"api:{digest[:56]}"


# --- contracts -----------------------------------------------------------------------------------------------


@bp.route("/v1/contracts")
@access("company", "officer", "admin")
def contracts():  # type: ignore[no-untyped-def]
    """The caller's contracts: the company's own, the officer's government's, or all for an admin."""
    session = get_session()
    page, per_page = _paging()
    user = me()
    stmt = select(Contract)
    if user.role == "company":
        stmt = stmt.where(Contract.company_id == user.company_id)
    elif user.role == "officer":
        stmt = stmt.where(Contract.government_id == user.government_id)
    items, total = paginate(
        session, stmt.order_by(col(Contract.award_date).desc(), col(Contract.id)), page, per_page
    )
    return jsonify(
        {
            "items": [out.contract_json(r) for r in contract_rows(session, items)],
            "total": total,
            "page": page,
            "per_page": per_page,
        }
    )


@bp.route("/v1/contracts/<reference>")
@access("company", "officer", "admin")
def contract(reference: str):  # type: ignore[no-untyped-def]
    return _contract_detail(_visible_contract(reference))


def _contract_detail(c: Contract) -> Any:
    session = get_session()
    row = contract_rows(session, [c])[0]
    return jsonify(
        out.contract_detail_json(
            row,
            session.get(ValuationTable, c.table_id),
            blocks_of(session, c.table_id),
            matches_for_contract(session, c.id or 0),
        )
    )


@bp.route("/v1/contracts/<reference>/recommendations")
@access("company", "officer")
def recommendations(reference: str):  # type: ignore[no-untyped-def]
    """The ranked open needs and social firms for a contract's remaining obligation, with reasons."""
    from ..recommendations import recommend

    session = get_session()
    c = _visible_contract(reference)
    limit = _int_arg("limit", 10, 1, 50)
    filters = {
        "themes": request.args.getlist("theme")[:6],
        "need_kinds": request.args.getlist("need_kind")[:7],
    }
    result = recommend(session, c, text=request.args.get("q", "")[:200], filters=filters, limit=limit)
    return jsonify(
        {
            "contract": c.reference,
            "remaining_cents": result.context.remaining_cents,
            "scorer": result.scorer,
            "search_degraded": result.pool.search_failed,
            "recommendations": [out.suggestion_json(s) for s in result.suggestions],
        }
    )


@bp.route("/v1/contracts/<reference>/valuation", methods=["POST"])
@access("company")
def valuation(reference: str):  # type: ignore[no-untyped-def]
    """Value a pledge without storing it: the same checks and figures as submitting."""
    c = _own_contract(reference)
    body = parse_body(PreviewBody)
    with service_fields(PLEDGE_FIELDS):
        result = pledges.preview(get_session(), actor=me(), req=_pledge_request(c, body))
    return jsonify(out.preview_json(result))


@bp.route("/v1/contracts/<reference>/pledges", methods=["POST"])
@access("company")
def create_pledge(reference: str):  # type: ignore[no-untyped-def]
    c = _own_contract(reference)
    body = parse_body(PledgeBody)
    key = _submission_key()
    session = get_session()
    with service_fields(PLEDGE_FIELDS):
        try:
            match = pledges.create_pledge(session, actor=me(), req=_pledge_request(c, body, key))
        except Conflict as exc:
            existing = session.exec(select(Match).where(Match.submission_key == key)).first() if key else None
            if existing is not None and "match_id" not in exc.params:
                exc.params["match_id"] = existing.id
            raise
    return _match_response(match.id or 0, 201, {"Location": url_for("api.match", match_id=match.id)})


# --- matches -------------------------------------------------------------------------------------------------


@bp.route("/v1/matches/<int:match_id>")
@access(ANY_USER)
def match(match_id: int):  # type: ignore[no-untyped-def]
    return _match_response(match_id)


@bp.route("/v1/matches/<int:match_id>/cancel", methods=["POST"])
@access("company")
def cancel(match_id: int):  # type: ignore[no-untyped-def]
    _visible_match(match_id)
    body = parse_body(CancelBody)
    pledges.cancel_pledge(get_session(), actor=me(), match_id=match_id, reason=body.reason)
    return _match_response(match_id)


DECISIONS = {"approve": Outcome.APPROVED, "reject": Outcome.REJECTED, "changes": Outcome.CHANGES_REQUESTED}


def _decide(match_id: int, decision: str) -> Any:
    """One officer decision: the object check first (404), then the body (400/422), then the shared path."""
    from ..recommendations import explain_match

    row = _visible_match(match_id)
    if row.contract.government_id != me().government_id:
        raise not_found()
    body: ApproveBody | ReasonBody = (
        parse_body(ApproveBody) if decision == "approve" else parse_body(ReasonBody)
    )
    seen_version = _if_match(row.match)
    approvals.decide(
        get_session(),
        actor=me(),
        explain=explain_match,
        decision=DecisionInput(
            match_id=match_id,
            outcome=DECISIONS[decision],
            reason=body.reason,
            agreed_value_cents=getattr(body, "agreed_value_cents", None),
            seen_version=seen_version,
        ),
    )
    return _match_response(match_id)


def _if_match(match: Match) -> int:
    """The version the caller saw, from the If-Match header carrying the match's ETag (from GET of the match).

    A decision without it is refused (428): an officer decides on the pledge they looked at, never blind.
    "*" says nothing about what was seen, so it counts as missing. A tag of an older version: 412.
    """
    raw = (request.headers.get("If-Match") or "").strip()
    tags = [t.strip() for t in raw.split(",") if t.strip() and t.strip() != "*"]
    if not tags:
        raise ApiProblem(
            428,
            "Precondition Required",
            gettext("Send the pledge's ETag in If-Match: GET the pledge, then decide on what you saw."),
            match_id=match.id,
        )
    for tag in tags:
        if etag_version(tag, "match", match.id or 0) == match.version:
            return match.version
    raise ApiProblem(
        412,
        "Precondition Failed",
        gettext("This pledge changed since you opened it. Look at it again before you decide."),
        match_id=match.id,
    )


@bp.route("/v1/matches/<int:match_id>/approve", methods=["POST"])
@access("officer")
def approve(match_id: int):  # type: ignore[no-untyped-def]
    return _decide(match_id, "approve")


@bp.route("/v1/matches/<int:match_id>/reject", methods=["POST"])
@access("officer")
def reject(match_id: int):  # type: ignore[no-untyped-def]
    return _decide(match_id, "reject")


@bp.route("/v1/matches/<int:match_id>/changes", methods=["POST"])
@access("officer")
def request_changes(match_id: int):  # type: ignore[no-untyped-def]
    return _decide(match_id, "changes")


@bp.route("/v1/matches/<int:match_id>/deliver", methods=["POST"])
@access("initiative", "company")
def deliver(match_id: int):  # type: ignore[no-untyped-def]
    """The receiving initiative confirms delivery; for hiring without an initiative, the company does."""
    _visible_match(match_id)
    body = parse_body(DeliverBody)
    deliveries.confirm_delivery(get_session(), actor=me(), match_id=match_id, note=body.note)
    return _match_response(match_id)


# --- contracts: the register of placed people, completion ----------------------------------------------------


@bp.route("/v1/contracts/<reference>/placements")
@access("company", "officer")
def contract_placements(reference: str):  # type: ignore[no-untyped-def]
    """The register of placed people: pseudonymous key prefixes and facts, never a person's reference."""
    session = get_session()
    c = _visible_contract(reference)
    page, per_page = _paging()
    stmt = (
        select(Match)
        .join(Placement, col(Placement.match_id) == Match.id)
        .where(Match.contract_id == c.id)
        .order_by(col(Placement.start_date), col(Match.id))
    )
    items, total = paginate(session, stmt, page, per_page)
    return _page_json([out.register_json(r) for r in match_rows(session, items)], total, page, per_page)


@bp.route("/v1/contracts/<reference>/complete", methods=["POST"])
@access("officer")
def complete_contract(reference: str):  # type: ignore[no-untyped-def]
    """The officer gives an incomplete contract what its frozen policy needs (the labour component)."""
    c = _visible_contract(reference)
    body = parse_body(CompletionBody)
    contract_service.complete_contract(
        get_session(),
        actor=me(),
        data=contract_service.CompletionInput(
            contract_id=c.id or 0, labour_component_cents=body.labour_component_cents
        ),
    )
    return _contract_detail(c)


# --- SMART plans ---------------------------------------------------------------------------------------------


def _plan_json(plan: SmartPlan) -> dict[str, Any]:
    session = get_session()
    c = session.get(Contract, plan.contract_id)
    ini = session.get(Initiative, plan.initiative_id)
    assert c is not None and ini is not None
    return out.smart_plan_json(plan, c.reference, ini)


@bp.route("/v1/contracts/<reference>/smart-plans")
@access("company", "officer")
def contract_smart_plans(reference: str):  # type: ignore[no-untyped-def]
    c = _visible_contract(reference)
    plans, initiatives = smart_plans_of(get_session(), c.id or 0)
    return _list_page([out.smart_plan_json(p, c.reference, initiatives[p.initiative_id]) for p in plans])


@bp.route("/v1/contracts/<reference>/smart-plans", methods=["POST"])
@access("company")
def submit_smart_plan(reference: str):  # type: ignore[no-untyped-def]
    """The company submits a SMART plan for a contribution to one initiative; the officer assesses it."""
    c = _own_contract(reference)
    body = parse_body(SmartPlanBody)
    plan = smart_plans.submit_smart_plan(
        get_session(),
        actor=me(),
        data=smart_plans.SmartPlanInput(
            contract_id=c.id or 0,
            initiative_id=body.initiative_id,
            goal=body.goal,
            target_group=body.target_group,
            roots=body.roots,
            participants=body.participants,
        ),
    )
    response = jsonify(_plan_json(plan))
    response.status_code = 201
    return response


def _decide_plan(plan_id: int, approve: bool) -> Any:
    """The object check first (404: the plan of a contract of another government), then the body."""
    plan = get_session().get(SmartPlan, plan_id) if plan_id <= MAX_ID else None
    contract = get_session().get(Contract, plan.contract_id) if plan is not None else None
    if plan is None or contract is None or contract.government_id != me().government_id:
        raise not_found()
    body: RemarkBody | ReasonBody = parse_body(RemarkBody) if approve else parse_body(ReasonBody)
    plan = smart_plans.decide_smart_plan(
        get_session(), actor=me(), plan_id=plan_id, approve=approve, reason=body.reason
    )
    return jsonify(_plan_json(plan))


@bp.route("/v1/smart-plans/<int:plan_id>/approve", methods=["POST"])
@access("officer")
def approve_smart_plan(plan_id: int):  # type: ignore[no-untyped-def]
    return _decide_plan(plan_id, approve=True)


@bp.route("/v1/smart-plans/<int:plan_id>/changes", methods=["POST"])
@access("officer")
def smart_plan_changes(plan_id: int):  # type: ignore[no-untyped-def]
    return _decide_plan(plan_id, approve=False)


# --- revisions -----------------------------------------------------------------------------------------------


@bp.route("/v1/matches/<int:match_id>/revisions")
@access("company", "officer")
def match_revisions(match_id: int):  # type: ignore[no-untyped-def]
    _visible_match(match_id)
    found = revisions.revisions_of(get_session(), [match_id]).get(match_id, [])
    return _list_page([out.revision_json(r) for r in found])


@bp.route("/v1/matches/<int:match_id>/revisions", methods=["POST"])
@access("company", "officer")
def propose_revision(match_id: int):  # type: ignore[no-untyped-def]
    """Propose a lower value for an approved or delivered contribution; the officer decides."""
    _visible_match(match_id)
    body = parse_body(RevisionBody)
    revision = revisions.propose_revision(
        get_session(),
        actor=me(),
        data=revisions.RevisionInput(
            match_id=match_id,
            kind=body.kind,
            reason=body.reason,
            new_end_date=body.new_end_date,
            new_quantity=body.new_quantity,
            new_value_cents=body.new_value_cents,
        ),
    )
    response = jsonify(out.revision_json(revision))
    response.status_code = 201
    return response


def _decide_revision(revision_id: int, approve: bool) -> Any:
    """The object check first (404: a revision of another government's contribution), then the body."""
    revision = get_session().get(Revision, revision_id) if revision_id <= MAX_ID else None
    if revision is None:
        raise not_found()
    _visible_match(revision.match_id)
    body: RemarkBody | ReasonBody = parse_body(RemarkBody) if approve else parse_body(ReasonBody)
    revision = revisions.decide_revision(
        get_session(), actor=me(), revision_id=revision_id, approve=approve, reason=body.reason
    )
    return jsonify(out.revision_json(revision))


@bp.route("/v1/revisions/<int:revision_id>/approve", methods=["POST"])
@access("officer")
def approve_revision(revision_id: int):  # type: ignore[no-untyped-def]
    return _decide_revision(revision_id, approve=True)


@bp.route("/v1/revisions/<int:revision_id>/reject", methods=["POST"])
@access("officer")
def reject_revision(revision_id: int):  # type: ignore[no-untyped-def]
    return _decide_revision(revision_id, approve=False)


# --- PSO certificates ----------------------------------------------------------------------------------------


@bp.route("/v1/certificates")
@access("company")
def company_certificates():  # type: ignore[no-untyped-def]
    found = certificates.certificates_of(get_session(), me().company_id or 0)
    return _list_page([out.certificate_json(c) for c in found])


@bp.route("/v1/certificates", methods=["POST"])
@access("company")
def add_certificate():  # type: ignore[no-untyped-def]
    """Register the company's PSO certificate; one of a level it already has renews that one."""
    body = parse_body(CertificateBody)
    cert = certificates.add_certificate(
        get_session(),
        actor=me(),
        data=certificates.CertificateInput(
            level=body.level, number=body.number, issued_on=body.issued_on, valid_until=body.valid_until
        ),
    )
    response = jsonify(out.certificate_json(cert))
    response.status_code = 201
    return response


# --- suppliers outside the catalogue -------------------------------------------------------------------------


def _recognitions() -> list[SupplierRow]:
    return supplier_recognitions(get_session(), me().government_id or 0)


@bp.route("/v1/suppliers")
@access("officer")
def supplier_list():  # type: ignore[no-untyped-def]
    """The officer's government's suppliers outside the catalogue, pending first."""
    return _list_page([out.recognition_json(r) for r in _recognitions()])


def _decide_supplier(recognition_id: int, recognise: bool) -> Any:
    """The object check first (404: a recognition of another government), then the body."""
    row = get_session().get(SupplierRecognition, recognition_id) if recognition_id <= MAX_ID else None
    if row is None or row.government_id != me().government_id:
        raise not_found()
    body: RemarkBody | ReasonBody = parse_body(RemarkBody) if recognise else parse_body(ReasonBody)
    with service_fields({"note": "reason"}):
        suppliers.decide_recognition(
            get_session(), actor=me(), recognition_id=recognition_id, recognise=recognise, note=body.reason
        )
    return jsonify(
        out.recognition_json(next(r for r in _recognitions() if r.recognition.id == recognition_id))
    )


@bp.route("/v1/suppliers/<int:recognition_id>/recognise", methods=["POST"])
@access("officer")
def recognise_supplier(recognition_id: int):  # type: ignore[no-untyped-def]
    return _decide_supplier(recognition_id, recognise=True)


@bp.route("/v1/suppliers/<int:recognition_id>/refuse", methods=["POST"])
@access("officer")
def refuse_supplier(recognition_id: int):  # type: ignore[no-untyped-def]
    return _decide_supplier(recognition_id, recognise=False)


# --- public: search and initiatives --------------------------------------------------------------------------


@bp.route("/v1/search")
@access(PUBLIC)
def search():  # type: ignore[no-untyped-def]
    page, per_page = _paging()
    for name in ("q", "sort", "near"):
        _single_arg(name)
    query = dataclasses.replace(search_query_from_args(request.args, per_page=per_page), page=page)
    try:
        result = get_backend().search(query)
    except SearchError:
        current_app.logger.warning("search unavailable for the API", exc_info=True)
        raise ApiProblem(
            503,
            "Service Unavailable",
            gettext(
                "Search is unavailable right now. Try again in a moment; the catalogue page "
                "still lists every initiative."
            ),
            headers={"Retry-After": "30"},
        ) from None
    return jsonify(out.search_json(result))


@bp.route("/v1/initiatives/<slug>")
@access(PUBLIC)
def initiative(slug: str):  # type: ignore[no-untyped-def]
    session = get_session()
    ini = session.exec(select(Initiative).where(Initiative.slug == slug[:80])).first()
    if ini is None or not ini.published:
        raise not_found()
    return jsonify(
        out.initiative_json(
            ini,
            handprint(session, ini.id or 0),
            needs_of(session, ini.id or 0, only_open=True),
            eligible_governments(session, ini.id or 0),
        )
    )
