"""`lara eval` on a tiny data folder laid out like ../shared/data: exact figures, peers side by side."""

from __future__ import annotations

import csv
import dataclasses
import io
import sys
from collections.abc import Sequence
from pathlib import Path

from lara.analysis.engine import AnalysisResult
from lara.analysis.engine.evaluation import Row, evaluate, format_table, load_peers
from lara.analysis.engine.result import empty_result
from lara.cli import main

TWEETS = [
    ("I love this, wonderful day", 2),
    ("Great job, thank you", 2),
    ("Best bike ever", 2),
    ("This is awful, I hate it", 0),
    ("The battery died after a week", 0),  # VADER: negative; TextBlob: neutral
    ("My order never arrived", 0),  # both peers: neutral
    ("The shop opens at nine", 1),
    ("I am at the office", 1),  # the stub analyzer says positive
]
TATOEBA = [("eng", "Hello there"), ("rus", "Привет"), ("ukr", "Привіт"), ("heb", "שלום")]
COMPLAINTS = [(f"@brand it broke again, day {i}", 1) for i in range(5)] + [
    (f"@brand see you at the fair, day {i}", 0) for i in range(5)
]


def write_data(root: Path) -> Path:
    """Write three corpora in the real folder layout (TweetEval, Tatoeba, complaints)."""
    data = root / "data"
    te = data / "tweeteval-sentiment"
    te.mkdir(parents=True)
    (te / "val_text.txt").write_text("\n".join(t for t, _ in TWEETS) + "\n", encoding="utf-8")
    (te / "val_labels.txt").write_text("\n".join(str(y) for _, y in TWEETS) + "\n", encoding="utf-8")
    tat = data / "tatoeba-langid"
    tat.mkdir()
    lines = ["lang\tsource_pair\ttext"] + [f"{lang}\t{lang}-eng\t{text}" for lang, text in TATOEBA]
    (tat / "tatoeba_langid_he_ru_uk_en.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    comp = data / "complaints-social-media"
    comp.mkdir()
    with open(comp / "complaints-data.train.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        for i, (text, label) in enumerate(COMPLAINTS):
            writer.writerow([2000 + i, text, label, "other"])
    return data


class StubAnalyzer:
    """Answer from fixed rules so every figure below can be worked out by hand."""

    version = "stub-1"

    def analyze(
        self, texts: Sequence[str], *, languages: Sequence[str] | None = None
    ) -> list[AnalysisResult]:
        return [self._one(t, languages) for t in texts]

    def _one(self, text: str, languages: Sequence[str] | None) -> AnalysisResult:
        gold = dict(TWEETS)
        sentiment = ("negative", "neutral", "positive")[gold[text]] if text in gold else "neutral"
        if text == "I am at the office":
            sentiment = "positive"
        codes = {"eng": "en", "rus": "ru", "ukr": "uk", "heb": "he"}
        language = {t: codes[lang] for lang, t in TATOEBA}.get(text, "en")
        if text == "Привіт" and languages is None:
            language = "ru"  # unrestricted detection confuses the two
        complaint = 0.9 if text.startswith("@brand") else 0.0  # flags every @brand tweet
        return dataclasses.replace(
            empty_result(self.version),
            sentiment=sentiment,
            language=language,
            type_scores={"complaint": complaint},
        )


def _row(rows: list[Row], task: str, dataset: str, lang: str, metric: str) -> Row:
    (row,) = [r for r in rows if (r.task, r.dataset, r.lang, r.metric) == (task, dataset, lang, metric)]
    return row


def test_evaluate_gives_exact_figures_with_peers_side_by_side(tmp_path: Path) -> None:
    rows = evaluate(write_data(tmp_path), analyzer=StubAnalyzer(), speed=False)

    recall = _row(rows, "sentiment", "TweetEval val", "en", "macro recall")
    assert (recall.n, recall.lara, recall.peers) == (8, 0.8333, (0.8889, 0.7778))
    assert recall.note.startswith("in training")
    accuracy = _row(rows, "sentiment", "TweetEval val", "en", "accuracy")
    assert (accuracy.lara, accuracy.peers) == (0.875, (0.875, 0.75))

    # Stratified 20% dev split: one complaint, one not; the stub flags both.
    macro = _row(rows, "complaint", "Complaints dev split", "en", "macro F1")
    assert (macro.n, macro.lara, macro.target) == (2, 0.3333, "≥ 0.87")
    assert _row(rows, "complaint", "Complaints dev split", "en", "complaint F1").lara == 0.6667

    assert _row(rows, "language ID", "Tatoeba (4 configured)", "all", "accuracy").lara == 1.0
    assert _row(rows, "language ID", "Tatoeba (all languages)", "all", "accuracy").lara == 0.75
    assert _row(rows, "language ID", "Tatoeba (all languages)", "uk", "accuracy").lara == 0.0
    assert _row(rows, "language ID", "Tatoeba (all languages)", "he", "accuracy").lara == 1.0
    # Absent corpora give no rows; nothing else was measured.
    assert len(rows) == 2 + 2 + 5 + 5
    assert {r.task for r in rows} == {"sentiment", "complaint", "language ID"}


def test_missing_peers_are_reported_in_their_columns(tmp_path: Path) -> None:
    peers = [("VADER", "not installed"), ("TextBlob", "not installed")]
    rows = evaluate(write_data(tmp_path), analyzer=StubAnalyzer(), peers=peers, speed=False)

    table = format_table(rows)
    line = next(line for line in table.splitlines() if "| macro recall |" in line)
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[:8] == [
        "sentiment",
        "TweetEval val",
        "en",
        "8",
        "macro recall",
        "0.8333",
        "not installed",
        "not installed",
    ]
    assert [name for name, _ in load_peers()] == ["VADER", "TextBlob"]
    assert all(callable(p) for _, p in load_peers())  # the dev extras install both


def test_speed_row_counts_messages_per_second(tmp_path: Path) -> None:
    from lara.analysis.engine.evaluation import measure_speed

    calls: list[int] = []

    class Counting(StubAnalyzer):
        def analyze(
            self, texts: Sequence[str], *, languages: Sequence[str] | None = None
        ) -> list[AnalysisResult]:
            calls.append(len(texts))
            return super().analyze(texts, languages=languages)

    speed = measure_speed(Counting(), ["Great job, thank you"] * 50)

    assert calls == [10, 50, 50, 50]  # one warm-up, then three timed runs of the whole batch
    assert speed > 0


def test_lara_eval_prints_one_table_with_the_real_analyzer(tmp_path: Path) -> None:
    data = write_data(tmp_path)
    out = io.StringIO()
    old = sys.stdout
    sys.stdout = out
    try:
        code = main(["eval", "--data", str(data), "--no-speed"])
    finally:
        sys.stdout = old

    lines = out.getvalue().splitlines()
    assert code == 0
    assert [c.strip() for c in lines[0].strip("|").split("|")] == [
        "task",
        "dataset",
        "lang",
        "n",
        "metric",
        "Lara",
        "VADER",
        "TextBlob",
        "target",
        "note",
    ]
    configured = next(line for line in lines if "Tatoeba (4 configured)" in line and "| all " in line)
    assert [c.strip() for c in configured.strip("|").split("|")][3:6] == ["4", "accuracy", "1.0000"]
    assert len(lines) == 2 + 14


def test_lara_eval_fails_on_an_empty_folder(tmp_path: Path) -> None:
    out = io.StringIO()
    old = sys.stdout
    sys.stdout = out
    try:
        code = main(["eval", "--data", str(tmp_path), "--no-speed"])
    finally:
        sys.stdout = old
    assert code == 1
