"""Bundle the trained heads, load and save them as one small artifact.

All learnt parts (IDF vector, sentiment / complaint / purchase heads and the
blend weights) live in a single joblib file made of numpy arrays and plain
dicts.  The short SHA-256 of that file goes into ``model_version`` so every
stored analysis can be traced to the exact weights that produced it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.utils import murmurhash3_32

from . import lexicons
from .classifier import LinearHead, dense_rows, positive_proba
from .features import FeatureConfig, Featurizer

MODEL_NAME = "lara-triage"
MODEL_VERSION = "0.1.0"
ARTIFACT_FORMAT = 1
ARTIFACT_FILE = "lara-triage.joblib"
DEFAULT_ARTIFACT = Path(__file__).resolve().parent / "artifacts" / ARTIFACT_FILE

XLING_FEATURES = (
    "p_negative",
    "p_positive",
    "complaint_cues",
    "negative_cues",
    "positive_cues",
    "question",
    "exclaim",
)


def xling_features(p_negative: float, p_positive: float, normalized: str, question: float) -> list[float]:
    """Build the language-independent complaint features for one text.

    The complaint corpus is English-only, so this small head learns how
    negative sentiment, complaint cues and questions combine into a complaint
    from features that exist in every language; it is what classifies
    Hebrew, Russian and Ukrainian complaints.
    """
    pos, neg = lexicons.sentiment_counts(normalized)
    return [
        p_negative,
        p_positive,
        math.log1p(len(lexicons.COMPLAINT.finditer(normalized))),
        math.log1p(neg),
        math.log1p(pos),
        question,
        1.0 if "!" in normalized else 0.0,
    ]


@dataclass
class TriageModel:
    """Hold the featurizer and every trained head of the analyzer."""

    featurizer: Featurizer
    sentiment: LinearHead
    complaint_text: LinearHead
    complaint_xling: LinearHead
    purchase_text: LinearHead
    params: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    digest: str = ""

    @property
    def version(self) -> str:
        suffix = f"+{self.digest[:8]}" if self.digest else ""
        return f"{MODEL_NAME}-{MODEL_VERSION}{suffix}"

    def to_dict(self) -> dict[str, Any]:
        """Serialise to arrays and builtins only (no scikit-learn objects)."""
        assert self.featurizer.idf is not None
        return {
            "format": ARTIFACT_FORMAT,
            "name": MODEL_NAME,
            "version": MODEL_VERSION,
            "feature_config": self.featurizer.config.to_dict(),
            "idf": self.featurizer.idf.astype(np.float16),
            "heads": {
                "sentiment": self.sentiment.to_dict(),
                "complaint_text": self.complaint_text.to_dict(),
                "complaint_xling": self.complaint_xling.to_dict(),
                "purchase_text": self.purchase_text.to_dict(),
            },
            "params": dict(self.params),
            "meta": self.meta,
        }

    def save(self, path: Path) -> str:
        """Write the artifact and return its SHA-256 hex digest."""
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.to_dict(), path, compress=("zlib", 6))
        self.digest = file_digest(path)
        return self.digest

    @classmethod
    def load(cls, path: Path = DEFAULT_ARTIFACT) -> TriageModel:
        """Read an artifact written by :meth:`save`."""
        data = joblib.load(path)
        if data.get("format") != ARTIFACT_FORMAT:
            raise ValueError(f"{path}: unsupported artifact format {data.get('format')!r}")
        config = FeatureConfig(**data["feature_config"])
        featurizer = Featurizer(config, np.asarray(data["idf"], dtype=np.float32))
        heads = {name: LinearHead.from_dict(h) for name, h in data["heads"].items()}
        return cls(
            featurizer=featurizer,
            sentiment=heads["sentiment"],
            complaint_text=heads["complaint_text"],
            complaint_xling=heads["complaint_xling"],
            purchase_text=heads["purchase_text"],
            params=dict(data.get("params", {})),
            meta=dict(data.get("meta", {})),
            digest=file_digest(path),
        )

    def word_idf(self, words: Sequence[str]) -> list[float]:
        """Return the IDF of single words (used to rank topics).

        Hashes exactly like scikit-learn's HashingVectorizer (signed
        MurmurHash3, absolute value modulo the bucket count), without building
        a sparse matrix per call.
        """
        assert self.featurizer.idf is not None
        offset = 2**self.featurizer.config.char_bits
        buckets = 2**self.featurizer.config.word_bits
        idf = self.featurizer.idf
        return [float(idf[offset + abs(murmurhash3_32(w, seed=0, positive=False)) % buckets]) for w in words]

    def complaint_proba(
        self,
        X: Any,
        sentiment_proba: np.ndarray,
        normalized: Sequence[str],
        questions: Sequence[float],
        english: Sequence[bool],
    ) -> np.ndarray:
        """Blend the English text model with the cross-lingual head.

        The text model only knows English n-grams, so it is used (blended)
        for English texts; other languages rely on the cross-lingual head.
        """
        neg = self.sentiment.classes.index("negative")
        pos = self.sentiment.classes.index("positive")
        rows = [
            xling_features(float(p[neg]), float(p[pos]), t, q)
            for p, t, q in zip(sentiment_proba, normalized, questions, strict=True)
        ]
        xling = positive_proba(self.complaint_xling, dense_rows(rows), "complaint")
        text = positive_proba(self.complaint_text, X, "complaint")
        w = float(self.params.get("complaint_text_weight", 0.7))
        en = np.asarray(english, dtype=bool)
        return np.where(en, w * text + (1.0 - w) * xling, xling)

    def purchase_proba(self, X: Any, normalized: Sequence[str], english: Sequence[bool]) -> np.ndarray:
        """Blend purchase cues (all languages) with the noisy English tweet model."""
        cues = np.asarray([lexicons.PURCHASE.score(t) for t in normalized], dtype=np.float64)
        text = positive_proba(self.purchase_text, X, "yes")
        w = float(self.params.get("purchase_text_weight", 1.0))
        en = np.asarray(english, dtype=bool)
        return np.where(en, np.maximum(cues, w * text), cues)


def file_digest(path: Path) -> str:
    """Return the SHA-256 hex digest of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
