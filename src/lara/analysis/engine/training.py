"""Train the triage artifact from the public corpora in one reproducible call.

``train()`` is the only way the shipped artifact is produced, so anyone can
rebuild it and get the same file and the same figures: all splits are seeded,
the solvers are deterministic, and the model card is written from the very
numbers measured here.  Licences decide what may be trained on (see
``TRAINING_SOURCES`` / ``EVALUATION_ONLY``): non-commercial and research-only
corpora, and anything that claims to be a held-out test set, are only ever
used for evaluation.

Run::

    python -m lara.analysis.engine.training --data ../shared/data \\
        --out src/lara/analysis/engine/artifacts
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from . import datasets as D
from .classifier import LinearHead, dense_rows, positive_proba
from .corrections import correction_counts, correction_examples, corrections_read
from .datasets import Example
from .features import FeatureConfig, Featurizer
from .message_type import question_score
from .model import ARTIFACT_FILE, MODEL_NAME, MODEL_VERSION, TriageModel, xling_features
from .text import normalize

SENTIMENT_C = 4.0
COMPLAINT_C = 4.0
PURCHASE_C = 2.0
XLING_C = 1.0
COMPLAINT_TEXT_WEIGHT = 0.7
PURCHASE_TEXT_WEIGHT = 1.0
PURCHASE_THRESHOLD = 0.5
COMPLAINT_THRESHOLD = 0.5
BITEXT_WEIGHT = 0.3

TRAINING_SOURCES = {
    "tweeteval-sentiment": (
        "val split only; TweetEval says 'released without any restrictions' (Twitter terms apply)"
    ),
    "xlm-t-sentiment": "train+val of ar/de/en/es/fr/it/pt; Apache-2.0 code, source-dataset terms apply",
    "hebrew-sentiment-onlplab": "train; MIT per the HuggingFace card (no licence file in the repository)",
    "rusentitweet": "train minus a 10% dev split; licence not stated by the authors",
    "ukrainian-sentiment-sergeygurbich": "train minus a 20% dev split; Apache-2.0",
    "complaints-social-media": "train part minus a 20% dev split; no licence file (cite the ACL 2019 paper)",
    "bitext-customer-support": "complaint vs other intents (weight 0.3); CDLA-Sharing-1.0",
    "purchase-intent-tweets": "training.csv minus a 20% dev split; MIT repository licence; noisy labels",
}
EVALUATION_ONLY = {
    "semeval-sentiment": "SemEval terms are research use: English dev/test figures only",
    "rusentiment": "CC BY-NC-SA 4.0 (non-commercial): evaluation only",
    "dailydialog": "CC BY-NC-SA 4.0 (non-commercial): question-detection proxy only",
    "sentirueval-2016": "competition test sets ('test etalon'): evaluation only",
    "tatoeba-langid": "CC BY 2.0 FR: language-ID evaluation",
    "hebrew-sentiment-onlplab test_gold / rusentitweet test / ukrainian test / xlm-t test": (
        "test splits: evaluated once, never tuned on"
    ),
    "xed-emotion-he-ru": (
        "CC BY 4.0 but projected, noisy labels: tried, it lowered he/ru/uk dev scores, so unused"
    ),
}
SENTIMENT_TRAIN_LANGS = ("en", "he", "ru", "uk", "ar", "de", "es", "fr", "it", "pt")
OTHER_XLMT = ("arabic", "french", "german", "italian", "portuguese", "spanish")


_MISSING: set[str] = set()


def _log(msg: str) -> None:
    print(f"[lara-train] {msg}", file=sys.stderr, flush=True)


def _opt(loader: Callable[..., list[Any]], data_dir: Path, *args: Any) -> list[Any]:
    """Call a corpus loader, returning [] (and noting it) when its files are absent.

    Training must also work from a partial data folder (e.g. a tiny test
    fixture); every corpus that is missing is listed in the report.
    """
    try:
        return loader(data_dir, *args)
    except FileNotFoundError as exc:
        try:
            name = Path(exc.filename).relative_to(data_dir).as_posix()
        except (TypeError, ValueError):
            name = str(exc.filename)
        _MISSING.add(name)
        return []


def _require(rows: Sequence[Example], task: str) -> None:
    labels = {e.label for e in rows}
    if len(labels) < 2:
        raise ValueError(f"{task}: need training rows of at least two labels, got {sorted(labels)}")


def _metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    return {
        "n": len(y_true),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4),
    }


def _binary(y_true: Sequence[bool], y_pred: Sequence[bool]) -> dict[str, float]:
    return {
        "n": len(y_true),
        "positives": int(sum(y_true)),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "precision": round(float(precision_score(y_true, y_pred, zero_division=0)), 4),
        "recall": round(float(recall_score(y_true, y_pred, zero_division=0)), 4),
        "f1": round(float(f1_score(y_true, y_pred, zero_division=0)), 4),
    }


def _stratified_split(examples: list[Example], frac: float, seed: int) -> tuple[list[Example], list[Example]]:
    train: list[Example] = []
    dev: list[Example] = []
    for label in sorted({e.label for e in examples}):
        tr, dv = D.split_dev([e for e in examples if e.label == label], frac, seed)
        train += tr
        dev += dv
    return train, dev


# --------------------------------------------------------------------------- data


def sentiment_splits(data_dir: Path, seed: int) -> dict[str, Any]:
    """Assemble sentiment training data and the dev / test sets per language."""
    en_train = D.dedup(
        _opt(D.load_xlmt, data_dir, "english", "train")
        + _opt(D.load_xlmt, data_dir, "english", "val")
        + _opt(D.load_tweeteval_val, data_dir)
    )
    ru_train, ru_dev = D.split_dev(_opt(D.load_rusentitweet, data_dir, "train"), 0.1, seed)
    uk_train, uk_dev = D.split_dev(_opt(D.load_ukrainian, data_dir, "train"), 0.2, seed)
    he_train = _opt(D.load_hebrew, data_dir, "train")
    other_train: list[Example] = []
    other_dev: list[Example] = []
    other_test: list[Example] = []
    for name in OTHER_XLMT:
        other_train += _opt(D.load_xlmt, data_dir, name, "train")
        other_dev += _opt(D.load_xlmt, data_dir, name, "val")
        other_test += _opt(D.load_xlmt, data_dir, name, "test")
    train = en_train + he_train + ru_train + uk_train + other_train
    semeval_dev = ["twitter-2013dev-A.tsv", "twitter-2016dev-A.tsv"]
    semeval_test = ["twitter-2016test-A.tsv"]
    dev = {
        "en": D.dedup(_opt(D.load_semeval, data_dir, semeval_dev), train),
        "he": _opt(D.load_hebrew, data_dir, "dev"),
        "ru": ru_dev,
        "uk": uk_dev,
        "other (ar de es fr it pt)": other_dev,
    }
    test = {
        "en (semeval-2016 test)": D.dedup(_opt(D.load_semeval, data_dir, semeval_test), train),
        "he": _opt(D.load_hebrew, data_dir, "test_gold"),
        "ru (rusentitweet test)": D.dedup(_opt(D.load_rusentitweet, data_dir, "test"), train),
        "uk": D.dedup(_opt(D.load_ukrainian, data_dir, "test"), train),
        "other (ar de es fr it pt)": other_test,
        "ru (sentirueval-2016 banks+telecom, eval only)": D.dedup(_opt(D.load_sentirueval, data_dir), train),
        "ru (rusentiment test, NC: eval only)": D.dedup(_opt(D.load_rusentiment_test, data_dir), train),
    }
    return {"train": train, "dev": dev, "test": test}


def complaint_splits(data_dir: Path, seed: int) -> dict[str, Any]:
    """Split the complaint tweets and add Bitext complaint / non-complaint intents."""
    train, dev = _stratified_split(_opt(D.load_complaints, data_dir), 0.2, seed)
    bitext = [
        Example(r["instruction"], "complaint" if r["intent"] == "complaint" else "not", "en", "bitext")
        for r in _opt(D.load_bitext, data_dir)
    ]
    return {"train": train, "dev": dev, "bitext": bitext}


def purchase_splits(data_dir: Path, seed: int) -> dict[str, Any]:
    """Binarise the purchase tweets (yes vs no/undefined) and split off dev; dedup test."""

    def binarise(rows: list[Example]) -> list[Example]:
        return [Example(e.text, "yes" if e.label == "yes" else "no", e.lang, e.source) for e in rows]

    train, dev = _stratified_split(binarise(D.dedup(_opt(D.load_purchase, data_dir, "training"))), 0.2, seed)
    test = binarise(D.dedup(_opt(D.load_purchase, data_dir, "test"), train + dev))
    return {"train": train, "dev": dev, "test": test}


# --------------------------------------------------------------------------- fitting


def _fit_lr(
    X: Any, y: Sequence[str], C: float, sample_weight: np.ndarray | None = None, balanced: bool = False
) -> LinearHead:
    clf = LogisticRegression(
        C=C, max_iter=2000, solver="lbfgs", class_weight="balanced" if balanced else None
    )
    clf.fit(X, np.asarray(y), sample_weight=sample_weight)
    return LinearHead.from_estimator(clf)


def _xling_matrix(model_sentiment: LinearHead, X: Any, normalized: Sequence[str]) -> np.ndarray:
    proba = model_sentiment.predict_proba(X)
    neg = model_sentiment.classes.index("negative")
    pos = model_sentiment.classes.index("positive")
    return dense_rows(
        [
            xling_features(float(p[neg]), float(p[pos]), t, question_score(t))
            for p, t in zip(proba, normalized, strict=True)
        ]
    )


def _evaluate_language_id(data_dir: Path) -> dict[str, Any]:
    from . import language

    rows = _opt(D.load_tatoeba, data_dir)
    if not rows:
        return {}
    texts = [e.text for e in rows]
    out: dict[str, Any] = {}
    for name, boost, rule in (
        ("lingua only", 1.0, False),
        ("shipped (prior + ru/uk rule)", language.PRIORITY_BOOST, True),
    ):
        saved_boost, saved_words = language.PRIORITY_BOOST, (language._UK_WORDS, language._RU_WORDS)
        language.PRIORITY_BOOST = boost
        if not rule:
            language._UK_WORDS, language._RU_WORDS = frozenset(), frozenset()
        try:
            pred = [lang for lang, _ in language.detect_languages(texts)]
        finally:
            language.PRIORITY_BOOST = saved_boost
            language._UK_WORDS, language._RU_WORDS = saved_words
        per = {}
        for lang in ("en", "he", "ru", "uk"):
            idx = [i for i, e in enumerate(rows) if e.label == lang]
            if idx:
                per[lang] = round(sum(pred[i] == lang for i in idx) / len(idx), 4)
        per["all"] = round(sum(p == e.label for p, e in zip(pred, rows, strict=True)) / len(rows), 4)
        out[name] = per
    # Cost of the prior: how often other languages' tweets become a priority language.
    others: list[Example] = []
    for name in OTHER_XLMT:
        others += _opt(D.load_xlmt, data_dir, name, "val")
    if others:
        pred = [lang for lang, _ in language.detect_languages([e.text for e in others])]
        out["xlm-t val (ar de es fr it pt) accuracy with prior"] = round(
            sum(p == e.lang for p, e in zip(pred, others, strict=True)) / len(others), 4
        )
    return out


def _evaluate_questions(data_dir: Path) -> dict[str, Any]:
    out = {}
    bitext = _opt(D.load_bitext, data_dir)
    if bitext:
        y = ["I" in r["tags"] for r in bitext]
        p = [question_score(normalize(r["instruction"])) >= 0.5 for r in bitext]
        out["bitext interrogative tag (en, synthetic)"] = _binary(y, p)
    dd = _opt(D.load_dailydialog_questions, data_dir)
    if dd:
        y = [e.label == "question" for e in dd]
        p = [question_score(normalize(e.text)) >= 0.5 for e in dd]
        out["dailydialog question act (en, NC: eval only; acts differ from surface questions)"] = _binary(
            y, p
        )
    return out


# --------------------------------------------------------------------------- entry point


def train(
    data_dir: Path,
    out_dir: Path,
    *,
    seed: int = 0,
    evaluate_language_id: bool = True,
    corrections: Path | None = None,
) -> dict[str, Any]:
    """Build the artifact in ``out_dir`` and return the report dict.

    ``data_dir`` is the folder of public corpora (``shared/data``); corpora
    that are absent are skipped and listed under ``missing_corpora``.
    ``corrections`` is a file from ``lara export-corrections``: its rows are
    added to the training sets of the sentiment, complaint and purchase
    heads (never to a dev or test split) and counted in the report and the
    artifact's metadata.  The call is deterministic for a given data
    snapshot, corrections file and seed.  ``train_and_document()`` adds the
    speed benchmark and writes MODEL_CARD.md.
    """
    from . import lexicons

    t0 = time.perf_counter()
    _MISSING.clear()
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    # Read the corrections first: a broken file should fail before minutes of loading.
    corrected = correction_examples(corrections_read(Path(corrections))) if corrections is not None else {}
    sent = sentiment_splits(data_dir, seed)
    comp = complaint_splits(data_dir, seed)
    purch = purchase_splits(data_dir, seed)
    if corrections is not None:
        sent["train"] = sent["train"] + corrected["sentiment"]
        comp["train"] = comp["train"] + corrected["complaint"]
        purch["train"] = purch["train"] + corrected["purchase"]
        _log(f"added agents' corrections: {correction_counts(corrected)}")
    _require(sent["train"], "sentiment")
    _require(comp["train"], "complaint")
    _require(purch["train"], "purchase intent")
    _log(f"loaded data in {time.perf_counter() - t0:.1f}s")

    featurizer = Featurizer(FeatureConfig())
    s_train_norm = [normalize(e.text) for e in sent["train"]]
    c_train_norm = [normalize(e.text) for e in comp["train"] + comp["bitext"]]
    p_train_norm = [normalize(e.text) for e in purch["train"]]
    featurizer.fit_idf(s_train_norm + c_train_norm + p_train_norm)

    def vec(rows: Sequence[Example]) -> Any:
        return featurizer.transform([normalize(e.text) for e in rows])

    # Sentiment ------------------------------------------------------------
    t = time.perf_counter()
    sentiment = _fit_lr(featurizer.transform(s_train_norm), [e.label for e in sent["train"]], SENTIMENT_C)
    _log(f"sentiment head trained in {time.perf_counter() - t:.1f}s")
    report: dict[str, Any] = {"sentiment": {"dev": {}, "test": {}}}
    for split in ("dev", "test"):
        for lang, rows in sent[split].items():
            if rows:
                report["sentiment"][split][lang] = _metrics(
                    [e.label for e in rows], sentiment.predict(vec(rows))
                )

    # Complaints -----------------------------------------------------------
    c_rows = comp["train"] + comp["bitext"]
    c_weights = np.asarray([1.0] * len(comp["train"]) + [BITEXT_WEIGHT] * len(comp["bitext"]))
    Xc = featurizer.transform(c_train_norm)
    complaint_text = _fit_lr(Xc, [e.label for e in c_rows], COMPLAINT_C, c_weights, balanced=True)
    xling_train = _xling_matrix(sentiment, Xc[: len(comp["train"])], c_train_norm[: len(comp["train"])])
    complaint_xling = _fit_lr(xling_train, [e.label for e in comp["train"]], XLING_C, balanced=True)
    report["complaint"] = {}
    if comp["dev"]:
        dev_norm = [normalize(e.text) for e in comp["dev"]]
        Xd = featurizer.transform(dev_norm)
        y_dev = [e.label == "complaint" for e in comp["dev"]]
        p_text = positive_proba(complaint_text, Xd, "complaint")
        p_xling = positive_proba(complaint_xling, _xling_matrix(sentiment, Xd, dev_norm), "complaint")
        p_blend = COMPLAINT_TEXT_WEIGHT * p_text + (1 - COMPLAINT_TEXT_WEIGHT) * p_xling
        report["complaint"]["dev (complaints-social-media, 20% of the train part)"] = {
            "text model (en)": _binary(y_dev, list(p_text >= COMPLAINT_THRESHOLD)),
            "cross-lingual head (used for he/ru/uk/...)": _binary(
                y_dev, list(p_xling >= COMPLAINT_THRESHOLD)
            ),
            "shipped blend for English": _binary(y_dev, list(p_blend >= COMPLAINT_THRESHOLD)),
        }
    # A cross-lingual proxy: on SentiRuEval (Russian tweets to banks/telecoms)
    # negative tweets are mostly complaints and positive ones are not.
    sr = sent["test"]["ru (sentirueval-2016 banks+telecom, eval only)"]
    if sr:
        sr_norm = [normalize(e.text) for e in sr]
        sr_p = positive_proba(
            complaint_xling, _xling_matrix(sentiment, featurizer.transform(sr_norm), sr_norm), "complaint"
        )
        report["complaint"]["proxy: share flagged as complaint on SentiRuEval by gold sentiment (ru)"] = {
            lab: round(
                float(
                    np.mean(
                        [p >= COMPLAINT_THRESHOLD for p, e in zip(sr_p, sr, strict=True) if e.label == lab]
                    )
                ),
                4,
            )
            for lab in ("negative", "neutral", "positive")
            if any(e.label == lab for e in sr)
        }

    # Purchase intent ---------------------------------------------------------
    purchase_text = _fit_lr(featurizer.transform(p_train_norm), [e.label for e in purch["train"]], PURCHASE_C)
    report["purchase_intent"] = {}
    for split in ("dev", "test"):
        rows = purch[split]
        if not rows:
            continue
        norm = [normalize(e.text) for e in rows]
        y = [e.label == "yes" for e in rows]
        cues = np.asarray([lexicons.PURCHASE.score(t) for t in norm])
        text = positive_proba(purchase_text, featurizer.transform(norm), "yes")
        blend = np.maximum(cues, PURCHASE_TEXT_WEIGHT * text)
        report["purchase_intent"][f"{split} (purchase-intent-tweets, noisy)"] = {
            "cue lexicon only": _binary(y, list(cues >= PURCHASE_THRESHOLD)),
            "text model only": _binary(y, list(text >= PURCHASE_THRESHOLD)),
            "shipped blend (en)": _binary(y, list(blend >= PURCHASE_THRESHOLD)),
        }

    report["question"] = _evaluate_questions(data_dir)
    if evaluate_language_id:
        report["language_id"] = _evaluate_language_id(data_dir)

    model = TriageModel(
        featurizer=featurizer,
        sentiment=sentiment,
        complaint_text=complaint_text,
        complaint_xling=complaint_xling,
        purchase_text=purchase_text,
        params={
            "complaint_text_weight": COMPLAINT_TEXT_WEIGHT,
            "purchase_text_weight": PURCHASE_TEXT_WEIGHT,
            "complaint_threshold": COMPLAINT_THRESHOLD,
            "purchase_threshold": PURCHASE_THRESHOLD,
        },
        meta={
            "seed": seed,
            "training_rows": {
                "sentiment": dict(sorted(Counter(e.lang for e in sent["train"]).items())),
                "sentiment_labels": dict(sorted(Counter(e.label for e in sent["train"]).items())),
                "complaint": dict(Counter(e.label for e in comp["train"])),
                "complaint_bitext": dict(Counter(e.label for e in comp["bitext"])),
                "purchase": dict(Counter(e.label for e in purch["train"])),
            },
            "training_sources": TRAINING_SOURCES,
            "evaluation_only": EVALUATION_ONLY,
            "hyperparameters": {
                "sentiment_C": SENTIMENT_C,
                "complaint_C": COMPLAINT_C,
                "purchase_C": PURCHASE_C,
                "xling_C": XLING_C,
                "bitext_weight": BITEXT_WEIGHT,
                "complaint_class_weight": "balanced",
            },
        },
    )
    if corrections is not None:
        # Only present when given, so training without corrections keeps the shipped bytes.
        model.meta["training_rows"]["corrections"] = correction_counts(corrected)
        model.meta["corrections"] = {
            "file": Path(corrections).name,
            "rows": sum(len(rows) for rows in corrected.values()),
        }
    out_dir.mkdir(parents=True, exist_ok=True)
    digest = model.save(out_dir / ARTIFACT_FILE)
    report["model_version"] = model.version
    report["artifact"] = {
        "file": ARTIFACT_FILE,
        "bytes": (out_dir / ARTIFACT_FILE).stat().st_size,
        "sha256": digest,
    }
    report["training_rows"] = model.meta["training_rows"]
    if corrections is not None:
        report["corrections"] = {**model.meta["corrections"], "by_head": correction_counts(corrected)}
    report["missing_corpora"] = sorted(_MISSING)
    report["training_sources"] = TRAINING_SOURCES
    report["evaluation_only"] = EVALUATION_ONLY
    report["train_seconds"] = round(time.perf_counter() - t0, 1)
    _log(f"artifact written ({report['artifact']['bytes'] / 1e6:.2f} MB) in {report['train_seconds']}s")
    return report


def benchmark(
    texts: Sequence[str], analyze: Callable[[Sequence[str]], Any], runs: int = 3
) -> dict[str, float]:
    """Return the median throughput (texts/s) of ``analyze`` over ``runs`` runs."""
    from .lexicons import clear_caches

    analyze(texts[:10])  # load the language models and the artifact first
    timings = []
    for _ in range(runs):
        clear_caches()  # measure cold runs: no memoised cue hits from the previous run
        t = time.perf_counter()
        analyze(texts)
        timings.append(time.perf_counter() - t)
    median = statistics.median(timings)
    return {
        "texts": len(texts),
        "median_seconds": round(median, 3),
        "texts_per_second": round(len(texts) / median, 1),
    }


def train_and_document(
    data_dir: Path,
    out_dir: Path,
    *,
    seed: int = 0,
    corrections: Path | None = None,
    card: bool = True,
) -> dict[str, Any]:
    """Train, then benchmark and check the sanity examples, and write MODEL_CARD.md.

    The benchmark runs on up to 1000 held-out tweets and is skipped when the
    data folder has no test split (e.g. a tiny fixture).
    """
    report = train(data_dir, out_dir, seed=seed, corrections=corrections)

    from .analyzer import TriageAnalyzer
    from .card import sanity_examples, write_model_card

    analyzer = TriageAnalyzer(TriageModel.load(Path(out_dir) / ARTIFACT_FILE))
    bench_rows = sentiment_splits(Path(data_dir), seed)["test"]
    pool = [e.text for rows in bench_rows.values() for e in rows]
    if pool:
        pick = np.random.default_rng(seed).choice(len(pool), min(1000, len(pool)), replace=False)
        report["speed"] = benchmark([pool[i] for i in pick], analyzer.analyze)
        report["speed"]["machine"] = (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
    report["sanity"] = sanity_examples(analyzer)
    if card:
        write_model_card(Path(out_dir) / "MODEL_CARD.md", report, version=MODEL_VERSION)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: train, benchmark, write the model card, print the report."""
    parser = argparse.ArgumentParser(description=f"Train the {MODEL_NAME} artifact.")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="folder of public corpora")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "artifacts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corrections", type=Path, help="JSON lines from `lara export-corrections`")
    parser.add_argument("--no-card", action="store_true", help="do not (re)write MODEL_CARD.md")
    args = parser.parse_args(argv)

    report = train_and_document(
        args.data, args.out, seed=args.seed, corrections=args.corrections, card=not args.no_card
    )
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
