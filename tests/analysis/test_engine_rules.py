"""Pin the rule-based parts of the analyzer: cue matching, questions, urgency, topics.

These need neither the artifact nor lingua, so they pin the multilingual rules
in isolation and fail with a precise message when a cue list regresses.
"""

from __future__ import annotations

import pytest

from lara.analysis.engine import lexicons, message_type, topics, urgency
from lara.analysis.engine.text import normalize


def hits(cues: lexicons.CueSet, text: str) -> list[str]:
    return [m.text for m in cues.finditer(normalize(text))]


# --------------------------------------------------------------------------- matcher


def test_stems_match_inflected_forms() -> None:
    assert hits(lexicons.COMPLAINT, "Телефон сломался, ничего не работает") == ["сломался", "не работает"]
    assert hits(lexicons.COMPLAINT, "Замовлення досі не прийшло") == ["досі не"]
    assert hits(lexicons.COMPLAINT, "Посылка так и не пришла") == ["не пришла"]
    assert hits(lexicons.SUGGESTION, "Добавьте, пожалуйста, тёмную тему") == ["добавьте"]


def test_hebrew_proclitics_are_stripped() -> None:
    # ו+ה+בלמים ("and the brakes"), ל+עורך דין ("to a lawyer")
    assert hits(urgency.LEGAL, "אני פונה לעורך דין") == ["לעורך דין"]
    assert hits(lexicons.POSITIVE, "והכי טוב") == ["והכי טוב"]


def test_longest_cue_wins_and_no_overlaps() -> None:
    assert hits(urgency.OUTAGE, "Сайт не работает у всех") == ["сайт не работает"]
    assert hits(lexicons.SUGGESTION, "It would be great if you add it") == ["would be great if"]


def test_gap_cues() -> None:
    assert hits(urgency.SAFETY, "the brakes suddenly stopped working") == ["brakes suddenly stopped working"]


def test_negation_flips_sentiment_cues() -> None:
    assert lexicons.sentiment_counts(normalize("not bad at all")) == (1, 0)
    assert lexicons.sentiment_counts(normalize("не плохо")) == (1, 0)
    assert lexicons.sentiment_counts(normalize("не дуже добре")) == (0, 1)
    assert lexicons.sentiment_counts(normalize("לא טוב")) == (0, 1)
    # A negation in a previous sentence does not leak into the next one.
    assert lexicons.sentiment_counts(normalize("It did not arrive. Great job.")) == (1, 0)


def test_words_do_not_match_inside_other_words() -> None:
    assert hits(urgency.LEGAL, "The food court was nice, I pursued my dream") == []
    assert hits(urgency.SAFETY, "my phone died, what a fiery deal") == []


# --------------------------------------------------------------------------- questions and types


@pytest.mark.parametrize(
    "text",
    [
        "Where is my order?",
        "how do I reset my password",
        "Can you ship to Haifa",
        "Как оформить возврат",
        "Подскажите, есть ли доставка в Казань",
        "Чи можна оплатити карткою",
        "Де мій заказ",
        "איך מחליפים סוללה",
        "האם יש משלוח לאילת",
        "Hi, when will the new model be available",
    ],
)
def test_questions_without_or_with_question_mark(text: str) -> None:
    assert message_type.question_score(normalize(text)) >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "I know how to fix it.",
        "What a great bike!",
        "Thanks for the quick delivery",
        "Спасибо, всё пришло вовремя",
        "Дякую за швидку доставку",
        "תודה על השירות",
    ],
)
def test_statements_are_not_questions(text: str) -> None:
    assert message_type.question_score(normalize(text)) < 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Please add a dark mode",
        "It would be great if the app had offline maps",
        "Feature request: export to CSV",
        "Хорошо бы добавить оплату частями",
        "Добавьте, пожалуйста, русский язык",
        "Було б добре мати український інтерфейс",
        "Додайте темну тему",
        "הייתי שמח אם תוסיפו מצב לילה",
        "תוסיפו בבקשה אפשרות לתשלומים",
    ],
)
def test_suggestion_cues(text: str) -> None:
    assert message_type.suggestion_score(normalize(text)) >= 0.9


def test_combine_prefers_specific_labels() -> None:
    label, scores = message_type.combine(question=0.95, complaint=0.1, compliment=0.0, suggestion=1.0)
    assert label == "suggestion"
    label, scores = message_type.combine(question=0.95, complaint=0.95, compliment=0.0, suggestion=0.0)
    assert label == "complaint"
    label, scores = message_type.combine(question=0.0, complaint=0.3, compliment=0.2, suggestion=0.0)
    assert label == "other"
    assert scores == {"question": 0.0, "complaint": 0.3, "compliment": 0.2, "suggestion": 0.0, "other": 0.7}


def test_combine_keeps_each_score_independent() -> None:
    # A question that is also a complaint keeps both scores whole (no normalisation to a sum of 1).
    label, scores = message_type.combine(question=0.95, complaint=0.8, compliment=0.0, suggestion=0.0)
    assert scores == {"question": 0.95, "complaint": 0.8, "compliment": 0.0, "suggestion": 0.0, "other": 0.05}
    assert (
        label == "question"
    )  # 0.8 < 0.9 × 0.95: the question is the main label, yet it counts as a complaint
    label, _ = message_type.combine(question=0.95, complaint=0.86, compliment=0.0, suggestion=0.0)
    assert label == "complaint"  # 0.86 ≥ 0.9 × 0.95
    label, scores = message_type.combine(question=0.4, complaint=0.45, compliment=0.49, suggestion=0.0)
    assert (label, scores["other"]) == ("other", 0.51)
    assert (
        message_type.combine(question=1.2, complaint=-0.1, compliment=0.0, suggestion=0.0)[1]["question"]
        == 1.0
    )


# --------------------------------------------------------------------------- purchase cues


@pytest.mark.parametrize(
    "text",
    [
        "Where can I buy the Volta Cargo?",
        "How much is the city bike?",
        "Сколько стоит Volta City?",
        "Хочу купить такой велосипед",
        "Скільки коштує доставка?",
        "Де купити Volta Cargo?",
        "כמה עולה האופניים?",
        "איפה אפשר לקנות את הדגם החדש",
    ],
)
def test_purchase_cues(text: str) -> None:
    assert lexicons.PURCHASE.score(normalize(text)) >= 0.5


# --------------------------------------------------------------------------- urgency


def _urgency(
    text: str, sentiment: str = "neutral", type_: str = "other", purchase: bool = False
) -> tuple[str, tuple[str, ...]]:
    return urgency.assess(urgency.UrgencyInput(normalize(text), sentiment, type_, purchase))


@pytest.mark.parametrize(
    ("text", "level", "reasons"),
    [
        ("My brakes failed on the downhill", "critical", ("safety: brakes failed",)),
        ("The battery exploded in my flat", "critical", ("safety: exploded",)),
        ("Тормоза отказали на спуске", "critical", ("safety: тормоза отказали",)),
        (
            "Гальма відмовили, ледь не загинув",
            "critical",
            ("safety: гальма відмовили", "safety: ледь не загинув"),
        ),
        ("הבלמים לא עבדו בירידה", "critical", ("safety: הבלמים לא עבדו",)),
        ("I will sue you", "high", ("legal threat: sue",)),
        ("Подам в суд на вашу компанию", "high", ("legal threat: подам в суд",)),
        ("Я вже звернувся до адвоката", "high", ("legal threat: адвоката",)),
        ("אני פונה לעורך דין", "high", ("legal threat: לעורך דין",)),
        ("I'm cancelling my subscription", "high", ("churn risk: cancelling my subscription",)),
        ("Ухожу к конкурентам", "high", ("churn risk: ухожу к",)),
        ("Переходжу до конкурентів", "high", ("churn risk: переходжу до",)),
        ("The app is down again", "high", ("outage: app is down",)),
        ("Терміново потрібна допомога", "high", ("explicit urgency: терміново",)),
        (
            "I'll tell every journalist I know and call my lawyer",
            "critical",
            ("legal threat: lawyer", "media/crisis: journalist"),
        ),
    ],
)
def test_urgency_levels_and_reasons(text: str, level: str, reasons: tuple[str, ...]) -> None:
    assert _urgency(text) == (level, reasons)


def test_urgency_baselines() -> None:
    assert _urgency("") == ("low", ())
    assert _urgency("Nice bike", "positive", "compliment") == ("low", ())
    assert _urgency("Where is my order", "neutral", "question") == ("normal", ())
    assert _urgency("Meh", "negative", "other") == ("normal", ())
    assert _urgency("Price?", "neutral", "other", purchase=True) == ("normal", ())
    # Negated cues do not escalate.
    assert _urgency("It is not dangerous at all") == ("low", ())


# --------------------------------------------------------------------------- topics


def test_topics_drop_stop_words_and_sentiment_words() -> None:
    text = "Thank you, the Volta City is amazing, best bike I ever had!"
    assert topics.extract(normalize(text), None, text) == ("volta", "city", "bike")


def test_topics_in_cyrillic_and_hebrew() -> None:
    text = "Скільки коштує Volta Cargo?"
    assert topics.extract(normalize(text), None, text) == ("volta", "cargo")
    text = "Сколько стоит доставка в Москву?"
    assert topics.extract(normalize(text), None, text) == ("москву", "доставка")
    text = "האופניים שלי התקלקלו אחרי שבוע"
    assert topics.extract(normalize(text), None, text) == ("האופניים", "שבוע")


def test_topics_are_capped_and_lowercased() -> None:
    text = "Saddle pedals chain gears wheels frame handlebar tyres"
    out = topics.extract(normalize(text))
    assert len(out) == 5 and all(t == t.lower() for t in out)
    assert topics.extract("") == ()
