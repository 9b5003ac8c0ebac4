"""Engine, one session per request, and the unit of work: one commit at one boundary.

Services never commit; they add and flush. The boundary decides:

- a web request commits when its response is a success (status below 400) and no service refused
  anything while it ran; otherwise it rolls back, so a refused form, a refusal answered with a redirect,
  a 404 or a 500 leaves nothing behind, whatever a service had flushed;
- a command or a test wraps its work in ``with unit_of_work(session):`` (commit on success, rollback on
  any exception).

After a commit the boundary runs the callbacks registered for the outbox topics the transaction wrote
(for example the inline search sync), so they only ever see committed data.

Why the response status and not a decorator on each view: every route gets the same rule without anyone
having to remember it, and the error handlers (404, 409, 500) are covered too.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine

REFUSED = "srx_refused"  # set by services.errors.ServiceError
# Callbacks run after a commit, per outbox topic: app.extensions[AFTER_COMMIT][topic] = [callback(app)].
AFTER_COMMIT = "srx.after_commit"
TOPICS_KEY = "srx.outbox_topics"
ROLLBACK_KEY = "srx.on_rollback"
MEMO_KEY = "srx.blocks_of"  # queries.blocks_of: a table's blocks, read once per transaction


ACCENTED = "áàâäãåéèêëíìîïóòôöõúùûüçñýÿ"
PLAIN = "aaaaaaeeeeiiiiooooouuuucnyy"
_FOLD = str.maketrans(ACCENTED, PLAIN)


def fold(text: str | None) -> str | None:
    """Lower case without accents ("Taalcafé" -> "taalcafe"), for searches that ignore both."""
    return None if text is None else text.lower().translate(_FOLD)


def folded(session: Session, column: Any) -> Any:
    """`column` folded in SQL the way `fold` does it: a registered function on SQLite, translate() elsewhere."""
    from sqlalchemy import func

    if session.get_bind().dialect.name == "sqlite":
        return func.srx_fold(column)
    return func.translate(func.lower(column), ACCENTED, PLAIN)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A pool of connections (not one per request): opening one costs the pragmas and the fold function,
        # about a millisecond of every page. Threads never share one; a forked worker drops the master's.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=QueuePool,
            pool_size=5,
            max_overflow=10,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
            dbapi_conn.create_function("srx_fold", 1, fold, deterministic=True)

        return engine
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def get_engine() -> Engine:
    engine: Engine = current_app.extensions["srx.engine"]
    return engine


def get_session() -> Session:
    """The request's (or command's) session, opened on first use and closed in teardown."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    session: Session = g.db_session
    return session


def mark_topic(session: Session, topic: str) -> None:
    """Note that this transaction wrote outbox rows of `topic`; the boundary acts on it after commit."""
    session.info.setdefault(TOPICS_KEY, set()).add(topic)


def on_commit(app: Flask, topic: str, callback: Callable[[Flask], None]) -> None:
    """Run `callback(app)` after every commit of a transaction that wrote outbox rows of `topic`."""
    app.extensions.setdefault(AFTER_COMMIT, {}).setdefault(topic, []).append(callback)


def commit(session: Session, app: Flask | None = None) -> None:
    """Commit, then run the after-commit callbacks of the topics written. Only boundaries call this."""
    topics: set[str] = session.info.pop(TOPICS_KEY, set())
    session.info.pop(ROLLBACK_KEY, None)
    session.info.pop(MEMO_KEY, None)
    session.commit()
    if app is None:
        return
    callbacks = app.extensions.get(AFTER_COMMIT, {})
    for topic in sorted(topics):
        for callback in callbacks.get(topic, ()):
            try:
                callback(app)
            except Exception:  # after the commit nothing may undo it; the outbox keeps what failed
                app.logger.warning("after-commit callback for %s failed", topic, exc_info=True)


def on_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback()` if this transaction rolls back (for example: delete a file stored for it)."""
    session.info.setdefault(ROLLBACK_KEY, []).append(callback)


def rollback(session: Session) -> None:
    session.info.pop(TOPICS_KEY, None)
    session.info.pop(MEMO_KEY, None)
    undo: list[Callable[[], None]] = session.info.pop(ROLLBACK_KEY, [])
    session.rollback()
    for callback in undo:
        try:
            callback()
        except Exception:  # a file that cannot be removed now is found by `srx evidence purge`
            if has_app_context():
                current_app.logger.warning("rollback callback failed", exc_info=True)


@contextmanager
def unit_of_work(session: Session | None = None) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back on any exception.

    Without a session it uses the app context's session (commands); with one, any session (tests, threads).
    """
    own = session if session is not None else get_session()
    try:
        yield own
    except BaseException:
        rollback(own)
        raise
    commit(own, current_app._get_current_object() if has_app_context() else None)  # type: ignore[attr-defined]


def keep_changes() -> None:
    """Commit this request's work even though its response is a refusal (e.g. a failed login is recorded)."""
    g.srx_keep_changes = True


def _end_request(response: Response) -> Response:
    session: Session | None = g.get("db_session")
    if session is None:
        return response
    refused = g.pop(REFUSED, False)
    if g.pop("srx_keep_changes", False) or (response.status_code < 400 and not refused):
        commit(session, current_app._get_current_object())  # type: ignore[attr-defined]
    else:
        rollback(session)
    return response


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    from . import audit_chain

    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["srx.engine"] = engine
    audit_chain.register(engine, app.config["AUDIT_KEY"])
    audit_chain.install()
    app.after_request(_end_request)
    app.teardown_appcontext(_close_session)
