"""What anyone can see: the start page, the catalogue with search and facets, initiative pages."""

import contextlib
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import text
from sqlmodel import select

from search import SearchError

from ..authz import PUBLIC, access
from ..models import Government, Initiative
from ..models._base import utcnow
from ..queries import (
    CatalogueFilters,
    catalogue_from_db,
    current_policies,
    eligible_governments,
    handprint,
    municipalities,
    needs_of,
)
from ..queries_reports import received_by_initiative
from ..search_sync import get_backend, pending_count
from ._helpers import abort, get_session, page_arg
from .filter_forms import CatalogueFilterForm

bp = Blueprint("public", __name__)


@bp.route("/")
@access(PUBLIC)
def home():  # type: ignore[no-untyped-def]
    session = get_session()
    governments = session.exec(select(Government).order_by(Government.name)).all()
    policies = current_policies(session, [g.id or 0 for g in governments], utcnow().date())
    return render_template("public/home.html", governments=governments, policies=policies)


@bp.route("/catalogue")
@access(PUBLIC)
def catalogue():  # type: ignore[no-untyped-def]
    session = get_session()
    form = CatalogueFilterForm()
    query = form.query()
    result = None
    fallback = None
    try:
        result = get_backend().search(query)
    except SearchError:
        current_app.logger.warning("search unavailable; catalogue falls back to the database", exc_info=True)
        f = CatalogueFilters(
            q=query.text,
            theme=form.first("theme"),
            municipality=form.first("municipality"),
            kind=form.first("kind"),
            need_kind=form.first("need_kind"),
            government=form.first("government"),
        )
        fallback = catalogue_from_db(session, f, page=page_arg())
    governments = session.exec(select(Government).order_by(Government.name)).all()
    return render_template(
        "public/catalogue.html",
        result=result,
        fallback=fallback,
        query=query,
        governments=governments,
        municipalities=municipalities(session),
        args=form.link_args(),
        shown=form.values(),
        errors=form.all_errors,
        distance_without_origin=form.first("sort") == "distance" and query.sort != "distance",
    ), form.http_status


@bp.route("/initiatives/<slug>")
@access(PUBLIC)
def initiative(slug: str):  # type: ignore[no-untyped-def]
    session = get_session()
    ini = session.exec(select(Initiative).where(Initiative.slug == slug[:80])).first()
    if ini is None or not ini.published:
        abort(404)
    scores = handprint(session, ini.id or 0)
    return render_template(
        "public/initiative.html",
        initiative=ini,
        scores=scores,
        score_map={h.theme: h.score for h in scores},
        needs=needs_of(session, ini.id or 0, only_open=True),
        governments=eligible_governments(session, ini.id or 0),
        received=received_by_initiative(session, ini.id or 0),
    )


@bp.route("/favicon.ico")
@access(PUBLIC)
def favicon():  # type: ignore[no-untyped-def]
    """Browsers ask for /favicon.ico whatever the page says; answer it rather than log a 404."""
    from flask import send_from_directory

    return send_from_directory(current_app.static_folder or "static", "favicon.ico", max_age=86400)


@bp.route("/healthz")
@access(PUBLIC)
def healthz():  # type: ignore[no-untyped-def]
    """ok, degraded (search is down: the catalogue answers from the database) or down (503): nothing more.

    The detail (backends, versions, counts, errors) is for admins: /admin/health.
    """
    body, code = health_report()
    return jsonify({"status": body["status"]}), code


def health_report() -> tuple[dict[str, Any], int]:
    """Database and search status in detail; 503 when the database is down."""
    session = get_session()
    body: dict[str, Any] = {"status": "ok"}
    try:
        session.execute(text("SELECT 1"))
        body["database"] = {"status": "ok", "dialect": session.get_bind().dialect.name}
    except Exception as exc:  # report, never raise
        body["database"] = {"status": "down", "detail": type(exc).__name__}
        body["status"] = "down"
    try:
        search = get_backend().health()
    except Exception as exc:
        search = {"status": "down", "detail": type(exc).__name__}
    if body["database"]["status"] == "ok":
        with contextlib.suppress(Exception):
            search["pending_changes"] = pending_count(session)
    body["search"] = search
    if body["status"] == "ok" and search.get("status") != "ok":
        body["status"] = "degraded"
    return body, (503 if body["status"] == "down" else 200)
