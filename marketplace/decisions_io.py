"""Officer decisions as CSV: export the history, and import one (e.g. from another monitoring system).

The format and every check are described in docs/decisions.md. Import is all or nothing: every row is
validated first, every bad row is reported with its CSV line number (the header is line 1), and only a file
without errors is stored, in one transaction. Imported decisions get ``source="import"``, no match and no
features (training recomputes features for them, see ``srx train``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO

from sqlmodel import Session, col, select

from .exports import neutralise, restore
from .models import BuildingBlock, Company, Contract, Decision, Government, Initiative, Need
from .models.audit import not_withdrawn
from .services.approvals import MAX_REASON

COLUMNS: tuple[str, ...] = (
    "decided_at",
    "government",
    "contract_reference",
    "company_kvk",
    "initiative",
    "need",
    "building_block",
    "quantity",
    "outcome",
    "reason",
)
OUTCOMES: tuple[str, ...] = ("approved", "rejected")
MAX_REPORTED = 50  # bad rows listed in full; the rest are only counted
MAX_QUANTITY = 2_147_483_647  # the decision table's quantity is a 32-bit integer
FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew between systems
_QUANTITY = re.compile(r"[0-9]+")
_CHUNK = 500  # values per IN (...) query


@dataclass(frozen=True)
class RowError:
    """Everything wrong with one CSV record (``line`` is where the record starts; the header is line 1)."""

    line: int
    problems: tuple[str, ...]

    def __str__(self) -> str:
        return f"line {self.line}: " + "; ".join(self.problems)


class DecisionImportError(Exception):
    """A file that cannot be imported. Nothing from it was stored."""

    def __init__(self, errors: Sequence[RowError], *, n_bad: int | None = None, n_rows: int = 0) -> None:
        self.errors = list(errors)[:MAX_REPORTED]
        self.n_bad = n_bad if n_bad is not None else len(errors)
        self.n_rows = n_rows
        super().__init__(self.summary())

    def summary(self) -> str:
        if self.n_rows:
            return f"{self.n_bad} of {self.n_rows} rows are bad; nothing was imported"
        if self.errors and self.errors[0].line == 1:
            return "the header is not right; nothing was imported"
        return "the file cannot be read; nothing was imported"

    def lines(self) -> list[str]:
        """The report: one line per bad row (at most MAX_REPORTED), then how many were left out."""
        out = [str(e) for e in self.errors]
        if self.n_bad > len(self.errors):
            out.append(f"... and {self.n_bad - len(self.errors)} more bad rows")
        return out


@dataclass
class ImportResult:
    decisions: list[Decision]
    n_rows: int
    counts: dict[str, int] = field(default_factory=dict)  # by outcome


# ---------------------------------------------------------------------------------------------------------
# Export


def format_decided_at(value: datetime) -> str:
    """ISO 8601 in UTC, with microseconds when there are any (so a round trip keeps the exact instant)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def decision_row(d: Decision) -> list[str]:
    return [
        format_decided_at(d.decided_at),
        d.government,
        d.contract_reference,
        d.company_kvk,
        d.initiative,
        d.need,
        d.building_block,
        str(d.quantity),
        d.outcome,
        d.reason,
    ]


def export_decisions(session: Session, out: IO[str], *, progress: Callable[[int], None] | None = None) -> int:
    """Write approved and rejected decisions (from the app and imported) in decided_at order. Returns the count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)  # no header starts with a formula prefix
    stmt = (
        select(Decision)
        .where(col(Decision.outcome).in_(OUTCOMES), not_withdrawn())
        .order_by(col(Decision.decided_at), col(Decision.id))
        .execution_options(yield_per=1000)
    )
    n = 0
    for d in session.exec(stmt):
        # Formula prefixes neutralised (docs/exports.md); `read_rows` restores them, so the round trip is exact.
        writer.writerow([neutralise(v) for v in decision_row(d)])
        n += 1
        if progress is not None and n % 1000 == 0:
            progress(1000)
    if progress is not None and n % 1000:
        progress(n % 1000)
    return n


# ---------------------------------------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True)
class RawRow:
    line: int
    values: dict[str, str]


def decode(data: bytes) -> str:
    """UTF-8 text, without a byte-order mark; a bad byte is reported with its line number."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DecisionImportError([RowError(line, ("the file is not UTF-8 text",))]) from None


def check_header(header: Sequence[str]) -> list[str]:
    """Problems with the header row: missing, unknown, repeated or reordered columns."""
    names = [h.strip() for h in header]
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0][1:]
    if tuple(names) == COLUMNS:
        return []
    problems = []
    missing = [c for c in COLUMNS if c not in names]
    extra = [n for n in names if n not in COLUMNS]
    repeated = sorted({n for n in names if n in COLUMNS and names.count(n) > 1})
    if missing:
        problems.append("missing columns: " + ", ".join(missing))
    if extra:
        problems.append("unknown columns: " + ", ".join(repr(n) for n in extra))
    if repeated:
        problems.append("repeated columns: " + ", ".join(repeated))
    if not problems:
        problems.append("columns in the wrong order")
    problems.append("expected: " + ",".join(COLUMNS))
    return problems


def read_rows(text: str) -> tuple[list[RawRow], list[RowError], int]:
    """The records under a correct header, each with its start line, plus the unreadable ones.

    Returns (rows, errors, number of records); blank lines are skipped. A bad header raises
    DecisionImportError at once: without it no row can be read.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[RawRow] = []
    errors: list[RowError] = []
    n_records = 0
    try:
        header = next(reader, None)
        if header is None:
            raise DecisionImportError(
                [RowError(1, ("the file is empty; expected the header " + ",".join(COLUMNS),))]
            )
        problems = check_header(header)
        if problems:
            raise DecisionImportError([RowError(1, tuple(problems))])
        while True:
            start = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                break
            if len(record) <= 1 and not "".join(record).strip():
                continue  # a blank line
            n_records += 1
            if len(record) != len(COLUMNS):
                errors.append(RowError(start, (f"expected {len(COLUMNS)} fields, found {len(record)}",)))
                continue
            rows.append(RawRow(start, {c: restore(v.strip()) for c, v in zip(COLUMNS, record, strict=True)}))
    except csv.Error as exc:
        n_records += 1
        errors.append(
            RowError(reader.line_num, (f"not valid CSV ({exc}); the rest of the file was not read",))
        )
    return rows, errors, n_records


def parse_decided_at(value: str, *, now: datetime) -> tuple[datetime | None, str | None]:
    """An aware UTC datetime from ISO 8601; a value without an offset is taken as UTC."""
    if not value:
        return None, "decided_at is empty"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None, f"decided_at {value!r} is not an ISO 8601 date and time (e.g. 2025-03-01T14:30:00+01:00)"
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    if parsed > now + FUTURE_TOLERANCE:
        return None, f"decided_at {value!r} is in the future"
    return parsed, None


def parse_quantity(value: str) -> tuple[int | None, str | None]:
    if not _QUANTITY.fullmatch(value) or int(value) <= 0:
        return None, f"quantity {value!r} is not a positive whole number"
    if int(value) > MAX_QUANTITY:
        return None, f"quantity {value} is too large (at most {MAX_QUANTITY})"
    return int(value), None


# ---------------------------------------------------------------------------------------------------------
# Validation against the database


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(values))
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


@dataclass
class Lookups:
    """The database rows the file refers to, loaded once."""

    governments: dict[str, Government]
    contracts: dict[str, Contract]
    companies: dict[int, Company]
    initiatives: dict[str, Initiative]
    needs: dict[str, Need]
    blocks: dict[tuple[int, str], BuildingBlock]
    existing: set[tuple[object, ...]]

    @classmethod
    def load(cls, session: Session, rows: Sequence[RawRow]) -> Lookups:
        def values(name: str) -> set[str]:
            return {r.values[name] for r in rows if r.values[name]}

        governments: dict[str, Government] = {}
        for chunk in _chunks(values("government")):
            governments.update(
                (g.slug, g) for g in session.exec(select(Government).where(col(Government.slug).in_(chunk)))
            )
        contracts: dict[str, Contract] = {}
        for chunk in _chunks(values("contract_reference")):
            contracts.update(
                (c.reference, c)
                for c in session.exec(select(Contract).where(col(Contract.reference).in_(chunk)))
            )
        company_ids = {c.company_id for c in contracts.values()}
        companies = (
            {c.id or 0: c for c in session.exec(select(Company).where(col(Company.id).in_(company_ids)))}
            if company_ids
            else {}
        )
        initiatives: dict[str, Initiative] = {}
        for chunk in _chunks(values("initiative")):
            initiatives.update(
                (i.slug, i) for i in session.exec(select(Initiative).where(col(Initiative.slug).in_(chunk)))
            )
        needs: dict[str, Need] = {}
        for chunk in _chunks(values("need")):
            needs.update(
                (n.reference, n) for n in session.exec(select(Need).where(col(Need.reference).in_(chunk)))
            )
        table_ids = {c.table_id for c in contracts.values()}
        blocks = (
            {
                (b.table_id, b.code): b
                for b in session.exec(select(BuildingBlock).where(col(BuildingBlock.table_id).in_(table_ids)))
            }
            if table_ids
            else {}
        )
        existing: set[tuple[object, ...]] = set()
        for chunk in _chunks(contracts):
            for d in session.exec(select(Decision).where(col(Decision.contract_reference).in_(chunk))):
                existing.add(
                    identity(
                        d.decided_at, d.contract_reference, d.initiative, d.need, d.building_block, d.quantity
                    )
                )
        return cls(governments, contracts, companies, initiatives, needs, blocks, existing)


def identity(
    decided_at: datetime, contract: str, initiative: str, need: str, block: str, quantity: int
) -> tuple[object, ...]:
    """What makes two rows the same decision (the outcome and reason do not: they would contradict)."""
    if decided_at.tzinfo is None:
        decided_at = decided_at.replace(tzinfo=UTC)
    return (decided_at.astimezone(UTC), contract, initiative, need, block, quantity)


def validate_row(row: RawRow, lk: Lookups, *, now: datetime) -> tuple[Decision | None, list[str]]:
    """One record as a Decision (not added to the session), or the list of what is wrong with it."""
    v = row.values
    problems: list[str] = []
    decided_at, err = parse_decided_at(v["decided_at"], now=now)
    if err:
        problems.append(err)

    gov = lk.governments.get(v["government"])
    if not v["government"]:
        problems.append("government is empty")
    elif gov is None:
        problems.append(f"unknown government {v['government']!r}")

    contract = lk.contracts.get(v["contract_reference"])
    if not v["contract_reference"]:
        problems.append("contract_reference is empty")
    elif contract is None:
        problems.append(f"unknown contract {v['contract_reference']!r}")
    elif gov is not None and contract.government_id != gov.id:
        problems.append(f"contract {contract.reference} is not a contract of {gov.slug}")

    if contract is not None:
        company = lk.companies.get(contract.company_id)
        if company is None or v["company_kvk"] != company.kvk:
            problems.append(
                f"company_kvk {v['company_kvk']!r} is not the company of contract {contract.reference}"
            )

    initiative = lk.initiatives.get(v["initiative"])
    if v["initiative"] and initiative is None:
        problems.append(f"unknown initiative {v['initiative']!r}")
    if v["need"]:
        need = lk.needs.get(v["need"])
        if need is None:
            problems.append(f"unknown need {v['need']!r}")
        elif not v["initiative"]:
            problems.append(f"need {need.reference} is given without its initiative")
        elif initiative is not None and need.initiative_id != initiative.id:
            problems.append(f"need {need.reference} is not a need of {initiative.slug}")

    block = lk.blocks.get((contract.table_id, v["building_block"])) if contract is not None else None
    if not v["building_block"]:
        problems.append("building_block is empty")
    elif contract is not None and block is None:
        problems.append(
            f"building block {v['building_block']!r} is not in the valuation table of "
            f"contract {contract.reference}"
        )

    quantity, err = parse_quantity(v["quantity"])
    if err:
        problems.append(err)
    if v["outcome"] not in OUTCOMES:
        problems.append(f"outcome {v['outcome']!r} must be approved or rejected")
    if len(v["reason"]) > MAX_REASON:
        problems.append(f"reason is too long ({len(v['reason'])} characters, at most {MAX_REASON})")

    if problems:
        return None, problems
    assert decided_at is not None and quantity is not None and contract is not None and block is not None
    return Decision(
        decided_at=decided_at,
        match_id=None,
        officer_id=None,
        government=v["government"],
        contract_reference=v["contract_reference"],
        company_kvk=v["company_kvk"],
        initiative=v["initiative"],
        need=v["need"],
        building_block=v["building_block"],
        route=block.route,
        quantity=quantity,
        outcome=v["outcome"],
        reason=v["reason"],
        score=None,
        features=None,
        source="import",
    ), []


def validate(session: Session, text: str, *, now: datetime | None = None) -> ImportResult:
    """Every row of a CSV text as a Decision, or DecisionImportError listing all bad rows. Writes nothing."""
    now = now or datetime.now(UTC)
    rows, errors, n_rows = read_rows(text)
    lk = Lookups.load(session, rows)
    decisions: list[Decision] = []
    seen: dict[tuple[object, ...], int] = {}
    for row in rows:
        decision, problems = validate_row(row, lk, now=now)
        if decision is not None:
            key = identity(
                decision.decided_at,
                decision.contract_reference,
                decision.initiative,
                decision.need,
                decision.building_block,
                decision.quantity,
            )
            if key in seen:
                problems = [
                    f"duplicate of line {seen[key]} (same decided_at, contract, initiative, need, "
                    "building block and quantity)"
                ]
            elif key in lk.existing:
                problems = [
                    "this decision is already stored (same decided_at, contract, initiative, need, "
                    "building block and quantity); was the file imported before?"
                ]
            else:
                seen[key] = row.line
                decisions.append(decision)
                continue
        errors.append(RowError(row.line, tuple(problems)))
    if errors:
        errors.sort(key=lambda e: e.line)
        raise DecisionImportError(errors, n_bad=len(errors), n_rows=n_rows)
    counts = {o: sum(1 for d in decisions if d.outcome == o) for o in OUTCOMES}
    return ImportResult(decisions, n_rows, counts)


def import_decisions(
    session: Session,
    data: bytes | str,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    source: str = "import",
) -> ImportResult:
    """Validate the whole file, then add every row to the caller's transaction (nothing with ``dry_run``).

    Raises DecisionImportError (nothing added) when any row is bad.
    """
    from .services.decisions import store_imported

    text = decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    result = validate(session, text, now=now)
    if not dry_run:
        store_imported(session, actor=None, decisions=result.decisions, source=source)
    return result
