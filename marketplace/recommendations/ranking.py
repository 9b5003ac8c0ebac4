"""Ranking once per contract state: the scorer's result cached in the process.

The contract page, the API, the officer's queue and every decision rank the same candidates for the same
contract again and again; the features (TF-IDF text fit, history rates) and scores only change when the
inputs do. An entry is keyed on the contract (id and version), the contract context the recommender sees
(remaining obligation, priorities, the company's profile; not its clock), every candidate as built from the database
now (so a need's open capacity or text that changed is a miss, never a stale hit), the limit, and it is
valid only for the decision history (`approval_stats`, rebuilt when a newer decision exists) and the model
it was computed with. Building the candidates still reads the database on every request; only the scoring
is skipped. A bounded LRU (512 entries) per process; nothing is shared between processes.
"""

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from matching import ApprovalStats, Candidate, ContractContext, Recommendation

MAX_ENTRIES = 512
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_lock = threading.Lock()
_cache: "OrderedDict[tuple[Any, ...], tuple[ApprovalStats, Any, list[Recommendation]]]" = OrderedDict()
_stats = {"hits": 0, "misses": 0}


def ranked(
    ctx: ContractContext,
    candidates: Sequence[Candidate],
    history: ApprovalStats,
    model: Any,
    limit: int,
    *,
    contract_version: int,
) -> list[Recommendation]:
    """`matching.rank(ctx, candidates, history, model, limit)`, computed once per state."""
    # `as_of` (now) only cuts the history off at the present; the history object is the state of that.
    key = (ctx.contract_id, contract_version, limit, replace(ctx, as_of=_EPOCH), repr(list(candidates)))
    with _lock:
        entry = _cache.get(key)
        if entry is not None and entry[0] is history and entry[1] is model:
            _cache.move_to_end(key)
            _stats["hits"] += 1
            return list(entry[2])
        _stats["misses"] += 1
    from matching.scorer import rank  # scikit-learn's TF-IDF: loaded on the first ranking, not at start-up

    recs = rank(ctx, list(candidates), history, model, limit)
    with _lock:
        _cache[key] = (history, model, recs)
        _cache.move_to_end(key)
        while len(_cache) > MAX_ENTRIES:
            _cache.popitem(last=False)
    return list(recs)


def cache_info() -> dict[str, int]:
    with _lock:
        return {**_stats, "entries": len(_cache)}


def clear() -> None:
    with _lock:
        _cache.clear()
        _stats.update(hits=0, misses=0)
