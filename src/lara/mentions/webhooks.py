"""Receive a network's push delivery for one channel and store what it holds.

The adapter verifies and parses (the core never knows a network's format);
this service finds the channel, records its health, and ingests each message
exactly once, so a network's retry of the same delivery adds nothing. A
delivery's messages are stored together in one transaction
(``message_ingest_batch``), so a batch of hundreds costs a few queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lara.channels.base import (
    ChannelError,
    WebhookHandshake,
    WebhookReceiver,
    WebhookRejected,
    WebhookRequest,
)
from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.channels.services import channel_mark_error, channel_mark_success

from .batch import message_ingest_batch
from .models import DeadLetter
from .services import IngestResult, Outcome

#: Called with (channel id, external id of a message we sent, status, detail)
#: for delivery receipts (WhatsApp "delivered" / "read" / "failed"); the
#: outbox registers here, as mentions must not import the apps that send.
on_delivery_status: list[Callable[[int, str, str, str], None]] = []


@dataclass
class WebhookOutcome:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def _adapter(channel: Channel) -> object:
    try:
        return adapter_for(channel.network)
    except ChannelError:
        return None


def webhook_handshake(*, channel_slug: str, request: WebhookRequest) -> tuple[int, str, str]:
    """Answer a network's GET check of the webhook URL: (status, content type, body)."""
    channel = Channel.objects.filter(slug=channel_slug, enabled=True).first()
    adapter = _adapter(channel) if channel else None
    if channel is None or not isinstance(adapter, WebhookHandshake):
        return 404, "text/plain", "no such channel, or its network does not check webhook URLs"
    answer = adapter.handshake(request, credentials=channel.credentials)
    if answer.status >= 400:
        channel_mark_error(channel_id=channel.pk, error=f"webhook check refused: {answer.body}")
    return answer.status, answer.content_type, answer.body


def webhook_receive(*, channel_slug: str, request: WebhookRequest) -> WebhookOutcome:
    channel = Channel.objects.filter(slug=channel_slug, enabled=True).first()
    if channel is None:
        return WebhookOutcome(404, {"detail": "no such channel, or it is disabled"})
    adapter = _adapter(channel)
    if not isinstance(adapter, WebhookReceiver):
        return WebhookOutcome(404, {"detail": f"network {channel.network!r} does not receive webhooks"})
    try:
        result = adapter.receive(request, channel=channel.slug, credentials=channel.credentials)
    except WebhookRejected as exc:
        channel_mark_error(channel_id=channel.pk, error=f"webhook refused: {exc}")
        if exc.status == 400:  # unreadable, not forged: keep it for a replay after a fix
            _dead_letter(channel, request, str(exc))
        return WebhookOutcome(exc.status, {"detail": str(exc)})
    results: list[IngestResult] = message_ingest_batch(messages=result.messages)
    for external_id, status, detail in result.statuses:
        for hook in on_delivery_status:
            hook(channel.pk, external_id, status, detail)
    if result.rejected:
        _dead_letter(channel, request, "; ".join(f"item {i}: {reason}" for i, reason in result.rejected))
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


def _dead_letter(channel: Channel, request: WebhookRequest, error: str) -> None:
    DeadLetter.objects.create(
        channel=channel,
        source=DeadLetter.Source.WEBHOOK,
        payload={
            "headers": request.headers,
            "body": request.body.decode("utf-8", errors="replace"),
            "query": request.query,
        },
        error=error,
    )
