"""Errors the service layer raises; views turn them into form errors or JSON problems.

A refusal also tells the request's boundary to store nothing, whatever the view answers (a form shown
again, or a redirect with a message): see marketplace/db.py.
"""

from typing import Any

from flask import g, has_app_context

REFUSED = "srx_refused"


def N_(message: str) -> str:
    """Mark a message for translation; it is translated where it is shown."""
    return message


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params
        if has_app_context():
            setattr(g, REFUSED, True)


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class RateLimited(ServiceError):
    status = 429
    title = "Too many requests"
