"""Analyze stored messages through the analyzer protocol."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from lara.core.bell import bell_ring_on_commit
from lara.mentions.models import Message, Stage
from lara.mentions.services import queries_match_language, queries_match_languages

from .models import Analysis, LabelCorrection
from .scoring import Signals, action_required, impact_score, priority

if TYPE_CHECKING:
    from .engine import Analyzer
    from .engine.result import AnalysisResult


@cache
def analyzer() -> Analyzer:
    """Load the configured analyzer once per process (tests may swap LARA_ANALYZER)."""
    factory = import_string(settings.LARA_ANALYZER)
    result: Analyzer = factory()
    return result


def message_analyze(*, message_id: int) -> Analysis:
    """Analyze one message (idempotent: a second call returns the stored analysis)."""
    return messages_analyze(message_ids=[message_id])[message_id]


def messages_analyze(*, message_ids: Sequence[int]) -> dict[int, Analysis]:
    """Analyze many messages with one call to the analyzer; return each message's analysis.

    Why a batch: the analyzer's models are vectorised, so a call costs
    nearly the same for one text as for fifty, and a backlog of single
    messages would otherwise be analysed at a tenth of the speed. Messages
    already analysed keep their stored analysis (a retried job changes
    nothing); the new ones are written in one transaction with their stage.
    """
    messages = list(Message.objects.filter(pk__in=message_ids).order_by("pk"))
    done = {a.message_id: a for a in Analysis.objects.filter(message_id__in=[m.pk for m in messages])}
    todo = [m for m in messages if m.pk not in done]
    if not todo:
        return done
    results = analyzer().analyze([m.text for m in todo], languages=settings.LARA_LANGUAGES or None)
    fresh = [_analysis_row(message, result) for message, result in zip(todo, results, strict=True)]
    with transaction.atomic():
        Analysis.objects.bulk_create(fresh)
        by_outcome: dict[tuple[str, bool], list[int]] = {}
        for row in fresh:
            by_outcome.setdefault((row.language, row.action_required), []).append(row.message_id)
        for (language, needs_action), ids in by_outcome.items():
            Message.objects.filter(pk__in=ids).update(
                language=language, needs_action=needs_action, stage=Stage.ANALYZED
            )
        # Language-filtered monitoring queries could not be matched at ingest.
        queries_match_languages(languages={a.message_id: a.language for a in fresh})
        bell_ring_on_commit()
    # bulk_create leaves the ids unset on some databases: read the rows back.
    done.update((a.message_id, a) for a in Analysis.objects.filter(message_id__in=[m.pk for m in todo]))
    return done


def _analysis_row(message: Message, result: AnalysisResult) -> Analysis:
    signals = _signals(message, result)
    level, reason = priority(signals)
    return Analysis(
        message=message,
        language=result.language,
        language_confidence=result.language_confidence,
        sentiment=result.sentiment,
        sentiment_score=result.sentiment_score,
        type=result.type,
        type_scores=result.type_scores,
        purchase_intent=result.purchase_intent,
        purchase_intent_score=result.purchase_intent_score,
        topics=list(result.topics),
        entities=[dict(e) for e in result.entities],
        urgency=result.urgency,
        urgency_reasons=list(result.urgency_reasons),
        impact=impact_score(message.author_followers, message.author_verified, message.public),
        priority=level,
        priority_reason=reason,
        action_required=action_required(signals),
        model_version=result.model_version,
    )


def _signals(message: Message, labels: AnalysisResult | Analysis) -> Signals:
    return Signals(
        type=labels.type,
        sentiment=labels.sentiment,
        sentiment_score=labels.sentiment_score,
        purchase_intent=labels.purchase_intent,
        urgency=labels.urgency,
        followers=message.author_followers,
        verified=message.author_verified,
        public=message.public,
        kind=message.kind,
    )


def _corrected_type_scores(scores: dict[str, float], old: str, new: str) -> dict[str, float]:
    """Make the per-label scores agree with an agent's main label.

    The corrected label gets 1.0 and the label it replaces 0.0 (so "counts as
    a complaint", complaint >= 0.5, follows the agent); the other labels keep
    their scores, since a message can still also be, say, a question.
    Correcting to ``other`` zeroes every actionable label.
    """
    out = {
        label: float(scores.get(label, 0.0))
        for label in ("question", "complaint", "compliment", "suggestion")
    }
    if new == "other":
        out = dict.fromkeys(out, 0.0)
    else:
        out[new] = 1.0
        if old in out and old != new:
            out[old] = 0.0
    out["other"] = round(1.0 - max(out.values()), 4)
    return out


def analysis_correct(*, message_id: int, field: str, value: Any, user: Any) -> LabelCorrection:
    """Store an agent's correction of one label and apply it to the analysis, in one transaction.

    ``value`` is validated first (``engine.corrections.CorrectionError``, a
    ValueError, says why it is refused); ``Message.DoesNotExist`` is raised
    for an unknown message and ``CorrectionError`` for one that has no
    analysis yet.  A corrected label
    carries a score of 1.0 (a person said so); the analysis's priority and
    action flag are re-derived from the corrected labels, but cases that were
    already routed keep their team and priority.
    """
    # Imported here: the engine package loads numpy and scikit-learn, which a web
    # process that only serves pages should not pay for at start-up.
    from .engine.corrections import CorrectionError, correction_validate

    new = correction_validate(field, value)
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        analysis = Analysis.objects.select_for_update().filter(message=message).first()
        if analysis is None:
            raise CorrectionError(
                "this message has not been analyzed yet; correct it once its analysis is shown"
            )
        if field == "sentiment":
            old = analysis.sentiment
            analysis.sentiment, analysis.sentiment_score = new, 1.0
        elif field == "type":
            old = analysis.type
            analysis.type_scores = _corrected_type_scores(analysis.type_scores or {}, old, new)
            analysis.type = new
        elif field == "purchase_intent":
            old = "true" if analysis.purchase_intent else "false"
            analysis.purchase_intent = new == "true"
            analysis.purchase_intent_score = 1.0 if analysis.purchase_intent else 0.0
        else:
            old = analysis.language
            analysis.language, analysis.language_confidence = new, 1.0
        signals = _signals(message, analysis)
        analysis.priority, analysis.priority_reason = priority(signals)
        analysis.action_required = action_required(signals)
        analysis.save()
        Message.objects.filter(pk=message.pk).update(
            language=analysis.language, needs_action=analysis.action_required
        )
        if field == "language":
            queries_match_language(message_id=message.pk, language=analysis.language)
        return LabelCorrection.objects.create(
            message=message, field=field, old_value=old, new_value=new, user=user
        )
