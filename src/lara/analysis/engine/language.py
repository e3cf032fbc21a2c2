"""Detect the language of short messages with lingua, plus a Russian/Ukrainian check.

lingua's high-accuracy mode is the most accurate option available offline for
one-line messages, but its models take a few hundred MB, so the detector is
built once per process (lazily, under a lock) for a fixed set of twelve
languages.  Russian and Ukrainian share most letters and many words, and lingua
still confuses them on very short texts; letters and function words that exist
in only one of the two languages settle most of those cases.

lingua's high-accuracy mode is also the costliest step of the whole analysis,
so it only runs where it can change the answer: a text written in one script
that only one candidate language uses (Hebrew, Arabic; Latin when English is
the only configured Latin-script language; Cyrillic when only one of Russian
and Ukrainian is) is that language, and a longer Latin-script text is first
tried with lingua's cheaper trigram-only mode, keeping the answer when that
mode is sure (see ``QUICK_MIN_CHARS`` and ``QUICK_ACCEPT``).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
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

# The supported languages by the script they are written in.  A text whose
# letters all belong to one script can only be one of that script's languages.
_SCRIPT_LANGUAGES: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    # A letter outside the script (the pattern) rules the script out.
    (re.compile(r"[^\W\d_\u0590-\u05ff\ufb1d-\ufb4f]"), frozenset({"he"})),
    (re.compile(r"[^\W\d_\u0400-\u052f]"), frozenset({"ru", "uk"})),
    (
        re.compile(r"[^\W\d_\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"),
        frozenset({"ar"}),
    ),
    (
        re.compile(r"[^\W\d_a-zA-Z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]"),
        frozenset({"en", "de", "fr", "es", "it", "pt", "pl", "tr"}),
    ),
)
_LATIN = _SCRIPT_LANGUAGES[-1][1]
# Latin-script texts at least this long go to lingua's trigram-only mode first
# (about four times cheaper), whose answer is kept when its confidence (after
# the prior) is at least QUICK_ACCEPT; the rest get the high-accuracy mode.
# Chosen on validation tweets (XLM-T ar de es fr it pt en + TweetEval): of
# 3,941 Latin-script ones, 3,040 take the quick answer, 4 answers change and
# 2 more are wrong than with the high-accuracy mode alone.  Tatoeba (short
# sentences) hardly reaches the length, so it loses nothing.  With the
# organisation's languages configured (one Latin-script language) Latin
# text never reaches lingua at all.
QUICK_MIN_CHARS = 60
QUICK_ACCEPT = 0.995

_lock = threading.Lock()
_detector: Any = None
_quick_detector: Any = None


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


def get_quick_detector() -> Any:
    """Return lingua's trigram-only detector over the same languages (built once).

    lingua loads each language model once per process and shares it between
    detectors, so this costs little memory beside the high-accuracy one.
    With ``LARA_LANGID_LOW_ACCURACY=1`` it is the main detector itself.
    """
    global _quick_detector
    if _low_accuracy():
        return get_detector()
    if _quick_detector is None:
        with _lock:
            if _quick_detector is None:
                from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                langs = [
                    Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper()))
                    for c in SUPPORTED_LANGUAGES
                ]
                _quick_detector = (
                    LanguageDetectorBuilder.from_languages(*langs).with_low_accuracy_mode().build()
                )
    return _quick_detector


def script_languages(text: str) -> frozenset[str] | None:
    """Return the languages the script of ``text`` allows, or ``None`` for mixed or other scripts."""
    for outside, langs in _SCRIPT_LANGUAGES:
        if not outside.search(text):
            return langs
    return None


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

    pool = allowed if allowed is not None else frozenset(SUPPORTED_LANGUAGES)
    cleaned = [_clean(t) for t in texts]
    results: list[tuple[str, float]] = [(UNDETERMINED, 0.0)] * len(texts)
    quick: list[int] = []
    full: list[int] = []
    for i, text in enumerate(cleaned):
        if not _LETTER.search(text):
            continue
        script = script_languages(text)
        candidates = script & pool if script is not None else None
        if candidates is not None and len(candidates) <= 1:
            # lingua gives every other language 0 for this script, so the
            # answer is this one language at full confidence (or none).
            results[i] = (next(iter(candidates)), 1.0) if candidates else (UNDETERMINED, 0.0)
        elif script is _LATIN and len(text) >= QUICK_MIN_CHARS:
            quick.append(i)
        else:
            full.append(i)
    for i, scores in zip(quick, _confidences(get_quick_detector, [cleaned[i] for i in quick]), strict=True):
        language, confidence = _resolve(cleaned[i], scores, allowed)
        if confidence >= QUICK_ACCEPT:
            results[i] = (language, confidence)
        else:
            full.append(i)
    full.sort()
    for i, scores in zip(full, _confidences(get_detector, [cleaned[i] for i in full]), strict=True):
        results[i] = _resolve(cleaned[i], scores, allowed)
    return results


def _confidences(get: Callable[[], Any], batch: list[str]) -> list[dict[str, float]]:
    """Return lingua's confidence per language code for each text (in parallel for a batch).

    The detector is fetched only when there is something to detect, so a
    process whose texts all settle by script never loads lingua's models.
    """
    if not batch:
        return []
    detector = get()
    if len(batch) > 8:
        values = detector.compute_language_confidence_values_in_parallel(batch)
    else:
        values = [detector.compute_language_confidence_values(t) for t in batch]
    return [{cv.language.iso_code_639_1.name.lower(): float(cv.value) for cv in conf} for conf in values]
