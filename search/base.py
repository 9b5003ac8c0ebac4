"""Search types shared by every backend: documents in, hits and facet counts out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

DOC_TYPES = ("initiative", "need")
FACETS = ("themes", "municipality", "kind", "need_kinds", "target_groups", "eligible_for", "type")
SORTS = ("relevance", "deadline", "distance")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Document:
    """One searchable thing: an initiative or a need, flattened to plain values."""

    id: str  # "initiative:12" or "need:34"
    type: str  # "initiative" | "need"
    title: str
    text: str  # summary + description (plain text)
    kind: str  # initiative kind: "initiative" | "social_firm" | "sw_company"
    need_kinds: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    municipality: str = ""
    region: str = ""
    target_groups: tuple[str, ...] = ()
    eligible_for: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    deadline: str | None = None  # ISO date, needs only
    initiative_id: int | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)

    def facet_values(self, facet: str) -> tuple[str, ...]:
        """The values of one facet as a tuple (single-valued facets give one value or none)."""
        value = getattr(self, facet)
        if isinstance(value, str):
            return (value,) if value else ()
        return tuple(v for v in value if v)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; tuples become lists."""
        return {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "text": self.text,
            "kind": self.kind,
            "need_kinds": list(self.need_kinds),
            "themes": list(self.themes),
            "municipality": self.municipality,
            "region": self.region,
            "target_groups": list(self.target_groups),
            "eligible_for": list(self.eligible_for),
            "lat": self.lat,
            "lon": self.lon,
            "deadline": self.deadline,
            "initiative_id": self.initiative_id,
            "payload": dict(self.payload),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Document:
        """Inverse of to_dict; unknown keys are ignored."""
        return cls(
            id=str(data["id"]),
            type=str(data["type"]),
            title=str(data.get("title") or ""),
            text=str(data.get("text") or ""),
            kind=str(data.get("kind") or ""),
            need_kinds=tuple(data.get("need_kinds") or ()),
            themes=tuple(data.get("themes") or ()),
            municipality=str(data.get("municipality") or ""),
            region=str(data.get("region") or ""),
            target_groups=tuple(data.get("target_groups") or ()),
            eligible_for=tuple(data.get("eligible_for") or ()),
            lat=data.get("lat"),
            lon=data.get("lon"),
            deadline=data.get("deadline"),
            initiative_id=data.get("initiative_id"),
            payload=dict(data.get("payload") or {}),
        )


@dataclass(frozen=True)
class Query:
    """What the caller asks: text, facet filters, which facet counts, sort and page."""

    text: str = ""
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)  # OR within a facet, AND across
    facets: Sequence[str] = FACETS
    sort: str = "relevance"  # "relevance" | "deadline" | "distance"
    near: tuple[float, float] | None = None
    page: int = 1
    per_page: int = 20

    @property
    def limit(self) -> int:
        """per_page clamped to 1..100."""
        try:
            return max(1, min(MAX_PER_PAGE, int(self.per_page)))
        except (TypeError, ValueError):
            return 20

    @property
    def page_number(self) -> int:
        """page clamped to >= 1."""
        try:
            return max(1, int(self.page))
        except (TypeError, ValueError):
            return 1

    @property
    def offset(self) -> int:
        return (self.page_number - 1) * self.limit

    def clean_filters(self) -> dict[str, tuple[str, ...]]:
        """Known facets only; a bare string counts as one value; empty lists mean "no filter"."""
        out: dict[str, tuple[str, ...]] = {}
        for facet, values in (self.filters or {}).items():
            if facet not in FACETS or values is None:
                continue
            vals = (values,) if isinstance(values, str) else tuple(str(v) for v in values)
            if vals:
                out[facet] = vals
        return out

    def clean_facets(self) -> tuple[str, ...]:
        return tuple(f for f in (self.facets or ()) if f in FACETS)

    def clean_near(self) -> tuple[float, float] | None:
        if self.near is None:
            return None
        try:
            lat, lon = float(self.near[0]), float(self.near[1])
        except (TypeError, ValueError, IndexError):
            return None
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            return None
        return lat, lon


@dataclass(frozen=True)
class Hit:
    id: str
    type: str
    score: float
    document: Document
    highlights: Mapping[str, str]  # "title", "text": HTML-escaped, matches in <mark>…</mark>
    distance_km: float | None = None


@dataclass(frozen=True)
class Result:
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]]  # conjunctive counts for the current query and filters
    backend: str


class SearchError(Exception):
    """The search backend refused or failed a request."""


class SearchUnavailable(SearchError):
    """The backend cannot be reached or keeps failing; callers fall back."""


@runtime_checkable
class SearchBackend(Protocol):
    name: str

    def setup(self) -> None: ...
    def upsert(self, docs: Sequence[Document]) -> None: ...
    def delete(self, ids: Sequence[str]) -> None: ...
    def search(self, query: Query) -> Result: ...
    def reindex(
        self,
        docs: Iterable[Document],
        *,
        total: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int: ...
    def count(self) -> int: ...
    def health(self) -> dict[str, Any]: ...
    def available(self) -> bool:
        """False when calls would fail at once (an open circuit breaker): skip optional work then."""
        ...
