"""Analyze stored messages through the analyzer protocol."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from lara.mentions.models import Message, Stage

from .models import Analysis
from .scoring import Signals, action_required, impact_score, priority

if TYPE_CHECKING:
    from .engine import Analyzer


@cache
def analyzer() -> Analyzer:
    """Load the configured analyzer once per process (tests may swap LARA_ANALYZER)."""
    factory = import_string(settings.LARA_ANALYZER)
    result: Analyzer = factory()
    return result


def message_analyze(*, message_id: int) -> Analysis:
    """Analyze one message (idempotent: a second call returns the stored analysis)."""
    message = Message.objects.get(pk=message_id)
    existing = Analysis.objects.filter(message=message).first()
    if existing is not None:
        return existing
    result = analyzer().analyze([message.text], languages=settings.LARA_LANGUAGES or None)[0]
    signals = Signals(
        type=result.type,
        sentiment=result.sentiment,
        sentiment_score=result.sentiment_score,
        purchase_intent=result.purchase_intent,
        urgency=result.urgency,
        followers=message.author_followers,
        verified=message.author_verified,
        public=message.public,
        kind=message.kind,
    )
    level, reason = priority(signals)
    with transaction.atomic():
        analysis = Analysis.objects.create(
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
        Message.objects.filter(pk=message.pk).update(
            language=result.language, needs_action=analysis.action_required, stage=Stage.ANALYZED
        )
    return analysis
