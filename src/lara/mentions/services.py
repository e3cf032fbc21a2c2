"""Store inbound messages exactly once and hand them to the pipeline."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from lara.channels.base import InboundMessage
from lara.channels.models import Channel
from lara.channels.schemas import inbound_parse
from lara.core.bell import bell_ring_on_commit

from .models import Attachment, Message, MonitoringQuery
from .queries import query_matches

#: Larger attachments are kept as a name and size only, with a note in ``raw``.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


class Outcome(enum.StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    message_id: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.outcome.value}
        if self.message_id is not None:
            data["id"] = self.message_id
        if self.reason:
            data["reason"] = self.reason
        return data


#: Called inside the storing transaction with the new message id; the pipeline
#: registers here (mentions must not import the apps that act on messages).
on_message_stored: list[Callable[[int], None]] = []


def _conversation_key(msg: InboundMessage, channel: Channel) -> str:
    """Group a message with its conversation: thread, parent's thread, DM partner, itself."""
    if msg.thread_key:
        return msg.thread_key
    if msg.in_reply_to:
        parent = (
            Message.objects.filter(channel=channel, external_id=msg.in_reply_to)
            .values_list("conversation_key", flat=True)
            .first()
        )
        return parent or msg.in_reply_to
    if msg.kind in ("direct", "chat"):
        return f"dm:{msg.author.external_id}"
    return msg.external_id


def message_ingest(*, message: InboundMessage) -> IngestResult:
    """Store one message once per (channel, external id); a repeat is a no-op that says so."""
    channel = Channel.objects.filter(slug=message.channel).first()
    if channel is None:
        return IngestResult(Outcome.REJECTED, reason=f"unknown channel {message.channel!r}")
    if not channel.enabled:
        return IngestResult(Outcome.REJECTED, reason=f"channel {message.channel!r} is disabled")
    existing = Message.objects.filter(channel=channel, external_id=message.external_id)
    if (found := existing.values_list("pk", flat=True).first()) is not None:
        return IngestResult(Outcome.DUPLICATE, message_id=found)
    author = message.author
    try:
        with transaction.atomic():
            stored = Message.objects.create(
                channel=channel,
                external_id=message.external_id,
                kind=message.kind,
                public=message.public,
                subject=message.subject[:500],
                text=message.text,
                url=message.url,
                thread_key=message.thread_key or "",
                in_reply_to=message.in_reply_to or "",
                conversation_key=_conversation_key(message, channel),
                author_external_id=author.external_id,
                author_handle=author.handle,
                author_name=author.name,
                author_followers=author.followers,
                author_verified=author.verified,
                author_email=author.email or "",
                author_phone=author.phone or "",
                created_at=message.created_at,
                raw=message.raw,
            )
            _keep_attachments(stored, message)
            stored.queries.set(_queries_for(message, channel))
            for hook in on_message_stored:
                hook(stored.pk)
            bell_ring_on_commit()
    except IntegrityError:
        # A concurrent delivery of the same message won the race.
        found = existing.values_list("pk", flat=True).first()
        return IngestResult(Outcome.DUPLICATE, message_id=found)
    return IngestResult(Outcome.CREATED, message_id=stored.pk)


def _keep_attachments(stored: Message, message: InboundMessage) -> None:
    for item in message.attachments:
        kept = item.data if len(item.data) <= ATTACHMENT_MAX_BYTES else b""
        Attachment.objects.create(
            message=stored,
            filename=item.filename[:255],
            content_type=item.content_type[:120],
            size=len(item.data),
            data=kept,
        )


def _queries_for(message: InboundMessage, channel: Channel) -> list[int]:
    """The queries whose search found the message, plus every enabled query its text matches."""
    found = set(message.query_ids)
    haystack = f"{message.subject}\n{message.text}"
    for pk, query in MonitoringQuery.objects.filter(enabled=True).values_list("pk", "query"):
        if pk not in found:
            try:
                if query_matches(query, haystack):
                    found.add(pk)
            except ValueError:  # a malformed query is refused when saved; never block ingest
                continue
    return sorted(MonitoringQuery.objects.filter(pk__in=found).values_list("pk", flat=True))


def message_ingest_json(*, data: Any, default_channel: str | None = None) -> IngestResult:
    """Validate one JSON value and ingest it; invalid input is rejected with its reason."""
    if default_channel and isinstance(data, dict):
        data = {"channel": default_channel, **data}
    try:
        parsed = inbound_parse(data)
    except ValueError as exc:
        return IngestResult(Outcome.REJECTED, reason=str(exc))
    return message_ingest(message=parsed)


def message_ingest_many(*, items: Iterable[Any]) -> list[IngestResult]:
    return [message_ingest_json(data=item) for item in items]
