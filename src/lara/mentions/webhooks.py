"""Receive a network's push delivery for one channel and store what it holds.

The adapter verifies and parses (the core never knows a network's format);
this service finds the channel, records its health, and ingests each message
exactly once, so a network's retry of the same delivery adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lara.channels.base import ChannelError, WebhookReceiver, WebhookRejected, WebhookRequest
from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.channels.services import channel_mark_error, channel_mark_success

from .services import IngestResult, Outcome, message_ingest


@dataclass
class WebhookOutcome:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def webhook_receive(*, channel_slug: str, request: WebhookRequest) -> WebhookOutcome:
    channel = Channel.objects.filter(slug=channel_slug, enabled=True).first()
    if channel is None:
        return WebhookOutcome(404, {"detail": "no such channel, or it is disabled"})
    try:
        adapter: object = adapter_for(channel.network)
    except ChannelError:
        adapter = None
    if not isinstance(adapter, WebhookReceiver):
        return WebhookOutcome(404, {"detail": f"network {channel.network!r} does not receive webhooks"})
    try:
        result = adapter.receive(request, channel=channel.slug, credentials=channel.credentials)
    except WebhookRejected as exc:
        channel_mark_error(channel_id=channel.pk, error=f"webhook refused: {exc}")
        return WebhookOutcome(exc.status, {"detail": str(exc)})
    results: list[IngestResult] = [message_ingest(message=m) for m in result.messages]
    channel_mark_success(channel_id=channel.pk)
    counts = {o.value: sum(1 for r in results if r.outcome is o) for o in Outcome}
    counts["rejected"] += len(result.rejected)
    return WebhookOutcome(
        200,
        {
            **counts,
            "results": [r.as_dict() for r in results],
            "rejected_items": [{"index": i, "reason": reason} for i, reason in result.rejected],
        },
    )
