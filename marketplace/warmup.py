"""Warm a process up before it serves: what the first request would otherwise pay for.

gunicorn.conf.py calls `warm_up(app)` in the master after it loaded the app (preload), so every worker it
forks starts warm and shares these pages of memory copy-on-write; without preload each worker calls it once
before it accepts requests. It never raises: a warm-up that fails leaves a slower first request, not a
worker that does not start.

- the recommender's libraries (scikit-learn's TF-IDF, scipy's planner; ~1-2 s of imports) and the learned
  model when there is one;
- the search index: the FTS5 facet bitsets (restored from the snapshot in the file), or the connection;
- the templates of the pages every visitor sees (compiled once, kept in the process).
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

        from .recommendations.model_store import current_model

        current_model(Path(app.config["MODEL_PATH"]))
    except Exception:
        app.logger.warning("warm-up: the recommender did not load", exc_info=True)
    try:
        from search import FACETS, Query

        from .search_sync import get_backend

        with app.app_context():
            get_backend(app).search(Query(text="", facets=FACETS, per_page=1))
        client = app.test_client()
        for path in ("/", "/catalogue", "/login"):
            client.get(path)
    except Exception:
        app.logger.warning("warm-up: the catalogue did not answer", exc_info=True)
    finally:
        engine = app.extensions.get("srx.engine")
        if engine is not None:
            engine.dispose()  # no connection of this process may cross a fork
    return time.perf_counter() - t0
