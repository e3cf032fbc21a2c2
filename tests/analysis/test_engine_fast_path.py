"""Pin the shortcuts that make the fast tier fast: they must not change what it says.

Each shortcut (hashing each distinct word once, the shared cue index, the
sentence-opener check, deciding a language by its script or by lingua's
cheaper mode) is checked against the slow way it replaces.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import HashingVectorizer

from lara.analysis.engine import language, lexicons
from lara.analysis.engine.features import FeatureConfig, Featurizer
from lara.analysis.engine.language import detect_languages, script_languages
from lara.analysis.engine.text import normalize

TEXTS = [
    "Why is my order STILL not here??? worst service ever",
    "the the the a",
    "i",
    "",
    "   spaced    out   words  ",
    "Скільки коштує Volta Cargo? дуже потрібно",
    "והבלמים לא עובדים, אני פונה לעורך דין",
    "😡😡 :( ok",
    "supercalifragilisticexpialidocious x y z",
]


def test_char_counts_equal_scikit_learns_char_wb_hashing() -> None:
    config = FeatureConfig()
    reference = HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(config.char_min_n, config.char_max_n),
        n_features=2**config.char_bits,
        alternate_sign=False,
        norm=None,
        lowercase=False,
        dtype=np.float32,
    )
    normalized = [normalize(t) for t in TEXTS]
    expected = reference.transform(normalized).tocsr()
    expected.sort_indices()
    got = Featurizer(config).char_counts(normalized)
    assert got.shape == expected.shape
    assert got.dtype == np.float32
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)


def _slow_finditer(cues: lexicons.CueSet, normalized: str) -> list[tuple[str, int, int]]:
    """Try every cue set key at every word, as the matcher did before the shared index."""
    words = lexicons._words(normalized)
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(words.variants):
        best = None
        for cue in cues._candidates(words.variants[i]):
            last = cues._match_rest(cue, words.variants, i)
            if last >= 0 and (best is None or last > best):
                best = last
        if best is None:
            i += 1
            continue
        start, end = words.span(i)[0], words.span(best)[1]
        out.append((normalized[start:end], start, end))
        i = best + 1
    return out


@pytest.mark.parametrize(
    "cues", [lexicons.POSITIVE, lexicons.COMPLAINT, lexicons.PURCHASE, lexicons.SUGGESTION]
)
@pytest.mark.parametrize(
    "text",
    [
        "I love it, thanks, but the delivery was late and nobody answers",
        "Телефон сломался, ничего не работает, хочу купить новый",
        "Було б добре додати темну тему, дякую",
        "והבלמים התקלקלו, כמה עולה תיקון?",
    ],
)
def test_the_shared_index_finds_what_trying_every_word_finds(cues: lexicons.CueSet, text: str) -> None:
    normalized = normalize(text)
    word_hits = [(m.text, m.start, m.end) for m in cues.finditer(normalized) if m.lang != "*"]
    assert word_hits == _slow_finditer(cues, normalized)


def test_a_cue_set_made_later_is_found_in_a_text_seen_before() -> None:
    text = normalize("the gizmotron broke again")
    assert lexicons.NEGATIVE.finditer(text)  # memoises the text's words
    late = lexicons.CueSet("late", {"en": ["gizmo*", "again"]})
    assert [m.text for m in late.finditer(text)] == ["gizmotron", "again"]


def test_match_at_start_is_the_first_hit_at_offset_zero() -> None:
    openers = lexicons.QUESTION_OPENERS
    for text in ("how do i pay", "where is it", "so how do i pay", "можно ли вернуть", "האם יש משלוח", ""):
        hits = openers.finditer(text)
        expected = hits[0] if hits and hits[0].start == 0 else None
        assert openers.match_at_start(text) == expected
    assert openers.match_at_start("how do i pay") is not None
    assert openers.match_at_start("so how do i pay") is None


def test_symbol_cues_still_match() -> None:
    assert [m.text for m in lexicons.NEGATIVE.finditer(normalize("delivery :( 😡"))] == [":(", "😡"]


def test_scripts() -> None:
    assert script_languages("איפה ההזמנה שלי") == frozenset({"he"})
    assert script_languages("Де моє замовлення") == frozenset({"ru", "uk"})
    assert script_languages("Où est ma commande") == language._LATIN
    assert script_languages("Volta Cargo בבקשה") is None  # mixed scripts go to lingua


def test_one_configured_language_per_script_decides_without_lingua(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_lingua() -> None:
        raise AssertionError("lingua must not run")

    monkeypatch.setattr(language, "get_detector", no_lingua)
    monkeypatch.setattr(language, "get_quick_detector", no_lingua)
    texts = ["Where is my order?", "איפה ההזמנה שלי?", "Hola amigos, ¿qué tal?", "123 !!"]
    assert detect_languages(texts, ["en", "he", "ru", "uk"]) == [
        ("en", 1.0),
        ("he", 1.0),
        ("en", 1.0),  # only English is configured among Latin-script languages
        ("und", 0.0),
    ]
    # A script none of the configured languages uses is undetermined, as lingua's answer would be.
    assert detect_languages(["איפה ההזמנה שלי?"], ["en", "ru"]) == [("und", 0.0)]
    # Hebrew is the only supported language in its script, configured or not.
    assert detect_languages(["איפה ההזמנה שלי?"]) == [("he", 1.0)]


def test_long_latin_texts_take_the_quick_mode_and_short_ones_the_accurate_one() -> None:
    long_en = "I ordered the new bike three weeks ago and it still has not arrived, please help me"
    long_de = "Ich habe das neue Fahrrad vor drei Wochen bestellt und es ist immer noch nicht da"
    assert len(long_en) >= language.QUICK_MIN_CHARS and len(long_de) >= language.QUICK_MIN_CHARS
    assert [lang for lang, _ in detect_languages([long_en, long_de, "Danke schön"])] == ["en", "de", "de"]
