"""The demo seeds: the published tables as domain.md gives them, and the rules visible in the demo."""

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from marketplace import create_app
from marketplace.db import unit_of_work
from marketplace.migrate import upgrade
from marketplace.models import (
    TARGET_GROUPS,
    BuildingBlock,
    Contract,
    Government,
    Match,
    PersonMonth,
    Placement,
    Revision,
    Supplier,
    ValuationTable,
)
from marketplace.queries import contract_totals
from marketplace.seeding import load_seeds
from marketplace.services.pledges import block_spec
from marketplace.valuation import Person, PledgeInput, value_pledge

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Session]]:
    path = tmp_path_factory.mktemp("seeds") / "seeded.sqlite3"
    url = f"sqlite:///{path}"
    upgrade("head", url=url)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "x",
            "PERSON_KEY_SECRET": "seed-test",
            "SEARCH_SQLITE_PATH": str(path.with_suffix(".search")),
            "EVIDENCE_PATH": str(path.parent / "evidence"),
        }
    )
    with app.app_context(), Session(app.extensions["srx.engine"], expire_on_commit=False) as session:
        with unit_of_work(session):
            load_seeds(session, SEEDS)
        yield app, session
    app.extensions["srx.engine"].dispose()


def _blocks(session: Session, government: str, version: int) -> dict[str, BuildingBlock]:
    table = session.exec(
        select(ValuationTable)
        .join(Government, Government.id == ValuationTable.government_id)
        .where(Government.slug == government, ValuationTable.version == version)
    ).one()
    return {
        b.code: b for b in session.exec(select(BuildingBlock).where(BuildingBlock.table_id == table.id)).all()
    }


def _contract(session: Session, reference: str) -> Contract:
    return session.exec(select(Contract).where(Contract.reference == reference)).one()


def test_5_utrechts_current_table_has_no_month_cap(seeded: tuple[Any, Session]) -> None:
    _app, session = seeded
    blocks = _blocks(session, "utrecht", 2)
    assert all(b.max_months is None for b in blocks.values())
    table = session.exec(
        select(ValuationTable).where(ValuationTable.id == blocks["participatiewet"].table_id)
    ).one()
    assert table.group_caps == {} and table.assumption is None and "utrecht.nl" in table.source
    # Participatiewet for 36 months at 36 h/week: 3 x EUR 40,000 = EUR 120,000.
    v = value_pledge(
        block_spec(blocks["participatiewet"]),
        PledgeInput(1, hours_per_week=36, months=36, person=Person("participatiewet")),
    )
    assert v.value_cents == 12_000_000


def test_6_utrechts_older_table_is_the_published_one(seeded: tuple[Any, Session]) -> None:
    _app, session = seeded
    old = _blocks(session, "utrecht", 1)
    values = {code: b.value_cents for code, b in old.items() if b.value_cents}
    assert values == {
        "participatiewet": 3_000_000,
        "participatiewet_2jaar": 4_000_000,
        "ww": 1_500_000,
        "ww_1jaar": 2_000_000,
        "wia_wao": 3_000_000,
        "banenafspraak": 3_500_000,
        "bbl_traject": 1_500_000,
        "bol_traject": 1_000_000,
        "zonder_uitkering": 1_000_000,
        "bonus_vast_contract": 1_000_000,
        "bonus_50plus": 500_000,
        "employee_hour": 10_000,
    }
    # UTR-2023-087 was awarded under it: 40 employee-hours are 40 x EUR 100 = EUR 4,000.
    contract = _contract(session, "UTR-2023-087")
    assert contract.table_id == old["employee_hour"].table_id
    assert value_pledge(block_spec(old["employee_hour"]), PledgeInput(40)).value_cents == 400_000


def test_7_leidens_social_activity_is_at_most_1000_a_day(seeded: tuple[Any, Session]) -> None:
    _app, session = seeded
    day = _blocks(session, "leiden", 1)["social_activity_day"]
    assert day.at_most and day.value_cents == 100_000
    match = session.exec(select(Match).where(Match.block_id == day.id)).one()
    assert match.value_cents == 210_000  # 3 days, valued by the officer at EUR 700 a day


def test_8_haaglandens_bonuses_say_who_they_are_for(seeded: tuple[Any, Session]) -> None:
    _app, session = seeded
    blocks = _blocks(session, "den-haag", 1)
    assert (
        blocks["bonus_55plus"].conditions == {"min_age": 55} and blocks["bonus_55plus"].target_group is None
    )
    assert blocks["bonus_na_stage_vso_pro"].conditions == {"requires": ["after_vso_pro_internship"]}
    table = session.exec(select(ValuationTable).where(ValuationTable.id == blocks["ww"].table_id)).one()
    assert table.group_caps == {
        "*": 12,
        "wia": 24,
        "vso_pro": 24,
        "participatiewet": 24,
        "banenafspraak": None,
    }


def test_11_every_target_group_of_domain_md_exists_and_age_is_no_target_group() -> None:
    assert {"wga", "ioaw", "ioaz"} <= set(TARGET_GROUPS)
    assert "ouderen_50plus" not in TARGET_GROUPS


def test_the_pso_certificate_counts_once_on_ams_2025_0981(seeded: tuple[Any, Session]) -> None:
    _app, session = seeded
    contract = _contract(session, "AMS-2025-0981")
    # 5% of EUR 1.6M is EUR 80,000; committed: PSO trede 1 (50%) 40,000 + WW half a year with the 55+ bonus
    # (10,000 + 5,000) + a delivered purchase of 4,500 = 59,500; remaining 20,500.
    assert contract_totals(session, [contract])[contract.id or 0].remaining_cents == 2_050_000


def test_the_demo_shows_a_revision_a_supplier_and_the_register(seeded: tuple[Any, Session]) -> None:
    _app, session = seeded
    revision = session.exec(select(Revision)).one()
    assert (revision.old_value_cents, revision.new_value_cents, revision.status) == (
        4_000_000,
        1_000_000,
        "approved",
    )
    assert {s.name for s in session.exec(select(Supplier)).all()} == {
        "Utrecht Werkt Facilitair",
        "De Kans Groenvoorziening",
    }
    keys = [(r.person_key, r.month) for r in session.exec(select(PersonMonth)).all()]
    assert keys and len(keys) == len(set(keys))
    assert all(
        len(p.person_key) == 64 and "-" not in p.person_key for p in session.exec(select(Placement)).all()
    )


def test_seeded_pledges_are_spread_over_the_contracts_lives(seeded: tuple[Any, Session]) -> None:
    _app, session = seeded
    days = {m.created_at.date() for m in session.exec(select(Match)).all()}
    assert len(days) > 20 and max(days) <= date.today()


def test_9_the_demo_has_a_contract_in_every_state_of_its_life(seeded: tuple[Any, Session]) -> None:
    """Issue 9's seeds: plans due, overdue and waiting; running on track, behind and at risk; met; in
    recovery; settled with withholding and with best effort; ended short and waiting for the officer."""
    from marketplace.models import Plan, Settlement
    from marketplace.queries_lifecycle import progress_of

    app, session = seeded
    today = date.today()
    contracts = session.exec(select(Contract)).all()
    by_ref = {c.reference: c for c in contracts}
    plans = {p.contract_id: p for p in session.exec(select(Plan)).all()}
    assert by_ref["AMF-2026-190"].plan_due_on == today + timedelta(days=1)  # due tomorrow
    assert by_ref["SOE-2026-044"].plan_due_on < today and by_ref["SOE-2026-044"].id not in plans  # overdue
    assert plans[by_ref["BRN-2026-012"].id].status == "submitted"  # waiting for the adviser
    with app.test_request_context():
        paces = {p.contract.reference: p.pace for p in progress_of(session, contracts, today=today)}
    running = {ref for ref, c in by_ref.items() if c.status == "running"}
    assert {paces[ref] for ref in running} >= {"on_track", "behind", "at_risk"}
    assert by_ref["BRN-2025-003"].status == "met"
    assert by_ref["SOE-2023-031"].status == "recovery" and by_ref["SOE-2023-031"].recovery_until > today
    assert by_ref["AMF-2024-102"].status == "settlement"  # ended short: the officer decides
    settled = {s.contract_id: s for s in session.exec(select(Settlement)).all()}
    assert (settled[by_ref["UTR-2022-140"].id].kind, settled[by_ref["UTR-2022-140"].id].method) == (
        "financial",
        "withhold",
    )
    assert settled[by_ref["UTR-2022-140"].id].amount_cents > 0
    assert settled[by_ref["DH-2023-0198"].id].kind == "best_effort"


def test_9_seeded_evidence_files_are_real_pdfs_in_the_store(seeded: tuple[Any, Session]) -> None:
    from marketplace.models import Evidence
    from marketplace.storage import sniff, storage

    app, session = seeded
    files = session.exec(select(Evidence)).all()
    assert len(files) >= 10
    store = storage(app)
    for e in files:
        data = store.get(e.storage_key)
        assert sniff(data) == "application/pdf" == e.content_type and len(data) == e.size


def test_most_demo_initiatives_publish_contact_details_and_a_few_none(seeded: tuple[Any, Session]) -> None:
    from marketplace.models import Initiative

    _, session = seeded
    rows = session.exec(select(Initiative)).all()
    with_site = [i for i in rows if i.website and i.contact_email]
    bare = [i for i in rows if not (i.website or i.contact_email or i.contact_phone)]
    assert len(with_site) > len(rows) / 2
    assert any(i.contact_phone for i in rows) and bare  # the empty state shows too
    assert all(i.website.startswith("https://") and ".example" in i.website for i in with_site)
