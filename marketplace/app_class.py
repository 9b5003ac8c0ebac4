"""SRX's Flask class: Flask with URLs built once per process.

A page builds 40-60 URLs (the menu, a link per row); werkzeug's `MapAdapter.build` takes about a tenth of a
list page's CPU. Inside a request an internal URL depends only on the endpoint, its values and the script
root (the url map does not change once the app serves, and SRX registers no `url_defaults`), so it is kept.
Anything else (an external URL, an anchor, a method, a blueprint-relative endpoint, a value that cannot be a
dictionary key) goes to Flask's own `url_for`, as does every first build, so a build error stays Flask's.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.globals import _cv_request

_MAX_KEPT = 20_000


class SRXFlask(Flask):
    _kept_urls: dict[tuple[Any, ...], str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept_urls = {}

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        req_ctx = _cv_request.get(None)
        if (
            req_ctx is None
            or _anchor is not None
            or _method is not None
            or _scheme is not None
            or _external
            or endpoint[:1] == "."
            or self.url_default_functions
        ):
            return super().url_for(
                endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
            )
        # The type is part of the key: page=1 and page=True are equal keys but different URLs.
        key = (req_ctx.request.script_root, endpoint, *((k, type(v), v) for k, v in sorted(values.items())))
        try:
            url = self._kept_urls.get(key)
        except TypeError:  # a list or another value that is no dictionary key
            return super().url_for(endpoint, **values)
        if url is None:
            url = super().url_for(endpoint, **values)
            if len(self._kept_urls) >= _MAX_KEPT:
                self._kept_urls.clear()
            self._kept_urls[key] = url
        return url
