"""JSON API /api/v1 plus /api/openapi.json.

Errors are RFC 9457 problem documents (application/problem+json): service refusals become 404, 409 or
422 (with the field), bad bodies 400/413/415/422; the app's handlers cover 401, 403, 405 and 500.
"""

from typing import Any

from flask import Blueprint, jsonify, session

from ..authz import PUBLIC, access
from ..services.errors import ServiceError
from .problems import ApiProblem, from_service

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.errorhandler(ApiProblem)
def _api_problem(exc: ApiProblem) -> Any:
    from .. import problem

    response = problem(exc.status, exc.title, exc.detail, **exc.extra)
    response.headers.update(exc.headers)
    return response


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> Any:
    return _api_problem(from_service(exc))


@bp.before_request
def _bearer() -> None:
    """A call with `Authorization: Bearer` is the token's (api/tokens.py)."""
    from .tokens import authenticate_bearer

    authenticate_bearer()


@bp.after_request
def _no_store(response: Any) -> Any:
    """Answers for a logged-in caller are theirs alone: no shared caches.

    Reads Flask-Login's marker in the session, not `current_user`: after the 500 handler has rolled
    back and closed the database session, the user row can no longer be loaded.
    """
    from flask import g

    if "_user_id" in session or g.get("api_token") is not None:
        response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Cookie")
    return response


@bp.route("/openapi.json")
@access(PUBLIC)
def openapi_document():  # type: ignore[no-untyped-def]
    from .openapi import document

    return jsonify(document())


# Registers the /api/v1 routes on bp (v1_lifecycle: plans, reports, progress, settlement).
from . import v1, v1_lifecycle  # noqa: E402,F401
