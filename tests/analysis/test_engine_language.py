"""Pin language detection on short messages, above all Russian versus Ukrainian.

One-line messages are the norm in social CRM, and a Ukrainian customer
answered in Russian (or the reverse) is a real failure, so the short and
ambiguous cases are tested explicitly.
"""

from __future__ import annotations

import threading

import pytest

from lara.analysis.engine.language import detect_languages, get_detector, ru_uk_evidence


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Where is my order?", "en"),
        ("Thanks, works great now", "en"),
        ("Где мой заказ?", "ru"),
        ("Это ужасно", "ru"),
        ("Он не работает", "ru"),
        ("Спасибо большое!", "ru"),
        ("Де моє замовлення?", "uk"),
        ("Це жахливо", "uk"),
        ("Ти злий?", "uk"),
        ("Дякую!", "uk"),
        ("Скільки коштує Volta Cargo?", "uk"),
        ("Сколько стоит доставка в Москву?", "ru"),
        ("איפה ההזמנה שלי?", "he"),
        ("תודה רבה", "he"),
        ("أين طلبي؟", "ar"),
        ("Wo ist meine Bestellung?", "de"),
        ("¿Dónde está mi pedido?", "es"),
        ("Où est ma commande ?", "fr"),
        ("Gdzie jest moje zamówienie?", "pl"),
    ],
)
def test_short_messages(text: str, lang: str) -> None:
    ((got, confidence),) = detect_languages([text])
    assert got == lang
    assert 0.0 < confidence <= 1.0


def test_ru_uk_evidence_counts_letters_and_words() -> None:
    assert ru_uk_evidence("Це їжак") == (1 + 2, 0)  # "це" + "ї"
    assert ru_uk_evidence("Это ёж") == (0, 2 + 2 + 1)  # "э", "ё" + "это"
    assert ru_uk_evidence("Солдат дав менi води") == (1, 0)  # Latin "i" typed inside a Cyrillic word
    assert ru_uk_evidence("Том пришёл") == (0, 2)


@pytest.mark.parametrize("text", ["", "   ", "12345", "👍👍", "@volta #bikes https://volta.example"])
def test_undetermined(text: str) -> None:
    assert detect_languages([text]) == [("und", 0.0)]


def test_restriction_to_configured_languages() -> None:
    texts = ["Привіт, як справи?", "Hola amigos"]
    assert [lang for lang, _ in detect_languages(texts, ["ru", "en"])] == ["ru", "en"]
    # A single configured language is taken as given (when the text has letters).
    assert detect_languages(["Bonjour", "123"], ["uk"]) == [("uk", 1.0), ("und", 0.0)]
    # Codes outside the supported set are ignored.
    assert detect_languages(["Где мой заказ?"], ["ru", "xx"])[0][0] == "ru"
    assert detect_languages(["Где мой заказ?"], ["xx"])[0][0] == "ru"


def test_batch_equals_single_and_is_deterministic() -> None:
    texts = ["Де мій заказ", "Где мой заказ", "Where is my order", "איפה ההזמנה"] * 4
    batch = detect_languages(texts)
    assert batch == [detect_languages([t])[0] for t in texts]
    assert batch == detect_languages(texts)


def test_detector_is_built_once_across_threads() -> None:
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(get_detector())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(d) for d in seen}) == 1
