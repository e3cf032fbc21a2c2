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

# A label must score at least this to be the main label (and "counts as" that label).
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
    for m in _WORD.finditer(segment):
        if m.group() not in _GREETINGS:
            return segment[m.start() :]
    return ""


def _opener(segment: str) -> lexicons.CueMatch | None:
    segment = _strip_greeting(segment)
    if not segment:
        return None
    return lexicons.QUESTION_OPENERS.match_at_start(segment)


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


# How strongly each label claims the main-label slot when several reach MIN_SCORE.
# A question mark is cheap evidence and a suggestion cue usually comes phrased
# as a question ("can you add…?"), so a question yields to a complaint scoring
# at least 0.9 of it and to a suggestion scoring at least 0.93 of it; a
# complaint yields to a suggestion only when the suggestion clearly scores more.
RANK_WEIGHTS: dict[str, float] = {"question": 0.9, "complaint": 1.0, "compliment": 1.0, "suggestion": 0.97}


def main_label(scores: dict[str, float]) -> str:
    """Pick the main label from independent per-label scores.

    Among question / complaint / compliment / suggestion, only labels scoring
    at least ``MIN_SCORE`` (0.5) are candidates; the candidate with the highest
    score × ``RANK_WEIGHTS`` wins (ties go to the earlier label in
    ``TYPE_LABELS``).  Without a candidate the type is ``other``.
    """
    candidates = [label for label in TYPE_LABELS[:-1] if scores.get(label, 0.0) >= MIN_SCORE]
    if not candidates:
        return "other"
    return max(candidates, key=lambda label: scores[label] * RANK_WEIGHTS[label])


def combine(
    question: float, complaint: float, compliment: float, suggestion: float
) -> tuple[str, dict[str, float]]:
    """Return the main type and one independent 0..1 score per label.

    The scores are not normalised: each says how likely that label applies on
    its own, so a message can score high as both a question and a complaint,
    and "counts as a complaint" is simply ``complaint >= 0.5`` whatever the
    main label is.  (Normalising to a sum of 1 used to pull a clear complaint
    under 0.5 whenever the message was also a question.)  ``other`` is
    ``1 - max(the four labels)``: how far the message is from every actionable
    label.  The main label follows :func:`main_label`.
    """
    raw = {"question": question, "complaint": complaint, "compliment": compliment, "suggestion": suggestion}
    scores = {label: round(min(1.0, max(0.0, float(v))), 4) for label, v in raw.items()}
    scores["other"] = round(1.0 - max(scores.values()), 4)
    return main_label(scores), scores
