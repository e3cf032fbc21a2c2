"""Agents' corrections as training rows: validated, read from a file, added to the right heads (no Django)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from lara.analysis.engine.corrections import (
    CorrectionError,
    CorrectionRow,
    correction_examples,
    correction_validate,
    corrections_read,
)
from lara.analysis.engine.model import ARTIFACT_FILE, TriageModel
from lara.analysis.engine.training import train
from lara.cli import main

from .test_engine import _write_tiny_corpus

ROWS = [
    {"text": "The zorblax crank is superb", "field": "sentiment", "value": "positive", "language": "en"},
    {"text": "Велосипед приїхав подряпаний", "field": "type", "value": "complaint", "language": "uk"},
    {"text": "Do you open on Sundays?", "field": "type", "value": "question", "language": "en"},
    {
        "text": "Is the cargo bike in stock in Haifa",
        "field": "purchase_intent",
        "value": "true",
        "language": "en",
    },
    {"text": "Nice photo", "field": "purchase_intent", "value": "false", "language": "en"},
    {"text": "Privet, kak dela", "field": "language", "value": "ru", "language": "ru"},
]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("sentiment", " Positive ", "positive"),
        ("type", "suggestion", "suggestion"),
        ("purchase_intent", "TRUE", "true"),
        ("purchase_intent", False, "false"),
        ("language", "He", "he"),
    ],
)
def test_valid_values_are_normalised(field: str, value: object, stored: str) -> None:
    assert correction_validate(field, value) == stored


def test_rows_go_to_the_heads_that_can_learn_them() -> None:
    examples = correction_examples(CorrectionRow(**r) for r in ROWS)

    assert [(e.text, e.label) for e in examples["sentiment"]] == [("The zorblax crank is superb", "positive")]
    assert [(e.label, e.lang) for e in examples["complaint"]] == [("complaint", "uk"), ("not", "en")]
    assert [e.label for e in examples["purchase"]] == ["yes", "no"]
    assert [e.label for e in examples["unused"]] == ["ru"]  # language corrections train nothing


def test_a_bad_line_stops_reading_with_its_number(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.jsonl", [ROWS[0], {"text": "x", "field": "type", "value": "rant"}])

    with pytest.raises(CorrectionError, match=r"c\.jsonl:2: type must be one of"):
        corrections_read(path)


def test_training_adds_corrections_and_records_their_count(tmp_path: Path) -> None:
    data = _write_tiny_corpus(tmp_path)
    corrections = _write(tmp_path / "corrections.jsonl", ROWS)

    report = train(data, tmp_path / "with", seed=0, evaluate_language_id=False, corrections=corrections)
    plain = train(data, tmp_path / "plain", seed=0, evaluate_language_id=False)

    assert report["training_rows"]["sentiment"] == {"en": 13}  # 12 corpus rows + 1 correction
    assert report["training_rows"]["complaint"] == {"complaint": 5, "not": 5}  # 4 + 4, + 1 + 1
    assert report["training_rows"]["purchase"] == {"no": 5, "yes": 5}  # 4 + 4, + 1 + 1
    assert report["training_rows"]["corrections"] == {
        "sentiment": {"positive": 1},
        "complaint": {"complaint": 1, "not": 1},
        "purchase": {"no": 1, "yes": 1},
        "unused": {"ru": 1},
    }
    assert report["corrections"]["rows"] == 6 and report["corrections"]["file"] == "corrections.jsonl"
    assert "corrections" not in plain["training_rows"]
    assert report["artifact"]["sha256"] != plain["artifact"]["sha256"]
    assert TriageModel.load(tmp_path / "with" / ARTIFACT_FILE).meta["corrections"]["rows"] == 6

    again = train(data, tmp_path / "again", seed=0, evaluate_language_id=False, corrections=corrections)
    assert again["artifact"]["sha256"] == report["artifact"]["sha256"]  # still deterministic


def test_lara_train_with_corrections_writes_the_count_into_the_model_card(tmp_path: Path) -> None:
    data = _write_tiny_corpus(tmp_path)
    corrections = _write(tmp_path / "corrections.jsonl", ROWS)
    out = tmp_path / "artifacts"
    stdout, old = io.StringIO(), sys.stdout
    sys.stdout = stdout
    try:
        code = main(["train", "--data", str(data), "--out", str(out), "--corrections", str(corrections)])
    finally:
        sys.stdout = old

    assert code == 0
    assert json.loads(stdout.getvalue())["corrections"]["rows"] == 6
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Agents' corrections: **6 rows** from `corrections.jsonl`" in card
    assert "corrections: {'sentiment': {'positive': 1}" in card
    assert (out / ARTIFACT_FILE).is_file()


def test_lara_train_refuses_a_broken_corrections_file(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.jsonl", [{"text": "x", "field": "mood", "value": "happy"}])
    stderr, old = io.StringIO(), sys.stderr
    sys.stderr = stderr
    try:
        code = main(
            ["train", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--corrections", str(bad)]
        )
    finally:
        sys.stderr = old

    assert code == 2
    assert "bad.jsonl:1: field must be one of" in stderr.getvalue()
    assert not (tmp_path / "o").exists()
