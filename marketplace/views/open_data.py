"""Open data for anyone: the page that explains it, the figures as CSV and JSON, and their schema."""

from flask import Blueprint, Response, jsonify, render_template, request

from .. import open_data
from ..authz import PUBLIC, access
from ..exports import CSV_MIMETYPE, csv_stream
from ..models._base import utcnow
from ._helpers import get_session

bp = Blueprint("open_data", __name__, url_prefix="/open-data")


def _base_url() -> str:
    return request.url_root.rstrip("/")


@bp.route("")
@access(PUBLIC)
def index():  # type: ignore[no-untyped-def]
    rows = open_data.figures(get_session())
    return render_template(
        "public/open_data.html",
        rows=rows,
        threshold=open_data.THRESHOLD,
        licence=open_data.LICENCE,
        licence_url=open_data.LICENCE_URL,
        columns=open_data.COLUMNS,
        suppressed=sum(1 for r in rows if r["suppressed"]),
    )


@bp.route("/figures.csv")
@access(PUBLIC)
def figures_csv():  # type: ignore[no-untyped-def]
    rows = open_data.figures(get_session())
    body = "".join(csv_stream(open_data.COLUMNS, ([r[c] for c in open_data.COLUMNS] for r in rows)))
    return Response(
        body.encode("utf-8"),
        mimetype=CSV_MIMETYPE,
        headers={
            "Content-Disposition": 'inline; filename="srx-figures.csv"',
            "Access-Control-Allow-Origin": "*",
        },
    )


@bp.route("/figures.json")
@access(PUBLIC)
def figures_json():  # type: ignore[no-untyped-def]
    response = jsonify(open_data.document(get_session(), now=utcnow(), base_url=_base_url()))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/schema.json")
@access(PUBLIC)
def schema():  # type: ignore[no-untyped-def]
    response = jsonify(open_data.schema(_base_url()))
    response.content_type = "application/schema+json"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
