"""Apply trained linear models stored as plain arrays.

The artifact keeps only coefficients, intercepts and class names (no pickled
scikit-learn estimator), so loading it never depends on the scikit-learn
version that trained it and cannot execute arbitrary pickled code paths beyond
numpy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class LinearHead:
    """Score a feature matrix with a multinomial (or binary) logistic model."""

    classes: tuple[str, ...]
    coef: np.ndarray  # (n_classes or 1, n_features), float32
    intercept: np.ndarray  # (n_classes or 1,)

    @classmethod
    def from_estimator(cls, estimator: Any) -> LinearHead:
        """Copy the learnt weights out of a fitted scikit-learn linear classifier."""
        return cls(
            classes=tuple(str(c) for c in estimator.classes_),
            coef=np.asarray(estimator.coef_, dtype=np.float32),
            intercept=np.asarray(estimator.intercept_, dtype=np.float32),
        )

    def predict_proba(self, X: sparse.csr_matrix | np.ndarray) -> np.ndarray:
        """Return class probabilities, columns ordered as ``classes``."""
        scores = np.asarray(X @ self.coef.T, dtype=np.float64) + self.intercept
        if len(self.classes) == 2 and self.coef.shape[0] == 1:
            p1 = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - p1, p1])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, X: sparse.csr_matrix | np.ndarray) -> list[str]:
        """Return the most probable class name per row."""
        proba = self.predict_proba(X)
        return [self.classes[i] for i in proba.argmax(axis=1)]

    def to_dict(self) -> dict[str, Any]:
        """Serialise to builtins + numpy arrays for joblib."""
        return {"classes": list(self.classes), "coef": self.coef, "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinearHead:
        """Rebuild a head written by :meth:`to_dict`."""
        return cls(
            classes=tuple(data["classes"]),
            coef=np.asarray(data["coef"], dtype=np.float32),
            intercept=np.asarray(data["intercept"], dtype=np.float32),
        )


def positive_proba(head: LinearHead, X: sparse.csr_matrix | np.ndarray, positive: str) -> np.ndarray:
    """Return the probability column of class ``positive``."""
    return head.predict_proba(X)[:, head.classes.index(positive)]


def dense_rows(rows: Sequence[Sequence[float]]) -> np.ndarray:
    """Stack small per-text feature lists into a float32 matrix."""
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
