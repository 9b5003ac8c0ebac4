"""Additive models compiled into per-feature tables: fast, exact scoring and contributions.

Both default models are additive in log-odds, ``logit = base + sum_j g_j(x_j)``: logistic regression (g_j
linear in the standardised feature) and boosting with ``interaction_cst="no_interactions"`` (g_j a step
function). ``compile_additive`` reads a fitted pipeline into an ``AdditiveScorer`` that scores 100k rows in a
few milliseconds and gives the scores sklearn would, to 1e-9 (``LearnedModel.compiled`` checks that on probe
rows before using it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline


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

    def _term(self, j: int, x: np.ndarray) -> np.ndarray:
        """g_j on the column ``x`` (step-function models)."""
        assert self.values is not None
        br, val = self.raw_breaks[j], self.values[j]
        if br.size == 0:
            return np.full(x.shape[0], val[0])
        if br.size <= 16:  # a few comparisons beat a binary search on unsorted input
            idx = np.zeros(x.shape[0], dtype=np.intp)
            for b in br:
                idx += x > b
        else:
            idx = np.searchsorted(br, x, side="left")
        out: np.ndarray = val[idx]
        return out

    def terms(self, X: np.ndarray) -> np.ndarray:
        """g_j(x_j) for every row and feature."""
        if self.slopes is not None:
            terms: np.ndarray = self.standardise(X) * self.slopes
            return terms
        X = np.asarray(X, dtype=np.float64)
        out = np.empty((X.shape[1], X.shape[0]), dtype=np.float64).T
        for j in range(X.shape[1]):
            out[:, j] = self._term(j, X[:, j])
        return out

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """base + sum_j g_j(x_j), summed column by column (no n x features temporary)."""
        X = np.asarray(X, dtype=np.float64)
        z = np.full(X.shape[0], self.base, dtype=np.float64)
        if self.slopes is not None:
            for j in range(X.shape[1]):
                z += (X[:, j] - self.mean[j]) / self.scale[j] * self.slopes[j]
            return z
        assert self.values is not None
        for j in range(X.shape[1]):
            if self.raw_breaks[j].size == 0:
                z += self.values[j][0]
            else:
                z += self._term(j, X[:, j])
        return z

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


__all__ = ["AdditiveScorer", "compile_additive"]
