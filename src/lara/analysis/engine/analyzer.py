"""Run the whole triage pipeline over a batch of messages.

Batching matters: vectorisation and the linear heads are matrix operations,
and lingua detects a batch in parallel, so one call over many texts is far
cheaper than many calls over one text.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import lexicons, message_type, topics, urgency
from .entities import Catalogue, default_catalogue
from .language import detect_languages
from .model import DEFAULT_ARTIFACT, TriageModel
from .result import AnalysisResult, empty_result
from .text import normalize

CHUNK = 512
# Longer texts are cut: triage needs the gist, and it bounds time per message.
MAX_CHARS = 5000
# Safety, legal, churn, outage and media cues make a message at least this
# likely to be a complaint (a question about them still stays a question).
ESCALATION_COMPLAINT_FLOOR = 0.6


class TriageAnalyzer:
    """Analyze messages with a loaded :class:`TriageModel`.

    Instances hold only read-only arrays after construction, so one instance
    can serve many threads.
    """

    def __init__(self, model: TriageModel, catalogue: Catalogue | None = None) -> None:
        self.model = model
        self.catalogue = catalogue if catalogue is not None else default_catalogue()
        self.version = model.version
        self._purchase_threshold = float(model.params.get("purchase_threshold", 0.5))

    def analyze(
        self, texts: Sequence[str], *, languages: Sequence[str] | None = None
    ) -> list[AnalysisResult]:
        """Return one :class:`AnalysisResult` per text, in order; never raises on content."""
        if isinstance(texts, str):
            raise TypeError("analyze() expects a sequence of texts, not a single string")
        out: list[AnalysisResult] = []
        items = ["" if t is None else str(t)[:MAX_CHARS] for t in texts]
        for start in range(0, len(items), CHUNK):
            out.extend(self._analyze_chunk(items[start : start + CHUNK], languages))
        return out

    def _analyze_chunk(self, texts: list[str], languages: Sequence[str] | None) -> list[AnalysisResult]:
        results: list[AnalysisResult | None] = [None] * len(texts)
        normalized = [normalize(t) for t in texts]
        idx = [i for i, n in enumerate(normalized) if n]
        for i, n in enumerate(normalized):
            if not n:
                results[i] = empty_result(self.version)
        if idx:
            m = self.model
            norm = [normalized[i] for i in idx]
            langs = detect_languages([texts[i] for i in idx], languages)
            X = m.featurizer.transform(norm)
            sent_p = m.sentiment.predict_proba(X)
            questions = [message_type.question_score(n) for n in norm]
            english = [lang == "en" for lang, _ in langs]
            complaint_p = m.complaint_proba(X, sent_p, norm, questions, english)
            purchase_p = m.purchase_proba(X, norm, english)
            classes = m.sentiment.classes
            pos_col = classes.index("positive")
            for k, i in enumerate(idx):
                n = norm[k]
                best = int(np.argmax(sent_p[k]))
                sentiment = classes[best]
                reasons = tuple(urgency.find_reasons(n))
                complaint = float(complaint_p[k])
                if any(cat in urgency.COMPLAINT_CATEGORIES for cat, _ in reasons):
                    complaint = max(complaint, ESCALATION_COMPLAINT_FLOOR)
                type_label, type_scores = message_type.combine(
                    question=questions[k],
                    complaint=complaint,
                    compliment=message_type.compliment_score(float(sent_p[k][pos_col]), n),
                    suggestion=message_type.suggestion_score(n),
                )
                purchase = bool(purchase_p[k] >= self._purchase_threshold)
                level, reason_labels = urgency.assess(
                    urgency.UrgencyInput(n, sentiment, type_label, purchase, reasons)
                )
                lang, lang_conf = langs[k]
                entities = self.catalogue.find(texts[i])
                results[i] = AnalysisResult(
                    language=lang,
                    language_confidence=round(float(lang_conf), 4),
                    sentiment=sentiment,
                    sentiment_score=round(float(sent_p[k][best]), 4),
                    type=type_label,
                    type_scores=type_scores,
                    purchase_intent=purchase,
                    purchase_intent_score=round(float(purchase_p[k]), 4),
                    urgency=level,
                    urgency_reasons=reason_labels,
                    topics=topics.extract(n, m.word_idf, texts[i]),
                    model_version=self.version,
                    entities=entities,
                    reasons=reason_labels + extra_reasons(n, purchase, float(purchase_p[k]), entities),
                )
        return [r for r in results if r is not None]


def extra_reasons(
    normalized: str, purchase: bool, purchase_score: float, entities: Sequence[dict[str, str]]
) -> tuple[str, ...]:
    """Explain a purchase flag and name competitors, after the urgency reasons.

    Sales wants to see what made a lead ("purchase cue: where can i buy") and
    that a competitor came up, because a comparison is a buying signal too.
    """
    out: list[str] = []
    if purchase:
        cues = lexicons.PURCHASE.finditer(normalized)
        if cues:
            out.extend(f"purchase cue: {c.text}" for c in cues[:2])
        else:
            out.append(f"purchase model: {purchase_score:.2f}")
    out.extend(f"competitor: {e['name']}" for e in entities if e["kind"] == "competitor")
    return tuple(out)


_lock = threading.Lock()
_default: TriageAnalyzer | None = None


def artifact_path() -> Path:
    """Return the artifact to load: ``LARA_TRIAGE_ARTIFACT`` or the shipped one."""
    return Path(os.environ.get("LARA_TRIAGE_ARTIFACT", DEFAULT_ARTIFACT))


def get_analyzer(catalogue: Catalogue | None = None) -> TriageAnalyzer:
    """Return the process-wide analyzer, loading the artifact once (thread-safe).

    With a ``catalogue`` (an organisation's own products and competitors) the
    answer is a new analyzer sharing the loaded model; without one it is the
    shared instance with the demo brand's catalogue.
    """
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                path = artifact_path()
                if not path.exists():
                    raise FileNotFoundError(
                        f"triage artifact not found at {path}; build it with "
                        "`python -m lara.analysis.engine.training --data ../shared/data "
                        "--out src/lara/analysis/engine/artifacts`"
                    )
                _default = TriageAnalyzer(TriageModel.load(path))
    if catalogue is not None:
        return TriageAnalyzer(_default.model, catalogue)
    return _default
