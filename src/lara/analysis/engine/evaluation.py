"""Measure the analyzer on every labelled set it can be measured on, beside VADER and TextBlob.

``lara eval`` prints the table built here.  It reuses the exact splits of
``training.py`` (same loaders, same seeded dev splits, same de-duplication
against the training rows), so a figure labelled held-out really is: the only
rows that were trained on are marked ``in training`` in the notes.  The peers
run on the same English rows in the same process so the columns compare like
with like; they are optional dependencies (the ``eval`` extra) and a missing
one is reported in its column instead of failing the run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, recall_score

from . import datasets as D
from .datasets import SENTIMENT_LABELS, Example
from .training import _opt, complaint_splits, purchase_splits, sentiment_splits

CONFIGURED_LANGUAGES = ("en", "he", "ru", "uk")
PEERS = ("VADER", "TextBlob")
SPEED_TEXTS = 1000
SPEED_RUNS = 3

Predict = Callable[[Sequence[str]], list[str]]


@dataclass(frozen=True)
class Row:
    """Hold one line of the evaluation table."""

    task: str
    dataset: str
    lang: str
    n: int
    metric: str
    lara: float | str
    peers: tuple[float | str, ...] = ()
    target: str = ""
    note: str = ""


# --------------------------------------------------------------------------- peers


def vader_predictor() -> Predict:
    """Return VADER's 3-class labels (compound ±0.05, the authors' thresholds)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()

    def predict(texts: Sequence[str]) -> list[str]:
        out = []
        for t in texts:
            c = sia.polarity_scores(t)["compound"]
            out.append("positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral")
        return out

    return predict


def textblob_predictor() -> Predict:
    """Return TextBlob's 3-class labels from the polarity sign.

    PatternAnalyzer reads the lexicon shipped inside the textblob wheel, so
    nothing is downloaded (no NLTK corpora are needed for polarity).
    """
    from textblob.en.sentiments import PatternAnalyzer

    pa = PatternAnalyzer()

    def predict(texts: Sequence[str]) -> list[str]:
        out = []
        for t in texts:
            p = pa.analyze(t)[0]
            out.append("positive" if p > 0 else "negative" if p < 0 else "neutral")
        return out

    return predict


def load_peers() -> list[tuple[str, Predict | str]]:
    """Return (name, predictor) per peer, or (name, reason) when it is not installed."""
    out: list[tuple[str, Predict | str]] = []
    for name, factory in (("VADER", vader_predictor), ("TextBlob", textblob_predictor)):
        try:
            out.append((name, factory()))
        except ImportError:
            out.append((name, "not installed"))
    return out


# --------------------------------------------------------------------------- metrics


def _present(y_true: Sequence[str]) -> list[str]:
    return [lab for lab in SENTIMENT_LABELS if lab in set(y_true)]


def sentiment_metric(metric: str, y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Score 3-class sentiment over the classes present in the gold labels.

    Restricting ``labels`` to the gold classes keeps a set without, say,
    neutral rows from being charged a zero recall for a class it cannot have.
    """
    labels = _present(y_true)
    if metric == "accuracy":
        return round(float(accuracy_score(y_true, y_pred)), 4)
    if metric == "macro recall":
        return round(float(recall_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)), 4)
    if metric == "macro F1":
        return round(float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)), 4)
    raise ValueError(f"unknown metric {metric!r}")


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class SentimentSet:
    """Name one sentiment evaluation set and how to report it."""

    dataset: str
    lang: str
    rows: list[Example]
    metrics: tuple[str, ...]
    target: str = ""
    note: str = ""


def sentiment_sets(data_dir: Path, test: dict[str, list[Example]]) -> list[SentimentSet]:
    """List the sentiment sets from training's test splits, so held-out stays held-out."""
    sets = [
        SentimentSet(
            "TweetEval val",
            "en",
            _opt(D.load_tweeteval_val, data_dir),
            ("macro recall", "accuracy"),
            "≥ 0.72 (on TweetEval test)",
            "in training: a fit figure, not held out (TweetEval test is not distributed)",
        ),
        SentimentSet(
            "SemEval-2016 test",
            "en",
            test["en (semeval-2016 test)"],
            ("macro recall", "accuracy"),
            "≥ 0.72",
            "held out (research-use terms: eval only)",
        ),
        SentimentSet("OnlpLab test_gold", "he", test["he"], ("accuracy", "macro F1"), "≥ 0.91", "held out"),
        SentimentSet(
            "RuSentiTweet test",
            "ru",
            test["ru (rusentitweet test)"],
            ("macro F1", "accuracy"),
            "",
            "held out",
        ),
        SentimentSet(
            "RuSentiment test (pos/neg/neu rows)",
            "ru",
            test["ru (rusentiment test, NC: eval only)"],
            ("macro F1", "accuracy"),
            "≥ 0.72 (5-class)",
            "3-class model: speech/skip rows dropped, so not the 5-class metric; NC: eval only",
        ),
        SentimentSet(
            "SentiRuEval-2016 banks+telecom",
            "ru",
            test["ru (sentirueval-2016 banks+telecom, eval only)"],
            ("macro F1",),
            "",
            "held out",
        ),
        SentimentSet(
            "Ukrainian (sergeygurbich) test",
            "uk",
            test["uk"],
            ("macro F1", "accuracy"),
            "report",
            "held out; tiny",
        ),
    ]
    other = test["other (ar de es fr it pt)"]
    for lang in sorted({e.lang for e in other}):
        sets.append(
            SentimentSet(
                "XLM-T test", lang, [e for e in other if e.lang == lang], ("macro F1",), "", "held out"
            )
        )
    return [s for s in sets if s.rows]


def _binary_macro_f1(y_true: Sequence[bool], y_pred: Sequence[bool]) -> float:
    return round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4)


def _positive_f1(y_true: Sequence[bool], y_pred: Sequence[bool]) -> float:
    return round(float(f1_score(y_true, y_pred, zero_division=0)), 4)


def evaluate(
    data_dir: Path,
    *,
    analyzer: Any = None,
    seed: int = 0,
    peers: list[tuple[str, Predict | str]] | None = None,
    speed: bool = True,
) -> list[Row]:
    """Return every row of the evaluation table for the corpora found in ``data_dir``.

    ``analyzer`` defaults to the shared one; absent corpora are skipped (the
    rows they would give are simply missing), so a partial folder works.
    """
    if analyzer is None:
        from .analyzer import get_analyzer

        analyzer = get_analyzer()
    if peers is None:
        peers = load_peers()
    none = tuple("" for _ in peers)
    rows: list[Row] = []

    test_sets = sentiment_splits(data_dir, seed)["test"]
    for s in sentiment_sets(data_dir, test_sets):
        texts = [e.text for e in s.rows]
        gold = [e.label for e in s.rows]
        pred = [r.sentiment for r in analyzer.analyze(texts)]
        peer_pred: list[list[str] | str] = []
        if s.lang == "en":
            peer_pred = [p(texts) if callable(p) else p for _, p in peers]
        for metric in s.metrics:
            peer_cells = (
                tuple(p if isinstance(p, str) else sentiment_metric(metric, gold, p) for p in peer_pred)
                if peer_pred
                else none
            )
            rows.append(
                Row(
                    "sentiment",
                    s.dataset,
                    s.lang,
                    len(gold),
                    metric,
                    sentiment_metric(metric, gold, pred),
                    peer_cells,
                    s.target if metric == s.metrics[0] else "",
                    s.note if metric == s.metrics[0] else "",
                )
            )

    comp = complaint_splits(data_dir, seed)["dev"]
    if comp:
        results = analyzer.analyze([e.text for e in comp])
        y = [e.label == "complaint" for e in comp]
        p = [r.type_scores.get("complaint", 0.0) >= 0.5 for r in results]
        note = "20% of the train part, never trained on (blend weights were chosen on it)"
        rows.append(
            Row(
                "complaint",
                "Complaints dev split",
                "en",
                len(y),
                "macro F1",
                _binary_macro_f1(y, p),
                none,
                "≥ 0.87",
                note,
            )
        )
        rows.append(
            Row("complaint", "Complaints dev split", "en", len(y), "complaint F1", _positive_f1(y, p), none)
        )

    purch = purchase_splits(data_dir, seed)
    for split, note in (("dev", "20% of training.csv, never trained on"), ("test", "held out")):
        items = purch[split]
        if items:
            results = analyzer.analyze([e.text for e in items])
            y = [e.label == "yes" for e in items]
            p = [bool(r.purchase_intent) for r in results]
            rows.append(
                Row(
                    "purchase intent",
                    f"Purchase tweets {split}",
                    "en",
                    len(y),
                    "F1 (yes)",
                    _positive_f1(y, p),
                    none,
                    "",
                    f"{note}; noisy labels",
                )
            )

    tatoeba = _opt(D.load_tatoeba, data_dir)
    if tatoeba:
        texts = [e.text for e in tatoeba]
        for setting, languages in (("4 configured", list(CONFIGURED_LANGUAGES)), ("all languages", None)):
            pred = [r.language for r in analyzer.analyze(texts, languages=languages)]
            for lang in (*CONFIGURED_LANGUAGES, "all"):
                idx = [i for i, e in enumerate(tatoeba) if lang in ("all", e.label)]
                if not idx:
                    continue
                acc = round(sum(pred[i] == tatoeba[i].label for i in idx) / len(idx), 4)
                target = "≥ 0.995" if lang == "all" and languages else ""
                rows.append(
                    Row("language ID", f"Tatoeba ({setting})", lang, len(idx), "accuracy", acc, none, target)
                )

    if speed:
        rows.extend(speed_rows(analyzer, pick_speed_texts(test_sets, seed), none))
    return rows


def speed_texts(data_dir: Path, seed: int = 0) -> list[str]:
    """Return the speed benchmark's texts for ``data_dir`` (empty when no test set is there)."""
    return pick_speed_texts(sentiment_splits(data_dir, seed)["test"], seed)


def pick_speed_texts(test: dict[str, list[Example]], seed: int, n: int = SPEED_TEXTS) -> list[str]:
    """Pick ``n`` mixed-language held-out texts (seeded), the same draw as the model card's."""
    pool = [e.text for rows in test.values() for e in rows]
    if not pool:
        return []
    pick = np.random.default_rng(seed).choice(len(pool), min(n, len(pool)), replace=False)
    return [pool[i] for i in pick]


def measure_speed(analyzer: Any, texts: Sequence[str], runs: int = SPEED_RUNS) -> float:
    """Return the median messages/s of ``analyzer.analyze`` over one batch of ``texts``.

    All fields are computed (it is the same call the pipeline makes); a
    warm-up call first loads the language models so loading is not timed.
    """
    from .lexicons import clear_caches

    analyzer.analyze(list(texts[:10]))
    timings = []
    for _ in range(runs):
        clear_caches()
        start = time.perf_counter()
        analyzer.analyze(list(texts))
        timings.append(time.perf_counter() - start)
    return round(len(texts) / statistics.median(timings), 1)


def speed_rows(analyzer: Any, texts: Sequence[str], none: tuple[str, ...]) -> list[Row]:
    """Return the speed and model-size rows."""
    out = []
    if texts:
        out.append(
            Row(
                "speed",
                "mixed held-out tweets, one batch",
                "all",
                len(texts),
                "messages/s",
                measure_speed(analyzer, texts),
                none,
                "≥ 2000",
                "median of 3; all fields",
            )
        )
    from .analyzer import artifact_path

    artifact = artifact_path()
    if artifact.exists():
        out.append(
            Row("size", artifact.name, "all", 0, "MB on disk", round(artifact.stat().st_size / 1e6, 2), none)
        )
    return out


# --------------------------------------------------------------------------- printing


def _cell(value: float | str | int) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if value < 10 else f"{value:.1f}"
    return str(value)


def format_table(rows: Sequence[Row], peer_names: Sequence[str] = PEERS) -> str:
    """Render ``rows`` as one aligned Markdown table."""
    head = ["task", "dataset", "lang", "n", "metric", "Lara", *peer_names, "target", "note"]
    body = [
        [r.task, r.dataset, r.lang, str(r.n) if r.n else "", r.metric, _cell(r.lara)]
        + [_cell(p) for p in (r.peers or tuple("" for _ in peer_names))]
        + [r.target, r.note]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]

    def fmt(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt(head), sep, *(fmt(line) for line in body)])
