"""Warm a process up before it serves: what the first request would otherwise pay for.

gunicorn.conf.py calls `warm_up(app)` in the master after it loaded the app (preload), so every worker it
forks starts warm and shares these pages of memory copy-on-write; without preload each worker calls it once
before it accepts requests. It never raises: a warm-up that fails leaves a slower first request, not a
worker that does not start.

- the recommender's libraries (scikit-learn's TF-IDF, scipy's planner; ~1-2 s of imports) and the learned
  model when there is one;
  and the index of every government's decisions (rebuilt later only when a newer decision exists);
- the search index: the FTS5 facet bitsets (restored from the snapshot in the file), or the connection;
- every template compiled, and the pages every visitor sees rendered once.
"""

from __future__ import annotations

import time
from pathlib import Path

from flask import Flask


def warm_up(app: Flask) -> float:
    """Prepare `app` for its first request; the seconds it took."""
    t0 = time.perf_counter()
    try:
        import matching.planner
        import matching.scorer  # noqa: F401  (scikit-learn, scipy)
        from matching.text import text_fit

        from .recommendations import approval_stats
        from .recommendations.model_store import current_model

        current_model(Path(app.config["MODEL_PATH"]))
        text_fit(
            "warm-up profiel", ["warm-up document"]
        )  # scikit-learn loads the rest of itself on first use
        with app.app_context():
            from .db import get_session

            approval_stats(get_session())  # every government's decisions, indexed once
    except Exception:
        app.logger.warning("warm-up: the recommender did not load", exc_info=True)
    try:  # every template compiled once (a page's first render otherwise compiles it and its macros)
        for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html")):
            app.jinja_env.get_template(name)
    except Exception:
        app.logger.warning("warm-up: a template did not compile", exc_info=True)
    try:
        from search import FACETS, Query

        from .search_sync import get_backend

        with app.app_context():
            get_backend(app).search(Query(text="", facets=FACETS, per_page=1))
        client = app.test_client()
        for path in ("/", "/catalogue", "/catalogue?q=warm", "/login"):
            client.get(path)
    except Exception:
        app.logger.warning("warm-up: the catalogue did not answer", exc_info=True)
    try:
        _role_pages(app)
    except Exception:
        app.logger.warning("warm-up: a role's pages did not answer", exc_info=True)
    finally:
        engine = app.extensions.get("srx.engine")
        if engine is not None:
            engine.dispose()  # no connection of this process may cross a fork
    return time.perf_counter() - t0


def _role_pages(app: Flask) -> None:
    """Each role's main pages read once, as the first user of that role (GETs change nothing): SQLAlchemy
    compiles their statements, Babel parses its number patterns, the recommender ranks one contract."""
    from sqlmodel import col, select

    from .db import get_session
    from .models import Contract, User

    with app.app_context():
        session = get_session()
        users = {u.role: u for u in session.exec(select(User).where(col(User.active).is_(True))).all()}
        company = users.get("company")
        contract = (
            session.exec(select(Contract).where(Contract.company_id == company.company_id)).first()
            if company is not None
            else None
        )
    pages = {
        "company": ["/company/", *([f"/company/contracts/{contract.id}"] if contract is not None else [])],
        "officer": ["/officer/", "/officer/matches"],
        "initiative": ["/initiative/"],
        "admin": ["/admin/users"],
    }
    for role, paths in pages.items():
        user = users.get(role)
        if user is None:
            continue
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = str(user.id)
            sess["_fresh"] = True
        for path in paths:
            client.get(path)
