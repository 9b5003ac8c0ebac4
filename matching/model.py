"""The learned scorer: a scikit-learn pipeline, persisted with skops next to a JSON model card.

Model choice (``make_pipeline``):
- fewer than ``MIN_HGB_LABELS`` (2000) decisions: StandardScaler + LogisticRegression. Few labels, so a
  linear model with strong L2 regularisation (``LOGISTIC_C``; the one-hot columns kept on their 0/1 scale, so
  penalised ~9x more), its log-odds scale refitted afterwards; its coefficients are easy to read
  (``LearnedModel.effects``).
- from 2000 decisions: StandardScaler + HistGradientBoostingClassifier with monotone constraints only where
  the direction is known (``features.MONOTONIC``: theme fits up, overshoot down; none elsewhere, so it can
  learn that size lowers the chance as the logistic model does) and ``interaction_cst="no_interactions"``:
  every tree splits on one feature only, so the model is additive in log-odds,
  ``logit = base + sum_j g_j(x_j)``, with each g_j a learned step function (a GAM). It learns thresholds
  ("within 15 km") that a linear model cannot, never ranks a better-fitting candidate lower, and is
  explainable exactly. It gives up feature interactions; a ranking needs "both > one > none" for a rule like
  "priority theme AND nearby", which an additive log-odds model expresses: on synthetic decisions from that
  rule the held-out NDCG@10 was the same as unrestricted boosting (0.848 vs 0.847) and above logistic
  regression (0.819). The one interaction that matters most in officer decisions, sector x need kind, comes
  in as a feature (``sector_kind_rate``), so no tree has to find it.
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
versions, feature set and names, the monotone constraints, data cut-off, label counts, metrics against the
prior with their bootstrap interval, the file's sha256). ``load_model`` checks the card first and raises
``ModelMismatch`` on any difference: card format, feature set or names (an old model file with the old
feature order is refused; the marketplace then falls back to the prior), scikit-learn version (exact), numpy and skops (major.minor), checksum, or a type in the file that is not
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

from .additive import AdditiveScorer, compile_additive
from .features import FEATURE_NAMES, FEATURE_SET, KIND_FEATURES, MONOTONIC, N_FEATURES, ROUTE_FEATURES

CARD_FORMAT = "srx-matching-model/1"
ONE_HOT_MASK = np.array([name in (*KIND_FEATURES, *ROUTE_FEATURES) for name in FEATURE_NAMES])
MIN_HGB_LABELS = 2000
# Inverse L2 strength of the logistic model (features standardised). Strong: with a few hundred decisions and
# two dozen correlated features, a strongly shrunk direction ranks better on unseen companies (mean NDCG@10 gain
# over the prior after 300 decisions, rules A and B of matching.synthetic, 4 seeds each: +0.094 at C=1, +0.110
# at 0.1, +0.120 at 0.03, +0.127 at 0.01), and its weights swing less between runs. The scale of the log-odds is then refitted (``_refit_scale``), so scores and contributions stay
# readable as log-odds; ranking does not depend on that scale.
LOGISTIC_C = 0.01

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
        clf = LogisticRegression(C=LOGISTIC_C, max_iter=1000)
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
        """True only when the card's held-out evaluation puts the model above the prior with confidence.

        That is: the lower bound of the bootstrap interval (over companies) of the model's NDCG@10 gain over
        the prior is above 0 (``training.evaluate``). A card without that interval never qualifies.
        """
        gain = (self.card.get("evaluation") or {}).get("gain") or {}
        try:
            return float(gain["low"]) > 0.0
        except (KeyError, TypeError, ValueError):
            return False

    def effects(self) -> dict[str, float]:
        """What each feature does to the log-odds, signed: the change from one scale unit below the training
        mean to one above it, halved. The unit is the feature's standard deviation (for the logistic model's
        one-hot columns: 1, from absent to present). Exactly the coefficient for the logistic model; a local
        slope of the learned step function for boosting. Rank by absolute value for
        the features' importance; the card keeps these as ``effects``.
        """
        mean = self.reference
        sd = np.asarray(self.pipeline.named_steps["scale"].scale_, dtype=np.float64)
        out: dict[str, float] = {}
        for j, name in enumerate(FEATURE_NAMES):
            lo = mean.copy()
            hi = mean.copy()
            lo[j] -= sd[j]
            hi[j] += sd[j]
            pair = np.vstack([lo, hi])
            compiled = self.compiled
            z = compiled.decision_function(pair) if compiled is not None else _logit(self.score(pair))
            out[name] = float((z[1] - z[0]) / 2.0)
        return out

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
        if _is_linear(pipe):
            # The kind and route one-hots stay on their 0/1 scale (centred, not divided by their standard
            # deviation, which is about 1/3): the L2 penalty on them is ~9x that on a standardised feature. With
            # a few hundred decisions a kind's own effect is mostly noise (the sector-by-kind rates carry what
            # matters). After 300 decisions of matching.synthetic's rule B (8 seeds), mean NDCG@10 gain over the
            # prior +0.083 with them standardised, +0.117 like this.
            scaler = pipe.named_steps["scale"]
            scaler.fit(X)
            scaler.scale_ = np.where(ONE_HOT_MASK, 1.0, scaler.scale_)
            pipe.named_steps["clf"].fit(scaler.transform(X), y)
        else:
            pipe.fit(X, y)
    _refit_scale(pipe, X, y)
    return LearnedModel(pipe)


def _is_linear(pipe: Pipeline) -> bool:
    clf = pipe.named_steps.get("clf")
    inner = clf.estimator if isinstance(clf, CalibratedClassifierCV) else clf
    return isinstance(inner, LogisticRegression) and isinstance(pipe.named_steps.get("scale"), StandardScaler)


def _refit_scale(pipe: Pipeline, X: np.ndarray, y: np.ndarray) -> None:
    """Rescale a fitted logistic model's log-odds: keep its direction, refit slope and offset on the data.

    A strongly regularised fit (``LOGISTIC_C``) shrinks every weight toward 0, so its scores crowd around the
    base rate and its contributions (the reasons) shrink with them. One 1-D logistic fit of the labels on the
    model's own decision function restores the scale: ``coef *= a``, ``intercept = a * intercept + b``. The
    ranking does not change (a > 0 is kept; otherwise nothing is touched).
    """
    clf = pipe.named_steps.get("clf")
    if not isinstance(clf, LogisticRegression) or clf.coef_.shape[0] != 1:
        return
    z = pipe.decision_function(X).reshape(-1, 1)
    if float(np.std(z)) == 0.0:
        return
    one = LogisticRegression(C=1e6, max_iter=1000).fit(z, y)
    a = float(one.coef_[0, 0])
    if not np.isfinite(a) or a <= 0.0:
        return
    clf.coef_ = clf.coef_ * a
    clf.intercept_ = clf.intercept_ * a + one.intercept_


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
            "feature_set": FEATURE_SET,
            "feature_names": list(FEATURE_NAMES),
            "monotonic": {name: MONOTONIC[name] for name in FEATURE_NAMES if MONOTONIC[name]},
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
    if card.get("feature_set") != FEATURE_SET or list(names or ()) != list(FEATURE_NAMES):
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
