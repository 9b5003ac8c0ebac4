"""The input boundary: what no route may receive, refused once for every route before any view runs.

- A NUL byte anywhere (the path, a query argument, a form field or a file name, a JSON string or key):
  PostgreSQL cannot store one in text, and no real input contains one. The API answers 400 problem+json
  naming the field; a page answers 400 with a page that says what was wrong.
- Whole numbers from request input go through `parse_int`: ASCII digits only (str.isdigit() also accepts
  "²", which int() refuses, and int() accepts Arabic-Indic digits), a bounded length (int() refuses more
  than 4,300 digits), and a range (ids beyond 64 bits cannot reach the database).
- `<int:...>` in a route takes ASCII digits only, up to the largest integer primary key; anything else is
  404 at routing (see `BoundedIntConverter`).
- An anonymous call to an API route that needs a login is 401 before the CSRF check could say 400.
"""

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from flask import Flask, render_template, request, session
from flask_babel import gettext
from werkzeug.routing import IntegerConverter

MAX_INT64 = 2**63 - 1
MAX_ID = 2**31 - 1  # integer primary keys


def parse_int(value: Any, *, low: int = -MAX_INT64, high: int = MAX_INT64) -> int | None:
    """A whole number typed as ASCII digits (an optional leading minus), within [low, high]; else None."""
    text = str(value if value is not None else "").strip()
    digits = text[1:] if text[:1] == "-" else text
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 19:
        return None
    number = int(text)
    return number if low <= number <= high else None


class BoundedIntConverter(IntegerConverter):
    """`<int:...>`: ASCII digits only (the default \\d+ also matches other scripts' digits), at most an id."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _strings(value: Any, name: str) -> Iterator[tuple[str, str]]:
    """(field name, text) of every key and string in a JSON value."""
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield name, str(key)
            yield from _strings(item, f"{name}.{key}" if name else str(key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _strings(item, f"{name}[{n}]")


def _inputs() -> Iterator[tuple[str, str]]:
    yield "path", request.path
    for key, value in request.args.items(multi=True):
        yield key, key
        yield key, value
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if request.mimetype != "multipart/form-data":
        # Keep the body: the view reads it again (the form is parsed from this copy, the API reads the bytes).
        raw = request.get_data(cache=True)
        if request.is_json and b"\\u0000" in raw:
            with contextlib.suppress(ValueError):  # the view answers a malformed body
                yield from _strings(json.loads(raw), "")
        if request.mimetype != "application/x-www-form-urlencoded":
            if b"\x00" in raw:
                yield "body", "\x00"
            return
    for key, value in request.form.items(multi=True):
        yield key, key
        yield key, value
    for key, file in request.files.items(multi=True):
        yield key, file.filename or ""


def nul_field() -> str | None:
    """The first field of the request that holds a NUL byte, or None."""
    for name, text in _inputs():
        if "\x00" in text:
            return name
    return None


def _refuse_nul() -> Any:
    field = nul_field()
    if field is None:
        return None
    text = gettext("The request contains a NUL byte (in %(field)s); remove it and try again.", field=field)
    if request.path.startswith("/api/") or request.path == "/healthz":
        from . import problem

        return problem(400, "Bad Request", text, field=field)
    return render_template("error.html", code=400, message=text), 400


def _api_login_first() -> Any:
    """An anonymous API call to a route that needs a login: 401, before CSRF could answer 400."""
    if not request.path.startswith("/api/") or "_user_id" in session:
        return None
    if "Authorization" in request.headers:
        return None  # a token call: api/tokens.py authenticates it (or answers 401 with the Bearer scheme)
    from .authz import PUBLIC, access_of

    view = request.url_rule and request.endpoint and _view_function(request.endpoint)
    roles = access_of(view) if view else None
    if roles is None or PUBLIC in roles:
        return None
    from . import problem

    response = problem(401, "Unauthorized", gettext("Log in first."))
    response.headers["WWW-Authenticate"] = 'Cookie realm="srx", cookie-name="session"'
    return response


def _view_function(endpoint: str) -> Any:
    from flask import current_app

    return current_app.view_functions.get(endpoint)


def init_app(app: Flask) -> None:
    """Install the boundary; call before the CSRF extension so that these checks come first."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_refuse_nul)
    app.before_request(_api_login_first)
