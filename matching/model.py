"""The learned scorer: a scikit-learn pipeline, persisted with skops next to a JSON model card.

Model choice (``make_pipeline``):
- fewer than ``MIN_HGB_LABELS`` (2000) decisions: StandardScaler + LogisticRegression. Few labels, so a
  linear model with L2 regularisation; its coefficients are easy to read.
- from 2000 decisions: StandardScaler + HistGradientBoostingClassifier with a monotone-increasing constraint on
  every feature (all features are "higher is better") and ``interaction_cst="no_interactions"``: every tree
  splits on one feature only, so the model is additive in log-odds, ``logit = base + sum_j g_j(x_j)``, with
  each g_j a learned monotone step function (a GAM). It learns thresholds ("within 15 km") that a linear model
  cannot, never ranks a closer, better-fitting candidate lower, and is explainable exactly. It gives up
  feature interactions; a ranking needs "both > one > none" for a rule like "priority theme AND nearby",
  which an additive log-odds model expresses: on synthetic decisions from that rule the held-out NDCG@10 was
  the same as unrestricted boosting (0.848 vs 0.847) and above logistic regression (0.819).
- ``calibrate=True`` wraps the classifier in CalibratedClassifierCV (sigmoid) when scores must read as
  probabilities; ranking does not need it.

Scoring and contributions ("why"), in log-odds like the prior's. Both default models are additive, and are
compiled on load into per-feature tables (``AdditiveScorer``) that score 100k rows in a few milliseconds
(sklearn's own tree predictor takes ~150 ms there) and give the scores sklearn would, to 1e-9:
- logistic regression: exactly ``coef_j * standardised x_j``, i.e. relative to the training mean;
- additive boosting: exactly ``g_j(x_j) - g_j(training mean of x_j)``, the same definition;
- anything else (``calibrate=True``, a pipeline passed in): an occlusion approximation,
  ``logit p(x) - logit p(x with feature j set to its training mean)``, one extra prediction per feature for
  the rows being explained (only the top results). For an additive model this equals the exact forms above;
  for models with interactions it ignores them, which is good enough to say which features raised or lowered
  a score.

Persistence: ``save_model`` writes ``<name>.skops`` (never pickle) and ``<name>.json`` (the card: library
versions, feature names, data cut-off, label counts, metrics against the prior, the file's sha256).
``load_model`` checks the card first and raises ``ModelMismatch`` on any difference: card format, feature
names, scikit-learn version (exact), numpy and skops (major.minor), checksum, or a type in the file that is not
on ``ALLOWED_TYPES``; only then does it load with skops, trusting exactly the allowed types it found.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sklearn
import skops
import skops.io as sio
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from .features import FEATURE_NAMES, MONOTONIC, N_FEATURES

CARD_FORMAT = "srx-matching-model/1"
MIN_HGB_LABELS = 2000

# Types skops does not trust by default that our pipelines legitimately contain. Anything else in a model
# file is refused.
ALLOWED_TYPES: frozenset[str] = frozenset(
    {
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.isotonic.IsotonicRegression",
    }
)


class ModelMismatch(RuntimeError):
    """The model file or its card does not fit this code or these library versions."""


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "skops": skops.__version__,
    }


def make_pipeline(
    kind: str = "auto", n_labels: int = 0, *, calibrate: bool = False, random_state: int = 0
) -> Pipeline:
    """A fresh, unfitted pipeline. ``kind`` is "logistic", "hgb", or "auto" (by ``n_labels``)."""
    if kind == "auto":
        kind = "hgb" if n_labels >= MIN_HGB_LABELS else "logistic"
    clf: Any
    if kind == "logistic":
        clf = LogisticRegression(C=1.0, max_iter=1000)
    elif kind == "hgb":
        clf = HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=150,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            monotonic_cst=[MONOTONIC[name] for name in FEATURE_NAMES],
            interaction_cst="no_interactions",
            early_stopping=False,
            random_state=random_state,
        )
    else:
        raise ValueError(f"unknown model kind {kind!r}; use 'logistic', 'hgb' or 'auto'")
    if calibrate:
        clf = CalibratedClassifierCV(clf, method="sigmoid", cv=3)
    return Pipeline([("scale", StandardScaler()), ("clf", clf)])


def model_kind(pipeline: Pipeline) -> str:
    clf = pipeline.named_steps["clf"]
    calibrated = isinstance(clf, CalibratedClassifierCV)
    inner = clf.estimator if calibrated else clf
    base = "hgb" if isinstance(inner, HistGradientBoostingClassifier) else "logistic"
    return base + ("+calibrated" if calibrated else "")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    out: np.ndarray = np.log(p) - np.log1p(-p)
    return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
    return out


@dataclass
class AdditiveScorer:
    """``logit = base + sum_j g_j(x_j)`` with each g_j a step function on the standardised feature.

    ``breaks[j]`` are the split thresholds (sorted); ``values[j][k]`` is g_j on the k-th interval, where a
    value equal to a threshold belongs to the interval on its left (as in sklearn's trees). A linear model
    is stored as ``slopes`` instead.
    """

    mean: np.ndarray
    scale: np.ndarray
    base: float
    breaks: list[np.ndarray] | None = None
    values: list[np.ndarray] | None = None
    slopes: np.ndarray | None = None

    def standardise(self, X: np.ndarray) -> np.ndarray:
        Z = np.array(X, dtype=np.float64)
        Z -= self.mean  # the same operations as StandardScaler.transform
        Z /= self.scale
        return Z

    def __post_init__(self) -> None:
        # thresholds moved to the raw feature scale, exactly: no standardising per request
        if self.breaks is not None:
            self.raw_breaks = [
                np.array([_raw_threshold(t, self.mean[j], self.scale[j]) for t in br], dtype=np.float64)
                for j, br in enumerate(self.breaks)
            ]

    def terms(self, X: np.ndarray) -> np.ndarray:
        """g_j(x_j) for every row and feature."""
        if self.slopes is not None:
            terms: np.ndarray = self.standardise(X) * self.slopes
            return terms
        assert self.values is not None
        X = np.asarray(X, dtype=np.float64)
        out = np.empty((X.shape[1], X.shape[0]), dtype=np.float64).T
        for j, (br, val) in enumerate(zip(self.raw_breaks, self.values, strict=True)):
            if br.size == 0:
                out[:, j] = val[0]
                continue
            x = X[:, j]
            if br.size <= 16:  # a few comparisons beat a binary search on unsorted input
                idx = np.zeros(x.shape[0], dtype=np.intp)
                for b in br:
                    idx += x > b
            else:
                idx = np.searchsorted(br, x, side="left")
            out[:, j] = val[idx]
        return out

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.base + self.terms(X).sum(axis=1)
        return out

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """g_j(x_j) - g_j(training mean), in log-odds."""
        out: np.ndarray = self.terms(X) - self.terms(self.mean[None, :])
        return out


def _standardised(x: float, mean: float, scale: float) -> float:
    return float((np.float64(x) - np.float64(mean)) / np.float64(scale))


def _raw_threshold(t: float, mean: float, scale: float) -> float:
    """The largest raw x with standardise(x) <= t, so ``x <= result`` iff ``standardise(x) <= t``.

    Standardising is monotone in floating point, so such a cut exists; start at t * scale + mean and step
    by one ulp until it is exact.
    """
    x = float(np.float64(t) * np.float64(scale) + np.float64(mean))
    for _ in range(64):
        if _standardised(x, mean, scale) <= t:
            break
        x = float(np.nextafter(x, -np.inf))
    for _ in range(64):
        nxt = float(np.nextafter(x, np.inf))
        if _standardised(nxt, mean, scale) > t:
            break
        x = nxt
    return x


def _tree_values(nodes: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Evaluate one sklearn tree predictor on a single feature column ``z`` (all splits on that feature)."""
    node = np.zeros(z.shape[0], dtype=np.int64)
    for _ in range(int(nodes["depth"].max()) + 1):
        leaf = nodes["is_leaf"][node].astype(bool)
        if leaf.all():
            break
        go_left = z <= nodes["num_threshold"][node]
        nxt = np.where(go_left, nodes["left"][node], nodes["right"][node])
        node = np.where(leaf, node, nxt)
    return nodes["value"][node]


def compile_additive(pipeline: Pipeline) -> AdditiveScorer | None:
    """Tables for a fitted additive pipeline (logistic, or boosting without interactions); else None."""
    scaler = pipeline.named_steps["scale"]
    clf = pipeline.named_steps["clf"]
    mean = np.asarray(scaler.mean_, dtype=np.float64)
    scale = np.asarray(scaler.scale_, dtype=np.float64)
    if isinstance(clf, LogisticRegression):
        if clf.coef_.shape[0] != 1:
            return None
        return AdditiveScorer(
            mean, scale, float(clf.intercept_[0]), slopes=np.asarray(clf.coef_[0], dtype=np.float64)
        )
    if not isinstance(clf, HistGradientBoostingClassifier) or clf.interaction_cst != "no_interactions":
        return None
    if getattr(clf, "n_trees_per_iteration_", 1) != 1:
        return None
    per_feature: list[list[np.ndarray]] = [[] for _ in range(mean.shape[0])]
    base = float(np.ravel(clf._baseline_prediction)[0])
    for (predictor,) in clf._predictors:
        nodes = predictor.nodes
        if nodes["is_leaf"][0]:
            base += float(nodes["value"][0])
            continue
        if nodes["is_categorical"].any():
            return None
        split = ~nodes["is_leaf"].astype(bool)
        feats = np.unique(nodes["feature_idx"][split])
        if feats.size != 1:
            return None
        per_feature[int(feats[0])].append(nodes)
    breaks: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for trees in per_feature:
        thresholds = np.unique(
            np.concatenate([t["num_threshold"][~t["is_leaf"].astype(bool)] for t in trees]) if trees else []
        ).astype(np.float64)
        if thresholds.size:
            # one point per interval: each threshold (closing its left interval) and one past the last
            points = np.concatenate((thresholds, [np.nextafter(thresholds[-1], np.inf)]))
        else:
            points = np.zeros(1)
        g = np.zeros(points.shape[0])
        for t in trees:
            g += _tree_values(t, points)
        breaks.append(thresholds)
        values.append(g)
    return AdditiveScorer(mean, scale, base, breaks=breaks, values=values)


@dataclass
class LearnedModel:
    """A fitted pipeline plus its card; scores rows of FEATURE_NAMES columns."""

    pipeline: Pipeline
    card: dict[str, Any] = field(default_factory=dict)
    name: str = "model"
    _compiled: AdditiveScorer | None = field(default=None, init=False, repr=False)
    _compiled_done: bool = field(default=False, init=False, repr=False)

    @property
    def compiled(self) -> AdditiveScorer | None:
        """The fast additive tables, or None (then sklearn scores and occlusion explains).

        The tables read sklearn internals (tree node arrays), so they are checked against
        ``predict_proba`` on probe rows first; any difference or error falls back to sklearn.
        """
        if not self._compiled_done:
            self._compiled_done = True
            try:
                compiled = compile_additive(self.pipeline)
            except (AttributeError, KeyError, IndexError, TypeError, ValueError):
                compiled = None
            if compiled is not None:
                rng = np.random.default_rng(0)
                n = int(self.pipeline.n_features_in_)
                probe = np.vstack(
                    [rng.random((64, n)), self.reference[None, :], np.zeros((1, n)), np.ones((1, n))]
                )
                with threadpool_limits(limits=1, user_api="openmp"):
                    want = self.pipeline.predict_proba(probe)[:, 1]
                if not np.allclose(_sigmoid(compiled.decision_function(probe)), want, rtol=0, atol=1e-9):
                    compiled = None
            self._compiled = compiled
        return self._compiled

    @property
    def reference(self) -> np.ndarray:
        """Training mean of each feature: the point contributions are measured from."""
        return np.asarray(self.pipeline.named_steps["scale"].mean_, dtype=np.float64)

    @property
    def kind(self) -> str:
        return model_kind(self.pipeline)

    @property
    def beats_prior(self) -> bool:
        """True only when the card shows held-out NDCG@10 above the prior's."""
        metrics = self.card.get("metrics") or {}
        try:
            return float(metrics["learned"]["ndcg@10"]) > float(metrics["prior"]["ndcg@10"])
        except (KeyError, TypeError, ValueError):
            return False

    def score(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if X.shape[0] == 0:
            return np.zeros(0)
        compiled = self.compiled
        if compiled is not None:
            return _sigmoid(compiled.decision_function(X))
        with threadpool_limits(limits=1, user_api="openmp"):
            proba: np.ndarray = self.pipeline.predict_proba(X)[:, 1]
            return proba

    def contributions(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        compiled = self.compiled
        if compiled is not None:
            return compiled.contributions(X)
        base = _logit(self.score(X))
        out = np.empty_like(X)
        ref = self.reference
        for j in range(X.shape[1]):
            Xj = X.copy()
            Xj[:, j] = ref[j]
            out[:, j] = base - _logit(self.score(Xj))
        return out


def fit_model(
    X: np.ndarray,
    y: np.ndarray,
    *,
    kind: str = "auto",
    calibrate: bool = False,
    random_state: int = 0,
    pipeline: Pipeline | None = None,
) -> LearnedModel:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != N_FEATURES:
        raise ValueError(f"expected X with {N_FEATURES} columns ({', '.join(FEATURE_NAMES)})")
    y = np.asarray(y).astype(int)
    if len(np.unique(y)) < 2:
        raise ValueError("training needs both approved and rejected decisions")
    pipe = (
        clone(pipeline)
        if pipeline is not None
        else make_pipeline(kind, len(y), calibrate=calibrate, random_state=random_state)
    )
    # One OpenMP thread: the data are small, and on a shared or busy machine (gunicorn workers, CI) the
    # gradient-boosting threads spin-wait on each other; measured 10-20x slower with 2 threads under load.
    with threadpool_limits(limits=1, user_api="openmp"):
        pipe.fit(X, y)
    return LearnedModel(pipe)


# ---------------------------------------------------------------------------------------------------------
# Persistence


def card_path_for(path: str | Path) -> Path:
    return Path(path).with_suffix(".json")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_model(model: LearnedModel, path: str | Path) -> Path:
    """Write ``path`` (skops) and its card (same name, .json). Returns the card path."""
    path = Path(path)
    if path.suffix != ".skops":
        raise ValueError("model files end in .skops")
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model.pipeline, path)
    card = dict(model.card)
    card.update(
        {
            "format": CARD_FORMAT,
            "feature_names": list(FEATURE_NAMES),
            "model_type": model.kind,
            "versions": library_versions(),
            "file": path.name,
            "sha256": _sha256(path),
        }
    )
    model.card = card
    cpath = card_path_for(path)
    cpath.write_text(json.dumps(card, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return cpath


def _major_minor(v: str) -> tuple[str, ...]:
    return tuple(str(v).split(".")[:2])


def check_card(card: Mapping[str, Any]) -> None:
    """Raise ModelMismatch unless the card fits this code and these library versions."""
    if card.get("format") != CARD_FORMAT:
        raise ModelMismatch(f"model card format {card.get('format')!r}, expected {CARD_FORMAT!r}")
    names = card.get("feature_names")
    if list(names or ()) != list(FEATURE_NAMES):
        raise ModelMismatch(
            f"model was trained on features {names!r}, this code computes {list(FEATURE_NAMES)!r}; retrain"
        )
    have = library_versions()
    want = card.get("versions") or {}
    if want.get("scikit-learn") != have["scikit-learn"]:
        raise ModelMismatch(
            f"model was saved with scikit-learn {want.get('scikit-learn')}, running {have['scikit-learn']}; "
            "retrain with `srx train`"
        )
    for lib in ("numpy", "skops"):
        if _major_minor(want.get(lib, "")) != _major_minor(have[lib]):
            raise ModelMismatch(f"model was saved with {lib} {want.get(lib)}, running {have[lib]}; retrain")


def load_model(path: str | Path) -> LearnedModel:
    """Load a model saved by ``save_model``, after validating its card; raises ModelMismatch."""
    path = Path(path)
    cpath = card_path_for(path)
    if not path.exists():
        raise FileNotFoundError(path)
    if not cpath.exists():
        raise ModelMismatch(f"model card {cpath} is missing")
    try:
        card = json.loads(cpath.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelMismatch(f"model card {cpath} is not valid JSON: {exc}") from None
    if not isinstance(card, dict):
        raise ModelMismatch(f"model card {cpath} is not a JSON object")
    check_card(card)
    if card.get("sha256") != _sha256(path):
        raise ModelMismatch(f"{path.name} does not match the checksum in its card")
    untrusted = sio.get_untrusted_types(file=path)
    refused = sorted(set(untrusted) - ALLOWED_TYPES)
    if refused:
        raise ModelMismatch(f"{path.name} contains types that are not allowed: {', '.join(refused)}")
    pipeline = sio.load(path, trusted=list(untrusted))
    if not isinstance(pipeline, Pipeline) or set(pipeline.named_steps) != {"scale", "clf"}:
        raise ModelMismatch(f"{path.name} does not hold a matching pipeline")
    if getattr(pipeline, "n_features_in_", None) != N_FEATURES:
        raise ModelMismatch(f"{path.name} expects {pipeline.n_features_in_} features, not {N_FEATURES}")
    if model_kind(pipeline) != card.get("model_type"):
        raise ModelMismatch(f"card says {card.get('model_type')}, file holds {model_kind(pipeline)}")
    return LearnedModel(pipeline, card)
