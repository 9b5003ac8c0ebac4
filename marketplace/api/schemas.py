"""Request bodies of the JSON API: pydantic models, and their errors as translated problem details.

The models check shape and type only (whole numbers, text, lists, hard size limits that keep the
database safe). The domain ranges (at most 40 hours a week, at most one billion euro, ...) stay in
the services, which say what is wrong in the user's language.
"""

from typing import Annotated, Any, TypeVar

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


class PledgeBody(Body):
    """A pledge to value or to submit. `quantity` is in cents for money blocks (euro_spent, by_agreement),
    persons for employment and internship blocks, hours or days otherwise."""

    block: Code = Field(description="Building-block code from the contract's valuation table.")
    quantity: Number | None = Field(
        default=None, description="Cents for money blocks; persons, hours or days otherwise."
    )
    need_id: Id | None = Field(default=None, description="The need this pledge serves.")
    initiative_id: Id | None = Field(
        default=None, description="The initiative or social firm, when there is no need."
    )
    hours_per_week: SmallNumber | None = Field(
        default=None, description="Employment blocks: hours a week (of 36)."
    )
    months: SmallNumber | None = Field(default=None, description="Employment blocks: months of employment.")
    weeks: SmallNumber | None = Field(default=None, description="Internship blocks: weeks (of 52).")
    bonuses: list[Code] = Field(default_factory=list, max_length=20, description="Bonus block codes.")
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


def _bounds(model: type[BaseModel], name: str) -> tuple[Any, Any]:
    info = model.model_fields.get(name)
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
    name = str(error["loc"][0]) if error["loc"] else ""
    params: dict[str, Any] = {}
    if kind == "missing":
        msg = N_("This field is required.")
    elif kind.startswith("int_"):
        msg = N_("Enter a whole number.")
    elif kind in ("greater_than_equal", "less_than_equal"):
        msg = N_("Enter a number from %(low)s to %(high)s.")
        params["low"], params["high"] = _bounds(model, name)
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
        items = [
            {"field": ".".join(str(p) for p in e["loc"][:1]) or "_body", "detail": _message(model, e)}
            for e in errors
        ]
        first = items[0]
        raise ApiProblem(
            422, "Unprocessable Content", first["detail"], field=first["field"], errors=items
        ) from None
