"""Load the public labelled corpora under ``shared/data`` into one simple shape.

Every loader returns a list of :class:`Example` so that training and evaluation
code never has to know the quirks of each file format (headerless CSVs, label
spellings, Hebrew quoting...).  Each loader also states the split role and the
licence decision in its docstring, because the licence decides whether a corpus
may ever reach the shipped model.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

csv.field_size_limit(2**31 - 1)  # long tweets/dialogues; 2**31-1 also fits a 32-bit C long

SENTIMENT_LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Example:
    """Hold one labelled text together with where it came from."""

    text: str
    label: str
    lang: str
    source: str


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def dedup_key(text: str) -> str:
    """Return a normalised key so the same tweet is recognised across corpora.

    TweetEval anonymises mentions as ``@user`` while SemEval keeps real handles,
    so mentions and whitespace are folded before comparing.
    """
    text = re.sub(r"@\w+", "@user", text.lower())
    text = re.sub(r"https?://\S+", "url", text)
    return re.sub(r"\s+", " ", text).strip()


def dedup(examples: Iterable[Example], exclude: Iterable[Example] = ()) -> list[Example]:
    """Drop duplicate texts and any text that also appears in ``exclude``.

    Evaluation sets are passed through this with the training set as
    ``exclude`` so that no figure is inflated by a memorised tweet.
    """
    seen = {dedup_key(e.text) for e in exclude}
    out = []
    for e in examples:
        k = dedup_key(e.text)
        if k and k not in seen:
            seen.add(k)
            out.append(e)
    return out


def split_dev(examples: list[Example], frac: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Carve a seeded dev split off a training list (for corpora without one)."""
    idx = list(range(len(examples)))
    random.Random(seed).shuffle(idx)
    n_dev = round(len(idx) * frac)
    dev_idx = set(idx[:n_dev])
    train = [e for i, e in enumerate(examples) if i not in dev_idx]
    dev = [e for i, e in enumerate(examples) if i in dev_idx]
    return train, dev


# --------------------------------------------------------------------------- sentiment

XLMT_LANGS = {
    "arabic": "ar",
    "english": "en",
    "french": "fr",
    "german": "de",
    "italian": "it",
    "portuguese": "pt",
    "spanish": "es",
}


def load_xlmt(data_dir: Path, language: str, split: str) -> list[Example]:
    """Load XLM-T/UMSAB tweets (Apache-2.0 code; source-dataset terms apply).

    Hindi is not loaded on purpose: it is outside the language-ID set.  The
    English test split is absent (held back upstream).
    """
    folder = data_dir / "xlm-t-sentiment" / language
    texts = _read_lines(folder / f"{split}_text.txt")
    labels = _read_lines(folder / f"{split}_labels.txt")
    lang = XLMT_LANGS[language]
    return [
        Example(t, SENTIMENT_LABELS[int(lab)], lang, f"xlm-t/{language}/{split}")
        for t, lab in zip(texts, labels, strict=True)
        if t.strip()
    ]


def load_tweeteval_val(data_dir: Path) -> list[Example]:
    """Load the TweetEval sentiment validation split ("released without restrictions")."""
    folder = data_dir / "tweeteval-sentiment"
    texts = _read_lines(folder / "val_text.txt")
    labels = _read_lines(folder / "val_labels.txt")
    return [
        Example(t, SENTIMENT_LABELS[int(lab)], "en", "tweeteval/val")
        for t, lab in zip(texts, labels, strict=True)
        if t.strip()
    ]


def load_semeval(data_dir: Path, files: Iterable[str]) -> list[Example]:
    """Load SemEval 2013-2016 task 4A tweets (research-use terms: evaluation only).

    De-duplicated by tweet id, because some tweets appear in several years.
    """
    out, ids = [], set()
    for name in files:
        with open(data_dir / "semeval-sentiment" / name, encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                if len(parts) < 3 or parts[0] in ids:
                    continue
                ids.add(parts[0])
                label, text = parts[1].strip(), "\t".join(parts[2:])
                if label in SENTIMENT_LABELS and text.strip():
                    out.append(Example(text, label, "en", f"semeval/{name}"))
    return out


HEBREW_LABELS = {"0": "positive", "1": "negative", "2": "neutral"}


def load_hebrew(data_dir: Path, split: str, keep_offtopic: bool = True) -> list[Example]:
    """Load OnlpLab Hebrew sentiment (MIT per the HF card); off-topic maps to neutral."""
    path = data_dir / "hebrew-sentiment-onlplab" / "token" / f"{split}.tsv"
    out = []
    with open(path, encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for row in reader:
            if len(row) < 2 or row[-1].strip() not in HEBREW_LABELS:
                continue
            text, lab = "\t".join(row[:-1]), row[-1].strip()
            if lab == "2" and not keep_offtopic:
                continue
            if text.strip():
                out.append(Example(text, HEBREW_LABELS[lab], "he", f"hebrew/{split}"))
    return out


def load_rusentitweet(data_dir: Path, split: str) -> list[Example]:
    """Load RuSentiTweet (licence not stated); speech/skip rows are dropped."""
    path = data_dir / "rusentitweet" / f"rusentitweet_{split}.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        return [
            Example(r["text"], r["label"], "ru", f"rusentitweet/{split}")
            for r in csv.DictReader(fh)
            if r["label"] in SENTIMENT_LABELS and r["text"].strip()
        ]


def load_rusentiment_test(data_dir: Path) -> list[Example]:
    """Load the RuSentiment test split: CC BY-NC-SA, so EVALUATION ONLY, never training."""
    path = data_dir / "rusentiment" / "rusentiment_test.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        return [
            Example(r["text"], r["label"], "ru", "rusentiment/test")
            for r in csv.DictReader(fh)
            if r["label"] in SENTIMENT_LABELS and r["text"].strip()
        ]


def load_sentirueval(data_dir: Path) -> list[Example]:
    """Load SentiRuEval-2016 banks+telecom "test etalon" rows: evaluation only.

    They claim to be a competition test set, so they are never used for
    training or tuning; rows whose companies disagree ("conflict") are dropped.
    """
    mapping = {"-1": "negative", "0": "neutral", "1": "positive"}
    out = []
    for name in ("banks_test_etalon.tsv", "tkk_test_etalon.tsv"):
        with open(data_dir / "sentirueval-2016" / name, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                lab = mapping.get((r.get("overall") or "").strip())
                if lab and r["text"].strip():
                    out.append(Example(r["text"], lab, "ru", f"sentirueval/{name}"))
    return out


UKRAINIAN_LABELS = {"0": "negative", "1": "positive", "2": "neutral"}


def load_ukrainian(data_dir: Path, split: str) -> list[Example]:
    """Load the tiny author-written Ukrainian set (Apache-2.0)."""
    path = data_dir / "ukrainian-sentiment-sergeygurbich" / f"sent_anal_ukr_multi-{split}.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        return [
            Example(r["text"], UKRAINIAN_LABELS[r["labels"].strip()], "uk", f"ukrainian/{split}")
            for r in csv.DictReader(fh)
            if r["labels"].strip() in UKRAINIAN_LABELS and r["text"].strip()
        ]


def load_xed(data_dir: Path, lang: str) -> list[Example]:
    """Load XED projected emotions (CC BY 4.0) mapped to a rough polarity.

    joy/trust -> positive, anger/disgust/fear/sadness -> negative; lines with
    both or neither polarity are dropped because the projection is noisy.
    """
    path = data_dir / "xed-emotion-he-ru" / f"{lang}-projections.tsv"
    out = []
    for line in _read_lines(path):
        text, _, labels = line.rpartition("\t")
        if not re.fullmatch(r"\d+(, ?\d+)*", labels.strip()) or not text.strip():
            continue
        emo = {int(x) for x in labels.split(",")}
        pos, neg = bool(emo & {5, 8}), bool(emo & {1, 3, 4, 6})
        if pos != neg:
            out.append(Example(text, "positive" if pos else "negative", lang, f"xed/{lang}"))
    return out


# --------------------------------------------------------------------------- complaints


def load_complaints(data_dir: Path) -> list[Example]:
    """Load the Twitter complaints TRAIN part (no licence file; cite the paper)."""
    path = data_dir / "complaints-social-media" / "complaints-data.train.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        return [
            Example(r[1], "complaint" if r[2].strip() == "1" else "not", "en", f"complaints/{r[3]}")
            for r in csv.reader(fh)
            if len(r) >= 4 and r[1].strip()
        ]


def load_bitext(data_dir: Path) -> list[dict[str, str]]:
    """Load Bitext customer-support rows (CDLA-Sharing-1.0) as raw dicts."""
    path = data_dir / "bitext-customer-support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["instruction"].strip()]


# --------------------------------------------------------------------------- purchase intent

PURCHASE_LABELS = {"yes": "yes", "pi": "yes", "no": "no", "undefined": "undefined"}


def load_purchase(data_dir: Path, split: str) -> list[Example]:
    """Load the noisy iPhone-X purchase-intention tweets (MIT repository licence)."""
    path = data_dir / "purchase-intent-tweets" / f"{split}.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        out = []
        for r in csv.DictReader(fh):
            lab = PURCHASE_LABELS.get((r.get("class") or "").strip().lower())
            text = re.sub(r"\s+", " ", r.get("text") or "").strip()
            if lab and text:
                out.append(Example(text, lab, "en", f"purchase/{split}"))
        return out


# --------------------------------------------------------------------------- language ID / questions

TATOEBA_LANGS = {"heb": "he", "rus": "ru", "ukr": "uk", "eng": "en"}


def load_tatoeba(data_dir: Path) -> list[Example]:
    """Load the Tatoeba language-ID sentences (CC BY 2.0 FR): evaluation only."""
    path = data_dir / "tatoeba-langid" / "tatoeba_langid_he_ru_uk_en.tsv"
    with open(path, encoding="utf-8", newline="") as fh:
        return [
            Example(r["text"], TATOEBA_LANGS[r["lang"]], TATOEBA_LANGS[r["lang"]], "tatoeba")
            for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            if r["text"].strip()
        ]


def load_dailydialog_questions(data_dir: Path, split: str = "validation") -> list[Example]:
    """Load DailyDialog utterances as question / not (CC BY-NC-SA: evaluation only)."""
    folder = data_dir / "dailydialog" / split
    dialogues = _read_lines(folder / f"dialogues_{split}.txt")
    acts = _read_lines(folder / f"dialogues_act_{split}.txt")
    out = []
    for dlg, act in zip(dialogues, acts, strict=True):
        utts = [u.strip() for u in dlg.split("__eou__")]
        utts = [u for u in utts if u]
        labels = act.split()
        for u, a in zip(utts, labels, strict=False):
            out.append(Example(u, "question" if a == "2" else "other", "en", f"dailydialog/{split}"))
    return out


def load_clinc(data_dir: Path, split: str) -> list[tuple[str, str]]:
    """Load CLINC150 (CC BY 3.0) ``[text, intent]`` pairs for one split."""
    data = json.loads((data_dir / "clinc150-oos-eval" / "data_full.json").read_text(encoding="utf-8"))
    return [(t, i) for t, i in data[split]]


def load_banking77(data_dir: Path, split: str) -> list[tuple[str, str]]:
    """Load BANKING77 (CC BY 4.0) ``(text, intent)`` pairs for one split."""
    with open(data_dir / "banking77" / f"{split}.csv", encoding="utf-8", newline="") as fh:
        return [(r["text"], r["category"]) for r in csv.DictReader(fh)]
