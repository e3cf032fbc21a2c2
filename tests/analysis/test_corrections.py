"""Agents correct labels: the correction is stored with who made it and the analysis follows it."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from lara.analysis.engine.corrections import CorrectionError
from lara.analysis.models import Analysis, LabelCorrection
from lara.analysis.selectors import correction_export_rows
from lara.analysis.services import analysis_correct, message_analyze
from lara.cli import main
from lara.mentions.models import Message
from lara.mentions.services import message_ingest_json

from ..factories import inbound


def _analyzed(text: str) -> Message:
    message_id = message_ingest_json(data=inbound(text=text)).message_id
    assert message_id is not None
    message_analyze(message_id=message_id)
    return Message.objects.get(pk=message_id)


def test_a_sentiment_correction_is_stored_and_applied(org: dict[str, Any]) -> None:
    message = _analyzed("It is broken")  # the fake analyzer: complaint, negative

    correction = analysis_correct(
        message_id=message.pk, field="sentiment", value="Neutral", user=org["alice"]
    )

    assert (correction.field, correction.old_value, correction.new_value) == (
        "sentiment",
        "negative",
        "neutral",
    )
    assert correction.user == org["alice"]
    analysis = Analysis.objects.get(message=message)
    assert (analysis.sentiment, analysis.sentiment_score) == ("neutral", 1.0)


def test_a_type_correction_moves_the_complaint_score_with_it(org: dict[str, Any]) -> None:
    message = _analyzed("It is broken")

    analysis_correct(message_id=message.pk, field="type", value="question", user=org["alice"])

    analysis = Analysis.objects.get(message=message)
    assert analysis.type == "question"
    assert analysis.type_scores == {
        "question": 1.0,
        "complaint": 0.0,
        "compliment": 0.0,
        "suggestion": 0.0,
        "other": 0.0,
    }

    analysis_correct(message_id=message.pk, field="type", value="other", user=org["lena"])

    analysis.refresh_from_db()
    assert analysis.type == "other"
    assert analysis.type_scores["other"] == 1.0 and analysis.type_scores["question"] == 0.0


def test_purchase_intent_and_language_corrections(org: dict[str, Any]) -> None:
    message = _analyzed("Nice ride")  # no buying cue, English

    analysis_correct(message_id=message.pk, field="purchase_intent", value=True, user=org["bob"])
    analysis_correct(message_id=message.pk, field="language", value="UK", user=org["bob"])

    analysis = Analysis.objects.get(message=message)
    assert (analysis.purchase_intent, analysis.purchase_intent_score) == (True, 1.0)
    assert (analysis.language, analysis.language_confidence) == ("uk", 1.0)
    message.refresh_from_db()
    assert message.language == "uk"
    assert [(c.field, c.old_value, c.new_value) for c in LabelCorrection.objects.all()] == [
        ("purchase_intent", "false", "true"),
        ("language", "en", "uk"),
    ]


def test_a_correction_re_derives_the_analysis_priority(org: dict[str, Any]) -> None:
    message = _analyzed("Nice ride")  # other, neutral: nothing to act on
    assert Analysis.objects.get(message=message).action_required is False

    analysis_correct(message_id=message.pk, field="type", value="complaint", user=org["alice"])

    assert Analysis.objects.get(message=message).action_required is True
    message.refresh_from_db()
    assert message.needs_action is True


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("mood", "happy", "field must be one of sentiment, type, purchase_intent, language; got 'mood'"),
        ("sentiment", "angry", "sentiment must be one of negative, neutral, positive; got 'angry'"),
        (
            "type",
            "praise",
            "type must be one of question, complaint, compliment, suggestion, other; got 'praise'",
        ),
        ("purchase_intent", "maybe", "purchase_intent must be true or false; got 'maybe'"),
        ("language", "eng", "language must be a two-letter ISO 639-1 code such as en or uk; got 'eng'"),
        ("sentiment", True, "sentiment: expected a string, got a boolean"),
    ],
)
def test_an_invalid_correction_is_refused_and_changes_nothing(
    org: dict[str, Any], field: str, value: Any, error: str
) -> None:
    message = _analyzed("It is broken")

    with pytest.raises(CorrectionError) as exc:
        analysis_correct(message_id=message.pk, field=field, value=value, user=org["alice"])

    assert str(exc.value) == error
    assert LabelCorrection.objects.count() == 0
    assert Analysis.objects.get(message=message).sentiment == "negative"


def test_a_message_without_analysis_cannot_be_corrected_yet(org: dict[str, Any]) -> None:
    message_id = message_ingest_json(data=inbound(text="It is broken")).message_id
    assert message_id is not None

    with pytest.raises(CorrectionError, match="not been analyzed yet"):
        analysis_correct(message_id=message_id, field="sentiment", value="neutral", user=org["alice"])
    assert LabelCorrection.objects.count() == 0


def test_export_keeps_the_latest_correction_per_message_and_field(org: dict[str, Any]) -> None:
    broken = _analyzed("It is broken")
    nice = _analyzed("Nice ride")
    analysis_correct(message_id=broken.pk, field="sentiment", value="neutral", user=org["alice"])
    analysis_correct(message_id=broken.pk, field="sentiment", value="positive", user=org["lena"])
    analysis_correct(message_id=nice.pk, field="language", value="he", user=org["alice"])
    analysis_correct(message_id=nice.pk, field="purchase_intent", value="true", user=org["alice"])

    rows = [r.as_dict() for r in correction_export_rows()]

    assert rows == [
        {"text": "It is broken", "field": "sentiment", "value": "positive", "language": "en"},
        {"text": "Nice ride", "field": "language", "value": "he", "language": "he"},
        {"text": "Nice ride", "field": "purchase_intent", "value": "true", "language": "he"},
    ]


def test_lara_export_corrections_writes_json_lines(org: dict[str, Any], tmp_path: Path) -> None:
    message = _analyzed("It is broken")
    analysis_correct(message_id=message.pk, field="type", value="suggestion", user=org["alice"])
    out = tmp_path / "corrections.jsonl"

    assert main(["export-corrections", str(out)]) == 0

    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines == [{"text": "It is broken", "field": "type", "value": "suggestion", "language": "en"}]

    stdout, old = io.StringIO(), sys.stdout
    sys.stdout = stdout
    try:
        assert main(["export-corrections"]) == 0
    finally:
        sys.stdout = old
    assert [json.loads(line) for line in stdout.getvalue().splitlines()] == lines
