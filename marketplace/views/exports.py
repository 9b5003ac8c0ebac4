"""Downloads of the lists a user sees: /exports/<dataset>.<csv|xlsx>, with the list's filters.

Who sees what is the list pages' rule: a company its own contracts, an officer the government it acts for,
an initiative the pledges made to it. A contract filter outside that answers 404, like the contract page.
"""

from collections.abc import Iterable, Iterator

from flask import Blueprint, Response, stream_with_context
from sqlmodel import Session

from ..authz import access
from ..exports import CSV_MIMETYPE, FORMATS, XLSX_MIMETYPE, csv_stream, xlsx_stream
from ..models._base import utcnow
from ..queries_exports import ROLE_DATASETS, Filters, contract_in_scope, datasets, scope_for
from ._helpers import abort, acting_government_id, get_session, me
from .filter_forms import ExportArgs

bp = Blueprint("exports", __name__)


def _closing(session: Session, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The rows are read while the answer streams, after the request's teardown closed the session (Flask
    pushes the contexts again only while the stream runs, and the session is no longer on `g`): reading
    starts a new transaction there that nothing else would end. It ends with the stream, however that ends;
    before, each download left a connection idle in transaction until the garbage collector came by."""
    try:
        yield from chunks
    finally:
        session.close()


@bp.route("/exports/<dataset>.<fmt>")
@access("company", "initiative", "officer", "adviser")
def download(dataset: str, fmt: str):  # type: ignore[no-untyped-def]
    session = get_session()
    user = me()
    if fmt not in FORMATS or dataset not in ROLE_DATASETS.get(user.role, ()):
        abort(404)
    scope = scope_for(session, user, acting_government_id())
    if scope is None:
        abort(404)
    spec = datasets()[dataset]
    args = ExportArgs(statuses=spec.statuses)
    if args.contract.errors:
        abort(404)  # not a contract id: like a contract outside the scope
    contract_id = args.contract.data
    if contract_id is not None and not contract_in_scope(session, scope, contract_id):
        abort(404)
    if not args.valid:
        abort(400)  # a status the list does not have: no download of something else than asked
    filters = Filters(contract_id=contract_id, status=args.status.data or "")
    rows = spec.rows(session, scope, filters)
    name = f"srx-{dataset}-{utcnow().date().isoformat()}.{fmt}"
    if fmt == "csv":
        chunks: Iterable[bytes] = (chunk.encode("utf-8") for chunk in csv_stream(spec.columns, rows))
        mimetype = CSV_MIMETYPE
    else:
        chunks = xlsx_stream(spec.columns, rows, sheet=dataset)
        mimetype = XLSX_MIMETYPE
    body = stream_with_context(_closing(session, chunks))
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
