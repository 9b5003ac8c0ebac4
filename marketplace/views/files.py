"""Serving evidence files: only to whom the service allows, never cached, never rendered inline as HTML."""

from io import BytesIO

from flask import send_file

from ..services.errors import ServiceError
from ..services.reports import evidence_file
from ..storage import storage
from ._helpers import abort, get_session, me


def send_evidence(evidence_id: int):  # type: ignore[no-untyped-def]
    try:
        record, data = evidence_file(get_session(), me(), evidence_id, storage())
    except ServiceError:
        abort(404)
    except FileNotFoundError:
        abort(404)
    # Images (checked by content when stored) show inline in a sandbox; PDFs download to the reader's viewer.
    response = send_file(
        BytesIO(data),
        mimetype=record.content_type,
        download_name=record.filename,
        max_age=0,
        as_attachment=record.content_type == "application/pdf",
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
