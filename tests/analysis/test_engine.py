"""Pin the public behaviour of lara.analysis.engine on clear-cut messages.

These run against the shipped artifact, need no Django and no network, and
assert exact outcomes: the examples are the ones the analyzer promises to get
right, in the four languages that matter most.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest

from lara.analysis.engine import AnalysisResult, Analyzer, analyze, get_analyzer
from lara.analysis.engine.analyzer import TriageAnalyzer
from lara.analysis.engine.message_type import main_label
from lara.analysis.engine.model import ARTIFACT_FILE, TriageModel
from lara.analysis.engine.training import train

TYPE_LABELS = {"question", "complaint", "compliment", "suggestion", "other"}


@pytest.fixture(scope="module")
def sanity() -> list[AnalysisResult]:
    return analyze(
        [
            "Where can I buy the new model?",
            "Thank you, the Volta City is amazing, best bike I ever had!",
            "My brakes failed on the downhill, I could have died. My lawyer will hear about this.",
            "Скільки коштує Volta Cargo?",
            "Сколько стоит доставка в Москву?",
            "האופניים שלי התקלקלו אחרי שבוע, אני מאוד מאוכזב",
            "Було б добре додати темну тему в додаток",
        ]
    )


def test_english_purchase_question(sanity: list[AnalysisResult]) -> None:
    r = sanity[0]
    assert (r.language, r.type, r.purchase_intent) == ("en", "question", True)
    assert r.urgency == "normal"
    assert "model" in r.topics


def test_english_compliment(sanity: list[AnalysisResult]) -> None:
    r = sanity[1]
    assert (r.language, r.sentiment, r.type) == ("en", "positive", "compliment")
    assert r.urgency == "low"
    assert r.purchase_intent is False
    assert r.topics[:2] == ("volta", "city")


def test_english_safety_and_legal_complaint(sanity: list[AnalysisResult]) -> None:
    r = sanity[2]
    assert (r.language, r.sentiment, r.type) == ("en", "negative", "complaint")
    assert r.urgency == "critical"
    assert r.urgency_reasons == ("safety: brakes failed", "safety: could have died", "legal threat: lawyer")


def test_ukrainian_price_question(sanity: list[AnalysisResult]) -> None:
    r = sanity[3]
    assert (r.language, r.type, r.purchase_intent) == ("uk", "question", True)
    assert set(r.topics) == {"volta", "cargo"}


def test_russian_question(sanity: list[AnalysisResult]) -> None:
    r = sanity[4]
    assert (r.language, r.type) == ("ru", "question")


def test_hebrew_complaint(sanity: list[AnalysisResult]) -> None:
    r = sanity[5]
    assert (r.language, r.sentiment, r.type) == ("he", "negative", "complaint")
    assert r.urgency == "normal"


def test_ukrainian_suggestion(sanity: list[AnalysisResult]) -> None:
    r = sanity[6]
    assert (r.language, r.type) == ("uk", "suggestion")
    assert r.urgency == "low"


def test_result_shape_and_scores(sanity: list[AnalysisResult]) -> None:
    for r in sanity:
        assert set(r.type_scores) == TYPE_LABELS
        # Independent per-label scores (not normalised); the main label follows the documented rule.
        assert all(0.0 <= v <= 1.0 for v in r.type_scores.values())
        assert r.type_scores["other"] == round(
            1.0 - max(v for k, v in r.type_scores.items() if k != "other"), 4
        )
        assert r.type == main_label(r.type_scores)
        assert r.type == "other" or r.type_scores[r.type] >= 0.5
        assert 0.0 <= r.sentiment_score <= 1.0 and 0.0 <= r.purchase_intent_score <= 1.0
        assert 0.0 <= r.language_confidence <= 1.0
        assert r.sentiment in {"negative", "neutral", "positive"}
        assert r.urgency in {"low", "normal", "high", "critical"}
        assert len(r.topics) <= 5 and all(t == t.lower() for t in r.topics)
        assert re.fullmatch(r"lara-triage-\d+\.\d+\.\d+\+[0-9a-f]{8}", r.model_version)


def test_a_complaint_phrased_as_a_question_still_counts_as_a_complaint() -> None:
    # Normalised scores used to share the mass with "question" and pull this under 0.5.
    (r,) = analyze(["Why is my order STILL not here? Worst service ever, nobody answers."])
    assert r.type_scores["question"] >= 0.5
    assert r.type_scores["complaint"] >= 0.5
    assert r.type == "complaint"


def test_as_dict_is_json_serialisable(sanity: list[AnalysisResult]) -> None:
    data = sanity[2].as_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["urgency_reasons"] == [
        "safety: brakes failed",
        "safety: could have died",
        "legal threat: lawyer",
    ]
    assert set(data) == {
        "language", "language_confidence", "sentiment", "sentiment_score", "type", "type_scores",
        "purchase_intent", "purchase_intent_score", "urgency", "urgency_reasons", "topics", "model_version",
        "entities", "reasons",
    }  # fmt: skip


@pytest.mark.parametrize("text", ["", "   ", "\n\t  "])
def test_empty_text_never_raises(text: str) -> None:
    (r,) = analyze([text])
    assert (r.language, r.language_confidence, r.sentiment, r.type, r.urgency) == (
        "und",
        0.0,
        "neutral",
        "other",
        "low",
    )
    assert r.topics == () and r.urgency_reasons == () and r.purchase_intent is False


def test_symbols_only_is_undetermined() -> None:
    (r,) = analyze(["👍👍 123 ?!"])
    assert r.language == "und"
    assert r.urgency == "low" or r.type == "question"


def test_empty_batch_and_order_preserved() -> None:
    assert analyze([]) == []
    texts = ["", "Thank you so much, you are the best!", "", "Где мой заказ?"]
    results = analyze(texts)
    assert [r.language for r in results] == ["und", "en", "und", "ru"]


def test_single_string_is_rejected() -> None:
    with pytest.raises(TypeError):
        analyze("not a list")  # type: ignore[arg-type]


def test_languages_restriction() -> None:
    # "Привіт" / "Привет" are one letter apart; the restriction must win over detection.
    restricted = analyze(["Hola, ¿dónde está mi pedido?", "Где мой заказ?"], languages=["en", "ru"])
    assert [r.language for r in restricted] == ["en", "ru"]
    only_he = analyze(["Where is my order?"], languages=["he"])
    assert only_he[0].language == "he"
    # Unknown codes are ignored rather than breaking detection.
    assert analyze(["Where is my order?"], languages=["xx"])[0].language == "en"


def test_batch_is_consistent_with_single_calls() -> None:
    texts = ["Мій велосипед зламався, жахливий сервіс", "I love the new app", "Есть ли скидки?"]
    batch = analyze(texts)
    singles = [analyze([t])[0] for t in texts]
    assert batch == singles


def test_thread_safe_shared_analyzer() -> None:
    texts = ["The app is down for everyone!", "Сайт не работает у всех", "האתר נפל שוב"] * 5
    expected = analyze(texts)
    errors: list[BaseException] = []
    outputs: list[list[AnalysisResult]] = []

    def work() -> None:
        try:
            outputs.append(get_analyzer().analyze(texts))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(o == expected for o in outputs)
    assert all(r.urgency == "high" and r.urgency_reasons[0].startswith("outage: ") for r in expected)


def test_protocol_and_version() -> None:
    analyzer = get_analyzer()
    assert isinstance(analyzer, Analyzer)
    assert analyzer is get_analyzer()
    assert analyzer.version == analyze(["hi"])[0].model_version


# --------------------------------------------------------------------------- training code path

_SENTIMENT = [
    ("I love this bike, it is wonderful", 2),
    ("Great service, thank you so much", 2),
    ("Best purchase ever, really happy", 2),
    ("Amazing quality and fast delivery", 2),
    ("This is terrible, I hate it", 0),
    ("Awful support, worst experience", 0),
    ("Broken after one day, very disappointed", 0),
    ("Horrible quality, never again", 0),
    ("The store opens at nine", 1),
    ("I am going to the office today", 1),
    ("The meeting is on Tuesday", 1),
    ("We moved to a new address", 1),
]
_COMPLAINTS = [
    ("@brand my order never arrived and nobody answers", 1),
    ("@brand the charger broke after two days, refund please", 1),
    ("@brand worst customer service, still waiting for a reply", 1),
    ("@brand your app keeps crashing, fix it", 1),
    ("@brand the screen is damaged, unacceptable", 1),
    ("@brand do you open on sundays?", 0),
    ("@brand nice photo of the new shop", 0),
    ("@brand what colours does it come in?", 0),
    ("@brand happy birthday to the team", 0),
    ("@brand see you at the fair tomorrow", 0),
]
_PURCHASE = [
    ("yes", "I want to buy the new phone"),
    ("yes", "Where can I buy this?"),
    ("yes", "Going to order one tomorrow"),
    ("yes", "How much is it? I need one"),
    ("yes", "Saving up to get this phone"),
    ("no", "My phone fell on the floor"),
    ("no", "The weather is nice"),
    ("undefined", "Phones are everywhere"),
    ("no", "I watched a movie yesterday"),
    ("no", "Battery life is fine"),
]


def _write_tiny_corpus(root: Path) -> Path:
    import csv

    data = root / "data"
    en = data / "xlm-t-sentiment" / "english"
    en.mkdir(parents=True)
    (en / "train_text.txt").write_text("\n".join(t for t, _ in _SENTIMENT) + "\n", encoding="utf-8")
    (en / "train_labels.txt").write_text("\n".join(str(y) for _, y in _SENTIMENT) + "\n", encoding="utf-8")
    comp = data / "complaints-social-media"
    comp.mkdir()
    with open(comp / "complaints-data.train.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        for i, (text, label) in enumerate(_COMPLAINTS):
            writer.writerow([1000 + i, text, label, "other"])
    purch = data / "purchase-intent-tweets"
    purch.mkdir()
    with open(purch / "training.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["class", "text", ""])
        for label, text in _PURCHASE:
            writer.writerow([label, text, ""])
    return data


def test_training_code_path_on_tiny_corpus(tmp_path: Path) -> None:
    data = _write_tiny_corpus(tmp_path)
    out = tmp_path / "artifacts"
    report = train(data, out, seed=0, evaluate_language_id=False)

    assert (out / ARTIFACT_FILE).is_file()
    assert report["training_rows"]["sentiment"] == {"en": len(_SENTIMENT)}
    assert report["training_rows"]["complaint"] == {"complaint": 4, "not": 4}  # 1 of each held out as dev
    assert "semeval-sentiment/twitter-2013dev-A.tsv" in report["missing_corpora"]
    assert report["model_version"].startswith("lara-triage-0.1.0+")

    model = TriageModel.load(out / ARTIFACT_FILE)
    assert model.version == report["model_version"]
    tiny = TriageAnalyzer(model)
    results = tiny.analyze(["I love this bike, it is wonderful", "This is terrible, I hate it", ""])
    assert [r.sentiment for r in results] == ["positive", "negative", "neutral"]
    assert all(r.model_version == report["model_version"] for r in results)

    # Same data + same seed -> byte-identical artifact.
    again = train(data, tmp_path / "again", seed=0, evaluate_language_id=False)
    assert again["artifact"]["sha256"] == report["artifact"]["sha256"]


def test_training_rejects_missing_labels(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sentiment"):
        train(tmp_path / "nothing-here", tmp_path / "out", evaluate_language_id=False)
