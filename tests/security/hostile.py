"""Hostile requests generated from the URL map, the forms on every page and the OpenAPI bodies.

For one role, `hostile_requests` yields (method, url, kwargs, label) tuples:
- every URL parameter of every route, replaced by each hostile value;
- every GET route with every known query argument set to each hostile value (one request per value);
- every form found on the role's own pages (GET forms too): every field at once set to each hostile value,
  then each field alone with two hostile values (sampled: value n and n+3 of the list for field n), the other
  fields keeping the page's own values;
- every API POST route with its body's properties set to each hostile value, and to an integer beyond 64 bits.
The full cross product (field x value x role) would be about ten times larger; the sample still sends every
value to every field of every form as part of the all-fields requests.
"""

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

HUGE = 10**30
VALUES: dict[str, str] = {
    "superscript digit": "²",
    "arabic-indic digits": "١٢٣",
    "id beyond 64 bits": str(HUGE),
    "just beyond int64": str(2**63),
    "negative": "-1",
    "NUL byte": "a\x00b",
    "100 kB string": "x" * 100_000,
    "5,000 digits": "9" * 5_000,
    "script tag": "<script>alert(1)</script>",
    "SQL fragment": "1' OR '1'='1'; DROP TABLE user; --",
    "huge target": f"need:{HUGE}",
}
# Query arguments the views and the API read (plus a few they do not: those must be ignored).
QUERY_ARGS = (
    "page",
    "per_page",
    "sort",
    "q",
    "status",
    "role",
    "kind",
    "theme",
    "municipality",
    "need_kind",
    "target_group",
    "government",
    "type",
    "near",
    "need",
    "initiative",
    "block",
    "quantity",
    "amount",
    "weeks",
    "plan",
    "target",
    "lang",
    "next",
    "limit",
    "company_id",
    "contract",
    "government_id",
)
Request = tuple[str, str, dict[str, Any], str]


class FormParser(HTMLParser):
    """The forms of a page: action, method and fields with the values the page put in them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").upper(),
                "fields": {},
            }
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "textarea", "button") and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["fields"].setdefault(a["name"], "")
                return
            if kind == "file":
                return
            self._form["fields"][a["name"]] = a.get("value", "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"].setdefault(a["name"], "")
        elif (
            tag == "option"
            and self._select
            and ("selected" in a or not self._form["fields"].get(self._select))
        ):
            self._form["fields"][self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_of(page_url: str, html: str) -> list[dict[str, Any]]:
    parser = FormParser()
    parser.feed(html)
    out = []
    for form in parser.forms:
        action = urljoin(page_url, form["action"] or page_url)
        parts = urlsplit(action)
        if parts.netloc and parts.netloc != "localhost":
            continue
        form["action"] = parts.path + (f"?{parts.query}" if parts.query else "")
        form["fields"].pop("csrf_token", None)
        out.append(form)
    return out


def hostile_urls(rule: str, own: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The rule with one URL parameter at a time replaced by each hostile value (the others: own values)."""
    names = re.findall(r"<(?:\w+:)?(\w+)>", rule)
    for name in names:
        for label, value in VALUES.items():
            url = rule
            for other in names:
                v = value if other == name else own[other]
                url = re.sub(rf"<(?:\w+:)?{other}>", quote(str(v), safe=""), url)
            yield url, f"<{name}>={label}"


def form_requests(form: dict[str, Any]) -> Iterator[Request]:
    fields: dict[str, str] = form["fields"]
    if not fields:
        return
    method = form["method"] if form["method"] in ("GET", "POST") else "GET"
    key = "query_string" if method == "GET" else "data"
    labels = list(VALUES)
    for label, value in VALUES.items():
        yield method, form["action"], {key: dict.fromkeys(fields, value)}, f"every field={label}"
    for n, name in enumerate(sorted(fields)):
        for label in (labels[n % len(labels)], labels[(n + 3) % len(labels)]):
            yield method, form["action"], {key: {**fields, name: VALUES[label]}}, f"{name}={label}"


def api_body_requests(rule_url: str, properties: list[str]) -> Iterator[Request]:
    names = properties or ["id"]
    for label, value in VALUES.items():
        yield "POST", rule_url, {"json": dict.fromkeys(names, value)}, f"json every property={label}"
    yield "POST", rule_url, {"json": dict.fromkeys(names, HUGE)}, "json every property=integer beyond 64 bits"
    yield "POST", rule_url, {"data": '{"a": "\\u0000"}', "content_type": "application/json"}, "json NUL"


def body_properties(spec: dict[str, Any], rule: str) -> list[str]:
    """The top-level properties of the JSON body the OpenAPI document gives this route's POST."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)
    op = spec.get("paths", {}).get(path, {}).get("post", {})
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref:
        schema = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return sorted(schema.get("properties", {}))
