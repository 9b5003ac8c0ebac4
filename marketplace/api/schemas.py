"""Request bodies of the JSON API: pydantic models, and their errors as translated problem details.

The models check shape and type only (whole numbers, text, lists, hard size limits that keep the
database safe). The domain ranges (at most 40 hours a week, at most one billion euro, ...) stay in
the services, which say what is wrong in the user's language.
"""

import types
from datetime import date
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from annotated_types import Ge, Le
from flask import request
from flask_babel import gettext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..services.errors import N_
from .problems import ApiProblem

M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 64 * 1024
# Ids are 32-bit in PostgreSQL; anything larger cannot exist.
MAX_ID = 2**31 - 1
# Paging of every list endpoint (the OpenAPI document states them).
MAX_PAGE = 1_000_000
MAX_PER_PAGE = 100
# Hard bound for amounts and quantities: far above any domain limit, far below BIGINT.
MAX_NUMBER = 10**12
MAX_TEXT = 20_000

Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Number = Annotated[int, Field(strict=True, ge=-MAX_NUMBER, le=MAX_NUMBER)]
SmallNumber = Annotated[int, Field(strict=True, ge=-1_000_000, le=1_000_000)]
Code = Annotated[str, Field(strict=True, max_length=60)]
Text = Annotated[str, Field(strict=True, max_length=MAX_TEXT)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PlacementBody(Body):
    """The person a paid-work, internship or work-learning block counts: facts, never a name or a BSN."""

    person_reference: Annotated[str, Field(strict=True, max_length=100)] = Field(
        description="The reference the company keeps for this person (personnel or WSP candidate number). "
        "It is turned into a pseudonymous key at once; it is never stored, logged or returned."
    )
    target_group: Code = Field(
        description="Target-group code (participatiewet, banenafspraak, ww, wia, ...)."
    )
    proof_kind: Code = Field(
        description="How the target group is shown: uwv_doelgroepregister, benefit_letter, school, "
        "wsp_statement."
    )
    employment: Code = Field(description="permanent, temporary, internship or work_learning.")
    start_date: date = Field(description="First day of the placement, within the contract's term.")
    end_date: date = Field(description="Last day of the placement, within the contract's term.")
    hours_per_week: SmallNumber = Field(description="Hours a week (of 36).")
    age_band: Code = Field(default="under_50", description="under_50, 50_54 or 55_plus (for age bonuses).")
    statushouder_or_language: bool = Field(default=False, description="Statushouder or language gap.")
    after_vso_pro_internship: bool = Field(
        default=False, description="Hired after a VSO/PrO internship of at least 6 months."
    )
    occupational_disability: bool = Field(default=False, description="Occupational disability (incl. IPS).")


class SupplierBody(Body):
    """A social firm or SW-bedrijf outside the catalogue, by KvK number; the officer recognises it."""

    kvk: Code = Field(description="KvK number, 8 digits.")
    name: Text = Field(description="The supplier's name.")
    kind: Code = Field(description="social_firm or sw_company.")
    basis: Code = Field(
        description="Why it counts: pso_30plus, government_list, social_firm_criteria or sw_company."
    )
    evidence: Text = Field(default="", description="What shows it, for the officer.")
    city: Text = Field(default="", description="Where it is established.")


class PledgeBody(Body):
    """A pledge to value or to submit. `quantity` is in cents for money blocks (euro_spent, by_agreement),
    hours or days otherwise; person blocks (fte_year, internship_year) take a `placement` instead, and
    their bonuses follow from the person."""

    block: Code = Field(description="Building-block code from the contract's valuation table.")
    quantity: Number | None = Field(
        default=None,
        description="Cents for money blocks; hours or days otherwise; 1 for a certificate block. Not for "
        "person blocks: a placement is one person.",
    )
    need_id: Id | None = Field(default=None, description="The need this pledge serves.")
    initiative_id: Id | None = Field(
        default=None, description="The initiative or social firm, when there is no need."
    )
    placement: PlacementBody | None = Field(
        default=None, description="Required for person blocks (fte_year, internship_year): the person placed."
    )
    certificate_id: Id | None = Field(
        default=None,
        description="Certificate blocks: the company's PSO certificate (GET /api/v1/certificates).",
    )
    supplier: SupplierBody | None = Field(
        default=None, description="A purchase from a social firm or SW-bedrijf outside the catalogue."
    )
    smart_plan_id: Id | None = Field(
        default=None,
        description="Routes for which the government asks a SMART plan: the approved plan of this contract "
        "and initiative.",
    )
    note: Text = Field(default="", description="A note for the officer.")


class PreviewBody(PledgeBody):
    note: Text = Field(default="", description="Ignored by the valuation.")


class CancelBody(Body):
    reason: Text = Field(default="", description="Why the pledge is withdrawn.")


class ApproveBody(Body):
    reason: Text = Field(default="", description="Optional remark for the company.")
    agreed_value_cents: Number | None = Field(
        default=None, description="Required for blocks valued by agreement: the value the officer sets."
    )


class ReasonBody(Body):
    reason: Text = Field(description="Required: what the company should know or change.")


class DeliverBody(Body):
    note: Text = Field(default="", description="What was received.")


class RemarkBody(Body):
    reason: Text = Field(default="", description="Optional remark.")


class RevisionBody(Body):
    """A lower value for an approved contribution; give the one input its kind needs."""

    kind: Code = Field(description="ended_early, invoiced_lower, did_not_happen or other.")
    reason: Text = Field(description="Why the value is lower.")
    new_end_date: date | None = Field(
        default=None, description="ended_early: the placement's new last day (before the current one)."
    )
    new_quantity: Number | None = Field(
        default=None, description="Less than now counted: hours or days, or the invoiced amount in cents."
    )
    new_value_cents: Number | None = Field(
        default=None, description="Blocks valued by agreement or 'at most': the new value in cents."
    )


class CertificateBody(Body):
    level: Code = Field(description="PSO level: aspirant, trede_1, trede_2, trede_3 or 30plus.")
    number: Text = Field(default="", description="The certificate's number.")
    issued_on: date = Field(description="Day of issue.")
    valid_until: date = Field(description="Last valid day; at most two years after issue.")


class SmartPlanBody(Body):
    """A concise SMART plan for a contribution to one initiative, assessed by the officer first."""

    initiative_id: Id = Field(description="The initiative the contribution goes to (one that counts).")
    goal: Text = Field(description="What the contribution achieves, measurably and in time.")
    target_group: Text = Field(description="Who it is for.")
    roots: Text = Field(description="How the initiative is rooted in the neighbourhood.")
    participants: Text = Field(description="Who takes part.")


class CompletionBody(Body):
    labour_component_cents: Number = Field(
        description="The contract's labour component in cents, which its frozen policy needs."
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    """The body field to blame: nested objects dotted (placement.start_date), list positions left out."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            break
        parts.append(str(part))
    return ".".join(parts) or "_body"


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside `Model | None`, or None when the annotation holds no model."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        return next((m for m in map(_nested_model, get_args(annotation)) if m is not None), None)
    return None


def _bounds(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, Any]:
    info = None
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or not isinstance(part, str):
            break
        info = current.model_fields.get(part)
        current = _nested_model(info.annotation) if info else None
    low = high = None
    for meta in info.metadata if info else ():
        if isinstance(meta, Ge):
            low = meta.ge
        elif isinstance(meta, Le):
            high = meta.le
    return low, high


def _message(model: type[BaseModel], error: Any) -> str:
    """A pydantic error in the user's language (the msgids are shared with the forms where they can be)."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    params: dict[str, Any] = {}
    if kind == "missing":
        msg = N_("This field is required.")
    elif kind.startswith("int_"):
        msg = N_("Enter a whole number.")
    elif kind in ("greater_than_equal", "less_than_equal"):
        msg = N_("Enter a number from %(low)s to %(high)s.")
        params["low"], params["high"] = _bounds(model, tuple(error["loc"]))
    elif kind.startswith("date_"):
        msg = N_("Enter a date as YYYY-MM-DD.")
    elif kind == "bool_type":
        msg = N_("Enter true or false.")
    elif kind == "string_type":
        msg = N_("Enter text.")
    elif kind == "string_too_long":
        msg, params["max"] = N_("Too long: at most %(max)s characters."), ctx.get("max_length")
    elif kind == "list_type":
        msg = N_("Enter a list of codes.")
    elif kind == "too_long":
        msg, params["max"] = N_("Too many values: at most %(max)s."), ctx.get("max_length")
    elif kind == "extra_forbidden":
        msg = N_("Unknown field.")
    else:
        msg = N_("This value is not valid.")
    return str(gettext(msg, **params))


def parse_body(model: type[M]) -> M:
    """The request's JSON body as `model`; ApiProblem 400/413/415/422 when it is not."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise ApiProblem(413, "Content Too Large", gettext("That was too much data at once."))
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiProblem(413, "Content Too Large", gettext("That was too much data at once."))
    if not raw.strip():
        raw = b"{}"
    elif not request.is_json:
        raise ApiProblem(
            415,
            "Unsupported Media Type",
            gettext("Send the body as JSON with the header Content-Type: application/json."),
        )
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if any(
            e["type"] in ("json_invalid", "json_type", "model_type", "model_attributes_type") and not e["loc"]
            for e in errors
        ) or any(e["type"] == "json_invalid" for e in errors):
            raise ApiProblem(400, "Bad Request", gettext("The body must be a JSON object.")) from None
        items = [{"field": _field_name(tuple(e["loc"])), "detail": _message(model, e)} for e in errors]
        first = items[0]
        raise ApiProblem(
            422, "Unprocessable Content", first["detail"], field=first["field"], errors=items
        ) from None
