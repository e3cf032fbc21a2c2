"""Score questions and suggestions with rules, and pick a message type.

There is no labelled multilingual corpus for "question / complaint /
compliment / suggestion", so the type is assembled from evidence that works in
all four priority languages: punctuation and interrogative openers for
questions, cue phrases for suggestions, the complaint model for complaints,
and positive sentiment plus praise cues for compliments.
"""

from __future__ import annotations

import re

from . import lexicons

TYPE_LABELS: tuple[str, ...] = ("question", "complaint", "compliment", "suggestion", "other")

# Thresholds: a label must reach this raw score to beat "other".
MIN_SCORE = 0.5

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?؟;…\n])\s+")
_CLAUSE_SPLIT = re.compile(r"[,:\-–—]\s+")
_NOISE = re.compile(r"@user|httpurl|#")
_GREETINGS_TEXT = (
    "hi hello hey dear hiya yo ok okay so and but also please привет здравствуйте добрый день доброе "
    "утро вечер подскажите пожалуйста ребята привіт вітаю добрий доброго ранку вечора будь ласка "
    "друзі שלום היי הי ערב בוקר טוב צהריים תודה"
)
_GREETINGS = frozenset(_GREETINGS_TEXT.split())
_WORD = re.compile(r"\w+(?:['\-]\w+)*")
# Yes/no openers ("can you…", "можно…") are a little weaker evidence than wh-words.
_AUXILIARY_OPENERS = frozenset(
    {"can", "could", "would", "will", "is", "are", "am", "do", "does", "did", "should", "shall", "may", "has"}
    | {"was", "were", "можно", "можна", "אפשר"}
)
_EXCLAMATIVE_OPENERS = frozenset(
    {"what", "how", "как", "какой", "какая", "какое", "як", "який", "яка", "яке", "איזה", "איזו", "כמה", "מה"}
)


def _strip_greeting(segment: str) -> str:
    words = list(_WORD.finditer(segment))
    for m in words:
        if m.group() not in _GREETINGS:
            return segment[m.start() :]
    return ""


def _opener(segment: str) -> lexicons.CueMatch | None:
    segment = _strip_greeting(segment)
    if not segment:
        return None
    hits = lexicons.QUESTION_OPENERS.finditer(segment)
    if hits and hits[0].start == 0:
        return hits[0]
    return None


def question_score(normalized: str) -> float:
    """Return 0..1 evidence that the message asks something.

    A question mark is the strongest cue; an interrogative word opening a
    sentence ("how", "где", "чи", "האם"…) counts almost as much, because
    chat users often drop the question mark.  Interrogatives inside a
    sentence ("I know how to…") count little.
    """
    text = _NOISE.sub(" ", normalized).strip()
    if not text:
        return 0.0
    score = 0.0
    if "?" in text or "؟" in text:
        score = 0.95
    score = max(score, 0.75 * lexicons.QUESTION_ANYWHERE.score(text))
    for sentence in _SENTENCE_SPLIT.split(text):
        exclamation = sentence.rstrip().endswith("!")
        hit = _opener(sentence)
        if hit is not None:
            first = hit.text.split()[0]
            if exclamation and first in _EXCLAMATIVE_OPENERS:
                score = max(score, 0.3)
            elif hit.text in _AUXILIARY_OPENERS:
                score = max(score, 0.7 if not exclamation else 0.4)
            else:
                score = max(score, 0.85 if not exclamation else 0.4)
            continue
        for clause in _CLAUSE_SPLIT.split(sentence)[1:]:
            hit = _opener(clause)
            if hit is not None and hit.text not in {
                "is",
                "are",
                "am",
                "do",
                "does",
                "did",
                "was",
                "were",
                "will",
            }:
                score = max(score, 0.4)
    return score


def suggestion_score(normalized: str) -> float:
    """Return the weight of the strongest idea / feature-request cue (0 without one)."""
    return lexicons.SUGGESTION.score(normalized)


def compliment_score(p_positive: float, normalized: str) -> float:
    """Return 0..1 evidence of praise: positive sentiment, boosted by praise cues.

    Positive sentiment alone ("ok, got it, thanks") is not enough to call a
    message a compliment, so without a praise cue the score is halved.
    """
    hits = len(lexicons.PRAISE.finditer(normalized))
    factor = 1.0 if hits >= 2 else 0.9 if hits == 1 else 0.5
    return p_positive * factor


def combine(
    question: float, complaint: float, compliment: float, suggestion: float
) -> tuple[str, dict[str, float]]:
    """Pick the type and return normalised per-label scores summing to 1.

    Suggestion cues are specific ("please add", "було б добре"), so a matched
    suggestion outranks the question it is often phrased as.  A question that
    is also a strong complaint ("why is my order STILL not here?") is routed
    as a complaint, because that is what needs handling first.
    """
    raw = {
        "question": question * 0.9,
        "complaint": complaint,
        "compliment": compliment,
        "suggestion": suggestion * 0.97,
    }
    top = max(raw.values())
    raw["other"] = max(0.05, 1.0 - top) if top >= MIN_SCORE else max(0.5, 1.0 - top)
    total = sum(raw.values())
    scores = {label: round(raw[label] / total, 4) for label in TYPE_LABELS}
    best = max(TYPE_LABELS, key=lambda label: raw[label])
    return best, scores
