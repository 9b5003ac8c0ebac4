"""The bare reference page: one SQL select of 20 rows and a Jinja template, as a tiny WSGI app.

`python -m bench pages` serves it beside SRX under the same gunicorn settings; the ratio of a page's
requests/s to this page's is what the pages benchmark reports. Run: gunicorn -c gunicorn.conf.py
'bench.bare:app'. It reads DATABASE_URL like the app, through the app's own engine settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from jinja2 import Environment
from sqlalchemy import text

from marketplace.db import make_engine

TEMPLATE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
<table>{% for row in rows %}<tr><td>{{ row.id }}</td><td>{{ row.name }}</td><td>{{ row.slug }}</td></tr>
{% endfor %}</table></main></body></html>
"""

_engine = make_engine(os.environ.get("DATABASE_URL", "sqlite:///instance/srx.sqlite3"))
_template = Environment(autoescape=True).from_string(TEMPLATE)
_SQL = text("SELECT id, name, slug FROM initiative ORDER BY id LIMIT 20")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    with _engine.connect() as conn:
        rows = conn.execute(_SQL).mappings().all()
    body = _template.render(title="Initiatieven", rows=rows).encode()
    start_response(
        "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]
