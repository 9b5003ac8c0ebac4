"""Open data: figures per government, year, route and theme as CSV and JSON that validate against their
schema, CC0 stated in every file, nothing about a person, groups under 5 contributions suppressed."""

import csv
import io
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

from marketplace.services import approvals
from tests.conftest import World


def _approved(world: World, n: int, side: str = "a", quantity: int = 1) -> None:
    for _ in range(n):
        if side == "a":
            m = world.pledge(quantity=quantity)
        else:
            m = world.pledge(
                actor=world.users["company_b"],
                contract_id=world.contract_b.id,
                need_id=world.need_b.id,
                quantity=quantity,
            )
        world.act(approvals.approve_match, actor=world.users[f"officer_{side}"], match_id=m.id)


def _csv_rows(client: Any) -> list[dict[str, str]]:
    text = client.get("/open-data/figures.csv").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _as_figure(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row typed as the schema's figure: empty is null, numbers and booleans as themselves."""
    out: dict[str, Any] = dict(row)
    out["year"] = int(row["year"])
    out["theme"] = row["theme"] or None
    out["contributions"] = int(row["contributions"]) if row["contributions"] else None
    out["value_eur"] = float(row["value_eur"]) if row["value_eur"] else None
    out["suppressed"] = row["suppressed"] == "true"
    return out


def test_figures_validate_against_the_schema_and_small_groups_are_suppressed(
    client: Any, world: World
) -> None:
    _approved(world, 6)  # gov A: six times one employee-hour for the food bank, EUR 600 in one group
    _approved(world, 2, side="b", quantity=7)  # gov B: two pledges of 7 hours (EUR 1,400), a group of 2
    schema = client.get("/open-data/schema.json").get_json()
    Draft202012Validator.check_schema(schema)
    document = client.get("/open-data/figures.json").get_json()
    jsonschema.validate(document, schema)
    assert document["licence"] == "CC0-1.0" and document["suppression_threshold"] == 5
    shown = [
        (f["government"], f["route"], f["theme"], f["contributions"], f["value_eur"], f["suppressed"])
        for f in document["figures"]
    ]
    assert shown == [
        ("gov-a", "social_domain", "armoedebestrijding", 6, 600.0, False),
        ("gov-b", "social_domain", None, None, None, True),
    ]
    rows = _csv_rows(client)
    assert {r["licence"] for r in rows} == {"CC0-1.0"}
    assert [(r["government"], r["contributions"], r["value_eur"]) for r in rows] == [
        ("gov-a", "6", "600.00"),
        ("gov-b", "", ""),
    ]
    figure_schema = {**schema["$defs"]["figure"], "$defs": schema["$defs"]}
    for row in rows:
        jsonschema.validate(_as_figure(row), figure_schema)
    for path in ("/open-data/figures.csv", "/open-data/figures.json", "/open-data"):
        body = client.get(path).get_data(as_text=True)
        for name in ("Bouw A", "Schoonmaak B", "Voedselbank", "Taalcafé", "A-001", "B-001", "1.400", "1,400"):
            assert name not in body, (path, name)
    page = client.get("/open-data").get_data(as_text=True)
    assert "CC0-1.0" in page and "fewer than 5" in page and "€600.00" in page


def test_a_file_that_breaks_the_rule_fails_the_schema(client: Any, world: World) -> None:
    """The schema itself refuses a small group shown on its own."""
    import pytest

    schema = client.get("/open-data/schema.json").get_json()
    leaked = {
        "licence": "CC0-1.0",
        "suppression_threshold": 5,
        "generated_at": "2026-01-01T00:00:00+00:00",
        "figures": [
            {
                "government": "gov-b",
                "government_name": "Gemeente Beedorp",
                "year": 2026,
                "route": "social_domain",
                "theme": None,
                "contributions": 2,
                "value_eur": 1400.0,
                "suppressed": False,
            }
        ],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(leaked, schema)
