"""Detect the language of short messages with lingua, plus a Russian/Ukrainian check.

lingua's high-accuracy mode is the most accurate option available offline for
one-line messages, but its models take a few hundred MB, so the detector is
built once per process (lazily, under a lock) for a fixed set of twelve
languages.  Russian and Ukrainian share most letters and many words, and lingua
still confuses them on very short texts; letters and function words that exist
in only one of the two languages settle most of those cases.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from typing import Any

SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "en",
    "he",
    "ru",
    "uk",
    "ar",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "pl",
    "tr",
)
# The languages Lara's users write in most; they get a mild prior so that a
# short English line is not sent to German or French on a coin toss.
PRIORITY_LANGUAGES: frozenset[str] = frozenset({"en", "he", "ru", "uk"})
PRIORITY_BOOST = 1.5
UNDETERMINED = "und"

_UK_LETTERS = frozenset("іїєґ")
_RU_LETTERS = frozenset("ыэъё")
# Frequent words that exist in only one of the two languages (in this spelling).
_UK_WORDS_TEXT = (
    "це цей ця ці цього цю ти ми ви він вона воно вони його її їх їй що як де коли чому також дуже "
    "тільки лише якщо або ні був була було були буде будуть мені мене тобі дякую будь ласка скільки "
    "можна потрібно треба вже ще й з із зі від але бо чи свій своє немає є привіт добре погано коштує "
    "купити зараз сьогодні завжди нічого хочемо зробити працює"
)
_UK_WORDS = frozenset(_UK_WORDS_TEXT.split())
_RU_WORDS_TEXT = (
    "он она оно они его ее её это этот эта эти этого что чтобы как где когда почему сейчас тоже очень "
    "только если или нет да был была было были будет будут мне меня тебя вы мы ты спасибо пожалуйста "
    "сколько нужно здравствуйте привет хорошо плохо еще ещё и с со к от уже всегда ничего сегодня "
    "хотим сделать работает стоит купить"
)
_RU_WORDS = frozenset(_RU_WORDS_TEXT.split())
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN_I_IN_CYRILLIC = re.compile(r"[\u0400-\u04ff]i|i[\u0400-\u04ff]")
_STRIP = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\d+", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*")

_lock = threading.Lock()
_detector: Any = None


def _low_accuracy() -> bool:
    return os.environ.get("LARA_LANGID_LOW_ACCURACY", "").lower() in {"1", "true", "yes"}


def get_detector() -> Any:
    """Return the process-wide lingua detector, building it on first use.

    Building is guarded by a lock so concurrent first requests do not load the
    models twice; lingua's detector itself is safe to share between threads.
    Set ``LARA_LANGID_LOW_ACCURACY=1`` to trade accuracy for memory (~40 MB
    instead of ~400 MB).
    """
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                langs = [
                    Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper()))
                    for c in SUPPORTED_LANGUAGES
                ]
                builder = LanguageDetectorBuilder.from_languages(*langs)
                if _low_accuracy():
                    builder = builder.with_low_accuracy_mode()
                _detector = builder.build()
    return _detector


def _clean(text: str) -> str:
    return _STRIP.sub(" ", text).strip()


def ru_uk_evidence(text: str) -> tuple[int, int]:
    """Count Ukrainian-only and Russian-only letters and words in ``text``.

    A Latin "i" glued to Cyrillic letters is a common Ukrainian typing habit
    (the keys coincide), so it counts as Ukrainian evidence too.
    """
    low = text.lower().replace("’", "'").replace("ʼ", "'")
    uk = sum(2 for ch in low if ch in _UK_LETTERS) + len(_LATIN_I_IN_CYRILLIC.findall(low))
    ru = sum(2 for ch in low if ch in _RU_LETTERS)
    for word in _WORD.findall(low):
        if word in _UK_WORDS:
            uk += 1
        elif word in _RU_WORDS:
            ru += 1
    return uk, ru


def _resolve(text: str, scores: dict[str, float], allowed: frozenset[str] | None) -> tuple[str, float]:
    if allowed is not None:
        scores = {k: v for k, v in scores.items() if k in allowed}
    if allowed is None or len(allowed & PRIORITY_LANGUAGES) > 1:
        scores = {k: v * (PRIORITY_BOOST if k in PRIORITY_LANGUAGES else 1.0) for k, v in scores.items()}
    total = sum(scores.values())
    if total <= 0:
        return UNDETERMINED, 0.0
    scores = {k: v / total for k, v in scores.items()}
    best = max(scores, key=lambda k: scores[k])
    if best in ("ru", "uk") and "ru" in scores and "uk" in scores and _CYRILLIC.search(text):
        uk, ru = ru_uk_evidence(text)
        if uk and not ru:
            best = "uk"
        elif ru and not uk:
            best = "ru"
        if (uk and not ru) or (ru and not uk):
            # Move most of the pair's mass to the language the evidence points to.
            mass = scores["ru"] + scores["uk"]
            other = "ru" if best == "uk" else "uk"
            scores[best] = max(scores[best], 0.9 * mass)
            scores[other] = mass - scores[best]
    return best, round(float(scores[best]), 4)


def detect_languages(texts: Sequence[str], languages: Sequence[str] | None = None) -> list[tuple[str, float]]:
    """Return ``(iso639_1, confidence)`` per text; ``("und", 0.0)`` when unknown.

    ``languages`` restricts the answer to those codes (e.g. an organisation's
    configured languages); codes outside the supported set are ignored, and if
    none is supported the restriction is dropped rather than forcing "und".
    """
    allowed: frozenset[str] | None = None
    if languages:
        allowed = frozenset(code.lower() for code in languages) & frozenset(SUPPORTED_LANGUAGES)
        if not allowed:
            allowed = None
    if allowed is not None and len(allowed) == 1:
        only = next(iter(allowed))
        return [(only, 1.0) if _LETTER.search(_clean(t)) else (UNDETERMINED, 0.0) for t in texts]

    cleaned = [_clean(t) for t in texts]
    todo = [i for i, t in enumerate(cleaned) if _LETTER.search(t)]
    results: list[tuple[str, float]] = [(UNDETERMINED, 0.0)] * len(texts)
    if not todo:
        return results
    detector = get_detector()
    batch = [cleaned[i] for i in todo]
    if len(batch) > 8:
        values = detector.compute_language_confidence_values_in_parallel(batch)
    else:
        values = [detector.compute_language_confidence_values(t) for t in batch]
    for i, confidences in zip(todo, values, strict=True):
        scores = {cv.language.iso_code_639_1.name.lower(): float(cv.value) for cv in confidences}
        results[i] = _resolve(cleaned[i], scores, allowed)
    return results
