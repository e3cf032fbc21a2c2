"""A keyword analyzer with exact, documented outputs, swapped in through LARA_ANALYZER."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lara.analysis.engine import AnalysisResult

COMPLAINT = ("broken", "refund", "terrible", "failed", "worst", "late")
PRAISE = ("love", "great", "amazing", "thank")
IDEA = ("please add", "would be great if", "idea:")
BUYING = ("buy", "price", "how much", "cost")
SAFETY = ("brakes failed", "fire", "injured")


def _language(text: str) -> str:
    if re.search(r"[\u0590-\u05ff]", text):
        return "he"
    if re.search(r"[іїєґІЇЄҐ]", text):
        return "uk"
    if re.search(r"[а-яА-Я]", text):
        return "ru"
    return "en"


class FakeAnalyzer:
    version = "fake-1"

    def analyze(
        self, texts: Sequence[str], *, languages: Sequence[str] | None = None
    ) -> list[AnalysisResult]:
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> AnalysisResult:
        low = text.lower()
        if any(w in low for w in IDEA):
            kind = "suggestion"
        elif any(w in low for w in COMPLAINT):
            kind = "complaint"
        elif "?" in text:
            kind = "question"
        elif any(w in low for w in PRAISE):
            kind = "compliment"
        else:
            kind = "other"
        sentiment = {"complaint": "negative", "compliment": "positive"}.get(kind, "neutral")
        safety = tuple(f"safety: {w}" for w in SAFETY if w in low)
        intent = any(w in low for w in BUYING)
        return AnalysisResult(
            language=_language(text),
            language_confidence=0.99,
            sentiment=sentiment,
            sentiment_score=0.9 if sentiment != "neutral" else 0.7,
            type=kind,
            type_scores={kind: 1.0},
            purchase_intent=intent,
            purchase_intent_score=0.9 if intent else 0.05,
            urgency="critical" if safety else "normal",
            urgency_reasons=safety,
            topics=(),
            model_version=self.version,
            entities=tuple(
                {"name": "Volta", "kind": "brand", "text": w} for w in text.split() if w == "Volta"
            ),
            reasons=safety,
        )
