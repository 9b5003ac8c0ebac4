"""The hand-weighted cold-start scorer ("the prior").

Used until a learned model exists and has beaten it on held-out officer decisions. It is a logistic of a
weighted sum of each feature's distance from its neutral value:

    contribution_j = WEIGHTS[j] * (x_j - FEATURE_NEUTRAL[j])
    score          = 1 / (1 + exp(-(BIAS + sum_j contribution_j)))

so a feature at its neutral value (see ``matching.features``) contributes nothing and the score is in (0, 1).
Each weight has the sign of its feature's known direction (``features.MONOTONIC``): the score never drops
when a theme fit rises and never rises when the overshoot does. Features it has no opinion about (the kind
and route one-hots) weigh 0. Contributions are in log-odds and are what the reasons quote.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .features import FEATURE_NAMES, KIND_FEATURES, MONOTONIC, NEUTRAL_VECTOR, ROUTE_FEATURES

# Log-odds per unit of feature (each feature is in [0, 1]). The ordering, not the exact values, is the
# judgement: what an officer checks first weighs most.
WEIGHTS: Mapping[str, float] = {
    # The government decides what counts; serving one of its priority themes is the main reason to approve.
    "priority_theme_fit": 3.0,
    # A company sticks with pledges it cares about; it is the company that chooses, so this still matters.
    "company_interest_fit": 1.0,
    # TF-IDF cosine is noisy and usually small (0-0.3); a clear overlap with the profile still helps.
    "text_fit": 2.0,
    # Nearby contributions are easier to deliver, and some routes must land in the government's area.
    "closeness": 1.5,
    # Bigger needs cover more of the obligation with one pledge, but size alone is no reason to approve ...
    "size_ratio": 0.8,
    # ... and officers turn down needs far larger than what is owed: -1.5 per doubling beyond it, so above
    # what is owed the two together lower the score (0.8 - 1.5 per doubling).
    "overshoot": -1.5,
    # The government's route ladder: paid work before the broader routes, as it orders them.
    "route_preference": 1.2,
    # The company's own query: relevant, but retrieval already filtered on it, so a modest weight.
    "search_relevance": 0.8,
    # Past approvals of this initiative by this government (Beta-smoothed, so a few decisions move it little).
    "approval_rate": 2.0,
    # What companies of this sector had approved for this kind of need: the strongest factor found in officer
    # decisions. Shrunk to everyone's rate, so it moves only once a sector has a history. Half the weight of
    # approval_rate: it pools every government's officers, so it speaks less for this one.
    "sector_kind_rate": 1.0,
    # The company's own rate is shrunk to its sector's and the route rates mostly repeat the kind rates (a
    # kind fixes its route more often than not): weighing them too would count the sector rate two or three
    # times over. The prior leaves them to the model.
    "company_kind_rate": 0.0,
    "sector_route_rate": 0.0,
    "company_route_rate": 0.0,
    # The kind and route one-hots: the prior has no opinion on a kind or a route by itself (0, ignored).
    **{name: 0.0 for name in (*KIND_FEATURES, *ROUTE_FEATURES)},
}
BIAS = 0.0  # all features at neutral -> score 0.5

WEIGHT_VECTOR = np.array([WEIGHTS[name] for name in FEATURE_NAMES], dtype=np.float64)
assert set(WEIGHTS) == set(FEATURE_NAMES), "prior weights must cover exactly FEATURE_NAMES"
assert all(MONOTONIC[n] * WEIGHTS[n] > 0 for n in FEATURE_NAMES if MONOTONIC[n]), (
    "a prior weight must have the sign of its feature's known direction (features.MONOTONIC)"
)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # Clipping keeps it in (0, 1) without overflow warnings; the features are bounded anyway.
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
    return out


def contributions(X: np.ndarray) -> np.ndarray:
    """Per-feature log-odds contributions, shape like X."""
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    return (X - NEUTRAL_VECTOR) * WEIGHT_VECTOR


def decision_function(X: np.ndarray) -> np.ndarray:
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    out: np.ndarray = X @ WEIGHT_VECTOR + (
        BIAS - float(NEUTRAL_VECTOR @ WEIGHT_VECTOR)
    )  # no n x features temporary
    return out


def score(X: np.ndarray) -> np.ndarray:
    """Scores in [0, 1] for each row of X."""
    return _sigmoid(decision_function(X))


class PriorScorer:
    """The prior behind the same small interface as a learned model."""

    name = "prior"

    def score(self, X: np.ndarray) -> np.ndarray:
        return score(X)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        return contributions(X)


PRIOR = PriorScorer()
