"""Open data: contributions per government, year, route and theme, for anyone, under CC0 (docs/open-data.md).

Nothing about a person or an organisation: no company, initiative, contract or placement appears, only
counts and sums of contributions per group. A group of fewer than THRESHOLD contributions is suppressed: the
row says that the group exists, with its count and value left out (null). No totals are published, so a
suppressed group cannot be worked out by subtracting the others from a total.

The figures follow the report rules (marketplace/queries_reports.py): approved and delivered contributions
at their current value, in the year they were approved, each with one theme.
"""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from .models import Government
from .queries_reports import contributions

THRESHOLD = 5
LICENCE = "CC0-1.0"
LICENCE_URL = "https://creativecommons.org/publicdomain/zero/1.0/"
COLUMNS = (
    "government",
    "government_name",
    "year",
    "route",
    "theme",
    "contributions",
    "value_eur",
    "suppressed",
    "licence",
)


def figures(session: Session) -> list[dict[str, Any]]:
    """One row per (government, year, route, theme) with at least one contribution, small groups suppressed."""
    items, _ = contributions(session)
    groups: dict[tuple[int, int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for c in items:
        g = groups[(c.government_id, c.year, c.route, c.theme)]
        g[0] += 1
        g[1] += c.value_cents
    ids = {k[0] for k in groups}
    govs = (
        {g.id: g for g in session.exec(select(Government).where(col(Government.id).in_(ids))).all()}
        if ids
        else {}
    )
    rows = []
    for (gov_id, year, route, theme), (n, cents) in groups.items():
        gov = govs[gov_id]
        small = n < THRESHOLD
        rows.append(
            {
                "government": gov.slug,
                "government_name": gov.name,
                "year": year,
                "route": route,
                "theme": theme or None,
                "contributions": None if small else n,
                "value_eur": None if small else Decimal(cents) / 100,
                "suppressed": small,
                "licence": LICENCE,
            }
        )
    rows.sort(key=lambda r: (r["government"], r["year"], r["route"], r["theme"] or ""))
    return rows


def document(session: Session, *, now: datetime, base_url: str) -> dict[str, Any]:
    """figures.json: the figures with their licence, threshold and schema."""
    rows = figures(session)
    return {
        "$schema": f"{base_url}/open-data/schema.json",
        "title": "SRX: social-return contributions per government, year, route and theme",
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "generated_at": now.isoformat(),
        "suppression_threshold": THRESHOLD,
        "figures": [
            {
                k: (float(v) if isinstance(v, Decimal) else v)
                for k, v in r.items()
                if k != "licence"  # stated once, at the top
            }
            for r in rows
        ],
    }


ROUTE_CODES = ["paid_work", "labour_participation", "social_domain", "social_enterprise"]


def schema(base_url: str) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of figures.json; each figure is also one row of figures.csv."""
    from .themes import THEME_CODES

    figure = {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "government",
            "government_name",
            "year",
            "route",
            "theme",
            "contributions",
            "value_eur",
            "suppressed",
        ],
        "properties": {
            "government": {"type": "string", "description": "The government's code (slug) in SRX."},
            "government_name": {"type": "string"},
            "year": {
                "type": "integer",
                "minimum": 2000,
                "maximum": 2100,
                "description": "The year the contributions were approved.",
            },
            "route": {"enum": ROUTE_CODES, "description": "The route of social return."},
            "theme": {
                "enum": [*THEME_CODES, None],
                "description": "The contribution's theme (null: none, e.g. a PSO certificate).",
            },
            "contributions": {
                "type": ["integer", "null"],
                "minimum": THRESHOLD,
                "description": f"Approved and delivered contributions; null when fewer than {THRESHOLD}.",
            },
            "value_eur": {
                "type": ["number", "null"],
                "minimum": 0,
                "description": f"Their value in euro; null when fewer than {THRESHOLD} contributions.",
            },
            "suppressed": {
                "type": "boolean",
                "description": f"True when the group has fewer than {THRESHOLD} contributions.",
            },
            "licence": {"const": LICENCE, "description": "In figures.csv only: the licence of every row."},
        },
        "if": {"properties": {"suppressed": {"const": True}}},
        "then": {"properties": {"contributions": {"type": "null"}, "value_eur": {"type": "null"}}},
        "else": {"properties": {"contributions": {"type": "integer"}, "value_eur": {"type": "number"}}},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url}/open-data/schema.json",
        "title": "SRX open data: figures.json (and the rows of figures.csv)",
        "description": (
            "Social-return contributions per government, year, route and theme. Licence CC0-1.0. "
            f"Groups of fewer than {THRESHOLD} contributions are suppressed."
        ),
        "type": "object",
        "required": ["licence", "suppression_threshold", "generated_at", "figures"],
        "properties": {
            "$schema": {"type": "string"},
            "title": {"type": "string"},
            "licence": {"const": LICENCE},
            "licence_url": {"const": LICENCE_URL},
            "generated_at": {"type": "string", "format": "date-time"},
            "suppression_threshold": {"const": THRESHOLD},
            "figures": {"type": "array", "items": {"$ref": "#/$defs/figure"}},
        },
        "$defs": {"figure": figure},
    }
