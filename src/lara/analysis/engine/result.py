"""Define the result record that every analyzer returns.

A frozen dataclass (rather than a dict) gives callers a stable, typed contract;
``as_dict`` produces the JSON-ready form that gets stored next to a mention.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class AnalysisResult:
    """Hold the triage analysis of one message."""

    language: str  # ISO 639-1 ("en", "he", "ru", "uk", ...) or "und"
    language_confidence: float
    sentiment: str  # "negative" | "neutral" | "positive"
    sentiment_score: float  # probability of the chosen sentiment label
    type: str  # "question" | "complaint" | "compliment" | "suggestion" | "other"
    type_scores: dict[str, float] = field(hash=False)
    purchase_intent: bool
    purchase_intent_score: float
    urgency: str  # "low" | "normal" | "high" | "critical"
    urgency_reasons: tuple[str, ...]
    topics: tuple[str, ...]
    model_version: str
    # Catalogue hits: {"name", "kind" (product | brand | competitor), "text" (as written)}.
    entities: tuple[dict[str, str], ...] = field(default=(), hash=False)
    # Why the message was flagged: the urgency reasons, then purchase and competitor cues.
    reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (tuples become lists, floats stay floats)."""
        return {
            "language": self.language,
            "language_confidence": float(self.language_confidence),
            "sentiment": self.sentiment,
            "sentiment_score": float(self.sentiment_score),
            "type": self.type,
            "type_scores": {k: float(v) for k, v in self.type_scores.items()},
            "purchase_intent": bool(self.purchase_intent),
            "purchase_intent_score": float(self.purchase_intent_score),
            "urgency": self.urgency,
            "urgency_reasons": list(self.urgency_reasons),
            "topics": list(self.topics),
            "entities": [dict(e) for e in self.entities],
            "reasons": list(self.reasons),
            "model_version": self.model_version,
        }


def empty_result(model_version: str) -> AnalysisResult:
    """Return the fixed result for empty or whitespace-only text."""
    return AnalysisResult(
        language="und",
        language_confidence=0.0,
        sentiment="neutral",
        sentiment_score=1.0,
        type="other",
        type_scores={"question": 0.0, "complaint": 0.0, "compliment": 0.0, "suggestion": 0.0, "other": 1.0},
        purchase_intent=False,
        purchase_intent_score=0.0,
        urgency="low",
        urgency_reasons=(),
        topics=(),
        model_version=model_version,
    )
