"""The learned model on disk (MODEL_PATH), loaded once per process and again when its files change."""

import logging
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None, "model": None}


def current_model(path: Path) -> Any:
    """The learned model when it exists, matches and beat the prior; otherwise None (rank with the prior).

    Importing matching's model module pulls in scikit-learn and skops, so it happens only when a model file
    exists, never at app start.
    """
    try:
        # Both files: a new card with an old model (or the reverse) must not be served from the cache.
        stamp = (path.stat().st_mtime_ns, path.with_suffix(".json").stat().st_mtime_ns)
    except OSError:
        return None
    key = f"{path}:{stamp}"
    with _lock:
        if _cache["key"] != key:
            from matching import ModelMismatch, load_model

            try:
                model = load_model(path)
            except (ModelMismatch, OSError, ValueError) as exc:
                log.warning("model file %s not used, falling back to the prior: %s", path, exc)
                model = None
            _cache.update(key=key, model=model)
        return _cache["model"]
