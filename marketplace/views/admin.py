"""Admin pages (being built)."""

from flask import Blueprint, render_template

from ..authz import access

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@access("admin")
def index():  # type: ignore[no-untyped-def]
    return render_template("error.html", code=200, message="admin")
