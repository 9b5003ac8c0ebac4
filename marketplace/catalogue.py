"""The catalogue's query from a page's or the API's arguments (shared by both)."""

from typing import Any

from sqlmodel import select

from search import FACETS, Query

from .db import get_session
from .models import Government

# Catalogue query-string parameter -> search facet.
FILTER_PARAMS = {
    "theme": "themes",
    "municipality": "municipality",
    "kind": "kind",
    "need_kind": "need_kinds",
    "target_group": "target_groups",
    "government": "eligible_for",
    "type": "type",
}
SORTS = ("relevance", "deadline", "distance")


def search_query_from_args(args: Any, per_page: int = 20) -> Query:
    """Build a search Query from request args (shared by the catalogue page and the JSON API)."""
    filters = {}
    for param, facet in FILTER_PARAMS.items():
        values = [v[:100] for v in args.getlist(param) if v]
        if values:
            filters[facet] = values[:20]
    sort = args.get("sort", "relevance")
    near = None
    place = args.get("near", "")
    if sort == "distance" and place:
        gov = get_session().exec(select(Government).where(Government.municipality == place)).first()
        if gov is not None and gov.lat is not None and gov.lon is not None:
            near = (gov.lat, gov.lon)
    if sort not in SORTS or (sort == "distance" and near is None):
        sort = "relevance"
    page = args.get("page", "1")
    number = int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 1
    return Query(
        text=args.get("q", "")[:500],
        filters=filters,
        facets=FACETS,
        sort=sort,
        near=near,
        page=number if 0 < number < 10_000 else 1,
        per_page=per_page,
    )
