"""message_analyze stores every field the analyzer returns, catalogue entities included."""

from __future__ import annotations

from typing import Any

from lara.analysis.models import Analysis
from lara.analysis.services import message_analyze
from lara.mentions.models import Message
from lara.mentions.services import message_ingest_json

from ..factories import inbound


def test_entities_are_stored_with_the_analysis(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(text="My Volta is broken, brakes failed"))

    analysis = message_analyze(message_id=Message.objects.get().pk)

    stored = Analysis.objects.get(pk=analysis.pk)
    assert stored.entities == [{"name": "Volta", "kind": "brand", "text": "Volta"}]
    assert stored.urgency_reasons == ["safety: brakes failed"]
    assert (stored.type, stored.urgency) == ("complaint", "critical")


def test_a_message_without_catalogue_names_stores_no_entities(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(text="Where can I buy one?"))

    analysis = message_analyze(message_id=Message.objects.get().pk)

    assert Analysis.objects.get(pk=analysis.pk).entities == []
