"""A tamper-evident audit trail: one hash chain over the audit events and the officer decisions.

Every `AuditEvent` and `Decision` row gets, as its transaction commits, the next position in the chain (`chain_seq`), the
hash of the row before it (`prev_hash`) and its own hash (`row_hash`): an HMAC-SHA256, keyed with `AUDIT_KEY`,
over the previous hash and the row's content. `AuditChainHead` holds the last position and hash. Whoever edits,
deletes or re-attributes a row with plain SQL breaks the chain at that row, and `srx audit verify` names the
first broken link. Without the key (kept outside the database) the hashes cannot be recomputed to hide it.

The chain is extended inside the writing transaction, as its last statements before COMMIT, under a lock on the
head row (a row lock on PostgreSQL, the database write lock on SQLite), so two transactions at the same moment
queue up instead of forking it, and wait on each other only for those statements and the commit.

Limits (docs/security-accounts.md): the chain detects changes to rows; removing the newest rows together with
the head is only seen against a copy of the head kept elsewhere (`srx audit verify` prints it, the last
verification stores it); someone who has the key and the database can rewrite everything.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session as OrmSession

GENESIS = "0" * 64
HEAD_ID = 1
# The fields each chained table hashes, in this order (the id is not among them: it is assigned after the hash).
EVENT_FIELDS = ("at", "actor_id", "action", "entity_type", "entity_id", "before", "after", "reason")
DECISION_FIELDS = (
    "decided_at",
    "match_id",
    "officer_id",
    "government",
    "contract_reference",
    "company_kvk",
    "initiative",
    "need",
    "building_block",
    "route",
    "quantity",
    "outcome",
    "reason",
    "score",
    "features",
    "source",
)
TABLES = {"auditevent": EVENT_FIELDS, "decision": DECISION_FIELDS}

_KEYS: WeakKeyDictionary[Engine, bytes] = WeakKeyDictionary()


def register(engine: Engine, key: str) -> None:
    """The app's key for the chain of this engine's database (db.init_app)."""
    _KEYS[engine] = key.encode()


def key_for(bind: Any) -> bytes:
    engine = getattr(bind, "engine", bind)
    if engine in _KEYS:
        return _KEYS[engine]
    from flask import current_app, has_app_context

    if has_app_context():
        return str(current_app.config["AUDIT_KEY"]).encode()
    from pathlib import Path

    from .config import _secret_key

    return _secret_key(Path(__file__).resolve().parent.parent / "instance", "AUDIT_KEY", "audit_key").encode()


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_hash(key: bytes, table: str, seq: int, prev_hash: str, values: dict[str, Any]) -> str:
    """The HMAC of one row: its table, position, predecessor and content, as canonical JSON."""
    body = {"table": table, "seq": seq, "prev": prev_hash}
    body.update({name: _value(values.get(name)) for name in TABLES[table]})
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hmac.new(key, data.encode(), hashlib.sha256).hexdigest()


def _lock_head(conn: Connection) -> tuple[int, str]:
    """Take the chain's lock (held to the end of the transaction) and read its head."""
    locked = conn.execute(text("UPDATE auditchainhead SET seq = seq WHERE id = :id"), {"id": HEAD_ID})
    if locked.rowcount == 0:  # an emptied database (tests truncate every table): start the chain again
        insert = "INSERT INTO auditchainhead (id, seq, hash) VALUES (:id, 0, :h) ON CONFLICT (id) DO NOTHING"
        conn.execute(text(insert), {"id": HEAD_ID, "h": GENESIS})
        conn.execute(text("UPDATE auditchainhead SET seq = seq WHERE id = :id"), {"id": HEAD_ID})
    row = conn.execute(text("SELECT seq, hash FROM auditchainhead WHERE id = :id"), {"id": HEAD_ID}).one()
    return int(row[0]), str(row[1])


def _set_head(conn: Connection, seq: int, head_hash: str) -> None:
    conn.execute(
        text("UPDATE auditchainhead SET seq = :s, hash = :h WHERE id = :id"),
        {"s": seq, "h": head_hash, "id": HEAD_ID},
    )


def _table_of(obj: Any) -> str | None:
    from .models import AuditEvent, Decision

    if isinstance(obj, AuditEvent):
        return "auditevent"
    if isinstance(obj, Decision):
        return "decision"
    return None


_UNCHAINED = "srx.audit_unchained"
_WRITTEN = "srx.audit_written"


def _written(_mapper: Any, _conn: Any, target: Any) -> None:
    """Keep the hashed fields as this INSERT or UPDATE wrote them: the hash at commit covers what the row
    holds, not a caller's dict changed in place afterwards (SQLAlchemy does not write such a change)."""
    from sqlalchemy.orm import object_session

    table = _table_of(target)
    session = object_session(target)
    if table is None or session is None or target.chain_seq is not None:
        return  # a chained row (the chain's own UPDATE included) is hashed already
    values = {name: _value(getattr(target, name)) for name in TABLES[table]}
    kept = json.loads(json.dumps(values, ensure_ascii=False, default=str))
    session.info.setdefault(_WRITTEN, {})[id(target)] = (target, kept)


def _before_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    """Note the new audit events and decisions, in the order they are added; they are chained at commit."""
    new = [obj for obj in session.new if _table_of(obj) is not None]
    if not new:
        return
    from sqlalchemy import inspect

    new.sort(key=lambda obj: inspect(obj).insert_order)
    session.info.setdefault(_UNCHAINED, []).extend(new)


def _before_commit(session: OrmSession) -> None:
    """Extend the chain with this transaction's rows, as its last statements before COMMIT.

    The head's lock is taken here, not at the first flush: the rest of the request (notifications, the
    answer) runs without it, and writers of the whole instance wait on each other only for these few
    statements and the commit itself. The rows were inserted without a position; they get it, and their
    hashes, as one more flush (an UPDATE per row) that SQLAlchemy runs right after this hook.
    """
    session.flush()  # rows still pending are inserted now, and noted by _before_flush
    pending = session.info.pop(_UNCHAINED, [])
    written: dict[int, tuple[Any, dict[str, Any]]] = session.info.pop(_WRITTEN, {})
    from sqlalchemy import inspect

    # Rows of a rolled-back transaction or savepoint are no longer persistent: they were never written.
    rows = [obj for obj in pending if inspect(obj).persistent and obj.chain_seq is None]
    if not rows:
        return
    conn = session.connection()
    key = key_for(conn.engine)
    seq, head = _lock_head(conn)
    for obj in rows:
        table = _table_of(obj) or ""
        seq += 1
        obj.chain_seq = seq
        obj.prev_hash = head
        head = row_hash(key, table, seq, head, written[id(obj)][1])  # every persistent row was written
        obj.row_hash = head
    _set_head(conn, seq, head)


def install() -> None:
    """Note chained rows at every flush and chain them at every commit, of every session (idempotent)."""
    if not event.contains(OrmSession, "before_flush", _before_flush):
        event.listen(OrmSession, "before_flush", _before_flush)
    if not event.contains(OrmSession, "before_commit", _before_commit):
        event.listen(OrmSession, "before_commit", _before_commit)
    from .models import AuditEvent, Decision

    for model in (AuditEvent, Decision):
        for name in ("after_insert", "after_update"):
            if not event.contains(model, name, _written):
                event.listen(model, name, _written)


# --- verification ------------------------------------------------------------------------------------------


@dataclass
class Verification:
    ok: bool
    rows: int
    events: int
    decisions: int
    head_seq: int
    head_hash: str
    message: str
    broken_table: str = ""
    broken_id: int | None = None


def _rows(conn: Connection, table: str) -> Iterator[tuple[int, str, dict[str, Any]]]:
    from .models import AuditEvent, Decision

    model: Any = AuditEvent if table == "auditevent" else Decision
    columns = [model.id, model.chain_seq, model.prev_hash, model.row_hash] + [
        getattr(model, name) for name in TABLES[table]
    ]
    query = select(*columns).order_by(model.chain_seq, model.id).execution_options(yield_per=2000)
    for row in conn.execute(query):
        values = dict(zip(TABLES[table], row[4:], strict=True))
        yield (
            (int(row[1]) if row[1] is not None else -1),
            table,
            {
                "id": row[0],
                "prev_hash": row[2],
                "row_hash": row[3],
                **values,
            },
        )


def verify(conn: Connection, key: bytes) -> Verification:
    """Walk the chain in order; stop at the first broken link."""
    expected_seq, prev = 1, GENESIS
    counts = {"auditevent": 0, "decision": 0}

    def broken(message: str, table: str, row_id: int | None) -> Verification:
        return Verification(
            False, sum(counts.values()), counts["auditevent"], counts["decision"], expected_seq - 1, prev,
            message, table, row_id,
        )  # fmt: skip

    merged = heapq.merge(_rows(conn, "auditevent"), _rows(conn, "decision"), key=lambda r: r[0])
    for seq, table, row in merged:
        name = f"{table} #{row['id']} (position {seq})"
        if seq < 0:
            return broken(
                f"{table} #{row['id']}: it has no position in the chain (written past SRX).", table, row["id"]
            )
        if seq != expected_seq:
            if seq < expected_seq:
                return broken(f"{name}: a second row at this position (the chain forked).", table, row["id"])
            return broken(
                f"{name}: position {expected_seq} is missing before it (a row was deleted).", table, row["id"]
            )
        if row["prev_hash"] != prev:
            return broken(f"{name}: it does not follow the row before it.", table, row["id"])
        if row_hash(key, table, seq, prev, row) != row["row_hash"]:
            return broken(f"{name}: its content was changed after it was written.", table, row["id"])
        counts[table] += 1
        prev, expected_seq = row["row_hash"], expected_seq + 1
    head = conn.execute(text("SELECT seq, hash FROM auditchainhead WHERE id = :id"), {"id": HEAD_ID}).first()
    last = expected_seq - 1
    if head is not None and (int(head[0]), str(head[1])) != (last, prev) and not (head[0] == 0 and last == 0):
        return broken(
            f"the chain ends at position {last} but its head says {head[0]}: rows were removed from the end.",
            "auditchainhead",
            None,
        )
    rows = sum(counts.values())
    return Verification(True, rows, counts["auditevent"], counts["decision"], last, prev, "OK")


def rebuild(conn: Connection, key: bytes) -> int:
    """Hash the whole chain again from the rows as they are (migration backfill; seeds after backdating).

    Only for trusted, initial data: it makes whatever the rows say the truth. Rows keep their order in the
    chain; rows without a position (before the chain existed) follow in the order of their time and id.
    """
    from .models import AuditEvent, Decision

    TABLE_OF: dict[str, Any] = {"auditevent": AuditEvent, "decision": Decision}  # noqa: N806
    TABLE_OF = {name: model.__table__ for name, model in TABLE_OF.items()}  # noqa: N806
    rows: list[tuple[int, str, str, int, dict[str, Any]]] = []
    for table, fields in TABLES.items():
        t = TABLE_OF[table]
        when = "at" if table == "auditevent" else "decided_at"
        for r in conn.execute(select(t.c.id, t.c.chain_seq, *[t.c[name] for name in fields])).mappings():
            values = {name: r[name] for name in fields}
            order = r["chain_seq"] if r["chain_seq"] is not None else 10**15
            rows.append((order, str(_value(values[when])), table, int(r["id"]), values))
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    prev, seq = GENESIS, 0
    for _order, _when, table, row_id, values in rows:
        seq += 1
        digest = row_hash(key, table, seq, prev, values)
        t = TABLE_OF[table]
        conn.execute(
            t.update().where(t.c.id == row_id).values(chain_seq=seq, prev_hash=prev, row_hash=digest)
        )
        prev = digest
    params = {"s": seq, "h": prev, "id": HEAD_ID}
    if (
        conn.execute(text("UPDATE auditchainhead SET seq = :s, hash = :h WHERE id = :id"), params).rowcount
        == 0
    ):
        conn.execute(text("INSERT INTO auditchainhead (id, seq, hash) VALUES (:id, :s, :h)"), params)
    return seq
