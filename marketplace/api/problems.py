"""Errors of the JSON API as RFC 9457 problem details (application/problem+json)."""

from typing import Any

from ..i18n import error_text
from ..services.errors import ServiceError

# Service field names -> the API's field names, where they differ.
API_FIELDS = {"need": "need_id", "initiative": "initiative_id", "agreed_value": "agreed_value_cents"}
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


def from_service(exc: ServiceError) -> ApiProblem:
    """A service refusal as a problem: validation -> 422 with the field, otherwise the service's status."""
    status = 422 if exc.status == 400 else exc.status
    extra: dict[str, Any] = {}
    if exc.field:
        extra["field"] = API_FIELDS.get(exc.field, exc.field)
    if status == 409 and isinstance(exc.params.get("match_id"), int):
        extra["match_id"] = exc.params["match_id"]
    return ApiProblem(status, TITLES.get(status, "Error"), error_text(exc), **extra)


def not_found() -> ApiProblem:
    from flask_babel import gettext

    return ApiProblem(404, "Not Found", gettext("This page does not exist, or it is not yours to see."))
