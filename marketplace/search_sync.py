"""The bridge between the database (the source of truth) and the search index.

Every change to an initiative, need or eligibility writes an Outbox row in its own transaction.
`sync_pending` turns pending rows into index updates. On the embedded default it runs right
after the commit of each transaction that wrote such rows; with SEARCH_SYNC_QUEUE the job queue runs it
(after each such commit, and a sweep every minute); `srx search sync` runs it by hand.
When the index is down, rows stay pending (with the error) and are applied once it is back: nothing
is lost. `sync_pending` and `reindex` are boundaries of their own: they commit what they applied.
"""

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from flask import Flask, current_app
from sqlmodel import Session, col, select

from search import Document, SearchBackend, SearchUnavailable, make_backend

from .models import Eligibility, Government, HandprintScore, Initiative, Need, Outbox
from .models._base import utcnow
from .themes import THEME_MIN_SCORE


def init_app(app: Flask) -> None:
    from .db import on_commit
    from .services.audit import SEARCH_TOPIC

    app.extensions["srx.search"] = None
    on_commit(app, SEARCH_TOPIC, _sync_inline)


def _sync_inline(app: Flask) -> None:
    """After a commit that wrote search outbox rows: hand them to the job queue (SEARCH_SYNC_QUEUE), or apply
    them now when the app is set to sync inline."""
    if app.config.get("SEARCH_SYNC_QUEUE"):
        from .jobs import enqueue, search_sync

        enqueue(search_sync)
        return
    if not app.config["SEARCH_SYNC_INLINE"]:
        return
    backend = get_backend(app)
    # Only while the breaker is closed: open, the call would fail; half-open, this request would be the trial
    # and wait out the timeout. The outbox keeps the work for the next request or `srx search sync`.
    breaker = getattr(backend, "breaker", None)
    if not backend.available() or (breaker is not None and breaker.state != "closed"):
        return
    with Session(app.extensions["srx.engine"]) as session:
        try:
            sync_pending(session, backend, limit=200)
        except Exception:  # the index never breaks a page; rows stay pending
            app.logger.warning("search sync failed; outbox rows stay pending", exc_info=True)


def get_backend(app: Flask | None = None) -> SearchBackend:
    """The configured backend, created once per process."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.extensions.get("srx.search")
    if backend is None:
        cfg = app.config
        backend = make_backend(
            cfg["SEARCH_BACKEND"],
            sqlite_path=cfg["SEARCH_SQLITE_PATH"],
            meili_url=cfg["MEILI_URL"],
            meili_key=cfg["MEILI_KEY"],
            index_name=cfg["MEILI_INDEX"],
            postgres_url=cfg.get("SEARCH_POSTGRES_URL"),
            connect_timeout_s=cfg.get("SEARCH_CONNECT_TIMEOUT", 0.5),
            read_timeout_s=cfg.get("SEARCH_READ_TIMEOUT", 2.0),
            breaker_failures=cfg.get("SEARCH_BREAKER_FAILURES", 3),
            breaker_cooldown_s=cfg.get("SEARCH_BREAKER_COOLDOWN", 30.0),
        )
        try:
            backend.setup()
            if backend.name == "fts5":
                _rebuild_if_empty(app, backend)
        except SearchUnavailable:
            app.logger.warning("search backend %s unavailable at start-up", backend.name)
        app.extensions["srx.search"] = backend
    return backend


def _rebuild_if_empty(app: Flask, backend: SearchBackend) -> None:
    """The embedded index is a cache of the database: when it is empty (new file, or a layout change
    after an upgrade dropped it) but the database is not, rebuild it before the first search."""
    from .db import make_engine

    if backend.count() > 0:
        return
    engine = app.extensions.get("srx.engine") or make_engine(app.config["DATABASE_URL"])
    with Session(engine) as session:
        if count_documents(session) > 0:
            app.logger.info("search index is empty; rebuilding it from the database")
            reindex(session, backend)


def _eligible_slugs(session: Session, initiative_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    rows = session.exec(
        select(Eligibility.initiative_id, Government.slug)
        .join(Government, col(Government.id) == Eligibility.government_id)
        .where(col(Eligibility.initiative_id).in_(initiative_ids), col(Eligibility.active).is_(True))
    ).all()
    out: dict[int, list[str]] = {}
    for iid, slug in rows:
        out.setdefault(iid, []).append(slug)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def initiative_documents(session: Session, initiatives: Sequence[Initiative]) -> list[Document]:
    """Documents for initiatives and their open needs, loaded in batches."""
    ids = [i.id or 0 for i in initiatives if i.published]
    if not ids:
        return []
    eligible = _eligible_slugs(session, ids)
    themes: dict[int, list[str]] = {}
    for h in session.exec(select(HandprintScore).where(col(HandprintScore.initiative_id).in_(ids))).all():
        if h.score >= THEME_MIN_SCORE:
            themes.setdefault(h.initiative_id, []).append(h.theme)
    needs: dict[int, list[Need]] = {}
    for n in session.exec(select(Need).where(col(Need.initiative_id).in_(ids), Need.status == "open")).all():
        needs.setdefault(n.initiative_id, []).append(n)
    docs = []
    for ini in initiatives:
        if not ini.published:
            continue
        iid = ini.id or 0
        common: dict[str, Any] = dict(
            kind=ini.kind,
            municipality=ini.municipality,
            region=ini.neighbourhood,
            target_groups=tuple(ini.target_groups),
            eligible_for=eligible.get(iid, ()),
            lat=ini.lat,
            lon=ini.lon,
            initiative_id=iid,
        )
        open_needs = needs.get(iid, [])
        docs.append(
            Document(
                id=f"initiative:{iid}",
                type="initiative",
                title=ini.name,
                text=f"{ini.summary}\n{ini.description}",
                need_kinds=tuple(sorted({n.kind for n in open_needs})),
                themes=tuple(sorted(themes.get(iid, []))),
                payload={"slug": ini.slug, "summary": ini.summary},
                **common,
            )
        )
        for n in open_needs:
            docs.append(
                Document(
                    id=f"need:{n.id}",
                    type="need",
                    title=n.title,
                    text=f"{n.description}\n{ini.name}",
                    need_kinds=(n.kind,),
                    themes=tuple(n.themes) or tuple(sorted(themes.get(iid, []))),
                    deadline=n.deadline.isoformat() if n.deadline else None,
                    payload={
                        "slug": ini.slug,
                        "initiative": ini.name,
                        "reference": n.reference,
                        "need_id": n.id,
                        "unit": n.unit,
                    },
                    **common,
                )
            )
    return docs


def all_documents(session: Session, batch: int = 500) -> Iterator[Document]:
    last = 0
    while True:
        chunk = session.exec(
            select(Initiative).where(col(Initiative.id) > last).order_by(col(Initiative.id)).limit(batch)
        ).all()
        if not chunk:
            return
        yield from initiative_documents(session, chunk)
        last = chunk[-1].id or 0


def count_documents(session: Session) -> int:
    from sqlalchemy import func

    n_init = session.exec(
        select(func.count()).select_from(Initiative).where(col(Initiative.published).is_(True))
    ).one()
    n_need = session.exec(select(func.count()).select_from(Need).where(Need.status == "open")).one()
    return int(n_init) + int(n_need)


def sync_pending(session: Session, backend: SearchBackend, *, limit: int = 1000) -> tuple[int, int]:
    """Apply pending outbox rows to the index; returns (applied, still pending)."""
    rows = session.exec(
        select(Outbox)
        .where(Outbox.topic == "search", col(Outbox.processed_at).is_(None))
        .order_by(col(Outbox.id))
        .limit(limit)
    ).all()
    if not rows:
        return 0, 0
    # A need change re-indexes its initiative too: the initiative document lists open need kinds.
    initiative_ids: set[int] = set()
    need_ids = {r.entity_id for r in rows if r.entity_type == "need"}
    for r in rows:
        if r.entity_type == "initiative":
            initiative_ids.add(r.entity_id)
    for need in session.exec(select(Need).where(col(Need.id).in_(need_ids))).all() if need_ids else []:
        initiative_ids.add(need.initiative_id)
    initiatives = session.exec(select(Initiative).where(col(Initiative.id).in_(initiative_ids))).all()
    docs = initiative_documents(session, initiatives)
    present = {d.id for d in docs}
    # Whatever no longer yields a document (closed need, unpublished initiative) leaves the index.
    gone = [f"need:{n}" for n in need_ids if f"need:{n}" not in present]
    gone += [f"initiative:{i}" for i in initiative_ids if f"initiative:{i}" not in present]
    closed = session.exec(
        select(Need.id).where(col(Need.initiative_id).in_(initiative_ids), Need.status != "open")
    ).all()
    gone += [f"need:{n}" for n in closed]
    try:
        if docs:
            backend.upsert(docs)
        if gone:
            backend.delete(sorted(set(gone)))
    except SearchUnavailable as exc:
        for r in rows:
            r.attempts += 1
            r.last_error = str(exc)[:500]
            session.add(r)
        session.commit()
        return 0, len(rows)
    now = utcnow()
    for r in rows:
        r.processed_at = now
        session.add(r)
    session.commit()
    return len(rows), 0


def reindex(session: Session, backend: SearchBackend, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the database; pending outbox rows are covered by it."""
    started = utcnow()
    total = count_documents(session)
    n = backend.reindex(all_documents(session), total=total, progress=progress)
    for r in session.exec(
        select(Outbox).where(
            Outbox.topic == "search", col(Outbox.processed_at).is_(None), Outbox.created_at <= started
        )
    ).all():
        r.processed_at = utcnow()
        session.add(r)
    session.commit()
    return n


def pending_count(session: Session) -> int:
    from sqlalchemy import func

    return int(
        session.exec(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.topic == "search", col(Outbox.processed_at).is_(None))
        ).one()
    )
