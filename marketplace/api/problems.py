"""Errors of the JSON API as RFC 9457 problem details (application/problem+json)."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..i18n import error_text
from ..services.errors import ServiceError

# Service field names -> the API's field names, where they differ (on every endpoint).
API_FIELDS = {
    "need": "need_id",
    "initiative": "initiative_id",
    "agreed_value": "agreed_value_cents",
    "certificate": "certificate_id",
    "smart_plan": "smart_plan_id",
}
# On the pledge and valuation endpoints: the placement's and the supplier's fields are nested objects.
# The months and weeks a person block is valued with come from the placement's dates.
PLEDGE_FIELDS = {
    **{
        name: f"placement.{name}"
        for name in (
            "person_reference",
            "target_group",
            "proof_kind",
            "employment",
            "age_band",
            "hours_per_week",
            "start_date",
            "end_date",
        )
    },
    "months": "placement.end_date",
    "weeks": "placement.end_date",
    **{
        f"supplier_{name}": f"supplier.{name}"
        for name in ("kvk", "name", "kind", "basis", "evidence", "city")
    },
}
TITLES = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


class ApiProblem(Exception):
    """Raised by API views; the blueprint answers it as a problem document."""

    def __init__(
        self, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def from_service(exc: ServiceError, fields: Mapping[str, str] | None = None) -> ApiProblem:
    """A service refusal as a problem: validation -> 422 with the field, otherwise the service's status.

    `fields` renames the service's field names for one endpoint (before the names in API_FIELDS).
    """
    status = 422 if exc.status == 400 else exc.status
    extra: dict[str, Any] = {}
    if exc.field:
        field = (fields or {}).get(exc.field, exc.field)
        extra["field"] = API_FIELDS.get(field, field)
    if status == 409 and isinstance(exc.params.get("match_id"), int):
        extra["match_id"] = exc.params["match_id"]
    return ApiProblem(status, TITLES.get(status, "Error"), error_text(exc), **extra)


def not_found() -> ApiProblem:
    from flask_babel import gettext

    return ApiProblem(404, "Not Found", gettext("This page does not exist, or it is not yours to see."))


@contextmanager
def service_fields(fields: Mapping[str, str]) -> Iterator[None]:
    """Inside the block, a service refusal names the endpoint's fields (see `from_service`)."""
    try:
        yield
    except ServiceError as exc:
        raise from_service(exc, fields) from None
