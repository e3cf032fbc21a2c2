"""Store inbound messages exactly once and hand them to the pipeline."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from lara.channels.base import InboundMessage
from lara.channels.models import Channel
from lara.channels.schemas import inbound_parse
from lara.core.bell import bell_ring_on_commit

from .models import Attachment, Message, MessageRevision, MonitoringQuery
from .queries import query_matches

#: Larger attachments are kept as a name and size only, with a note in ``raw``.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


class Outcome(enum.StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    UPDATED = "updated"  # an edit or a deletion applied to a stored message


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

#: Called inside the storing transaction with the ids of all messages stored
#: together (one id from ``message_ingest``, hundreds from a batch), so a hook
#: can write its work in one query: the pipeline enqueues its jobs here.
on_messages_stored: list[Callable[[Sequence[int]], None]] = []

#: Called inside the transaction that applied an edit, with the message id:
#: the case side re-analyses it and tells the case (if its case is open).
on_message_edited: list[Callable[[int], None]] = []


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
    if message.event != "message":
        changed = _change_apply(message, existing)
        if changed is not None:
            return changed
        # An edit of a message Lara never saw: store its current version as new.
    elif (found := existing.values_list("pk", flat=True).first()) is not None:
        return IngestResult(Outcome.DUPLICATE, message_id=found)
    try:
        with transaction.atomic():
            stored = Message(**_message_values(message, channel, _conversation_key(message, channel)))
            stored.save(force_insert=True)
            _keep_attachments(stored, message)
            stored.queries.set(_queries_for(message, channel))
            _stored_hooks([stored.pk])
    except IntegrityError:
        # A concurrent delivery of the same message won the race.
        found = existing.values_list("pk", flat=True).first()
        return IngestResult(Outcome.DUPLICATE, message_id=found)
    return IngestResult(Outcome.CREATED, message_id=stored.pk)


def _change_apply(message: InboundMessage, existing: Any) -> IngestResult | None:
    """Apply an edit or deletion to the stored message; None when an edit names no stored message.

    Idempotent: a repeated delivery of the same edit (same text and subject,
    or not newer than the last edit applied) or of a deletion changes nothing
    and is reported as a duplicate, so it adds no second revision.
    """
    if message.event not in ("edit", "delete"):
        return IngestResult(Outcome.REJECTED, reason=f"unknown event {message.event!r}")
    with transaction.atomic():
        stored = existing.select_for_update().first()
        if stored is None:
            if message.event == "edit":
                return None
            why = f"nothing to delete: message {message.external_id!r} was never stored"
            return IngestResult(Outcome.REJECTED, reason=why)
        if message.event == "delete":
            if stored.deleted_at is not None:
                return IngestResult(Outcome.DUPLICATE, message_id=stored.pk)
            stored.deleted_at = message.created_at
            fields = ["deleted_at"]
        else:
            subject = message.subject[:500]
            stale = stored.edited_at is not None and message.created_at <= stored.edited_at
            if stale or (stored.text, stored.subject) == (message.text, subject):
                return IngestResult(Outcome.DUPLICATE, message_id=stored.pk)
            fields = ["text", "subject", "edited_at"]
        MessageRevision.objects.create(
            message=stored,
            event=message.event,
            previous_text=stored.text,
            previous_subject=stored.subject,
            happened_at=message.created_at,
            raw=message.raw,
        )
        if message.event == "edit":
            stored.text, stored.subject, stored.edited_at = message.text, subject, message.created_at
        stored.save(update_fields=fields)
        if message.event == "edit":
            for hook in on_message_edited:
                hook(stored.pk)
        bell_ring_on_commit()
    return IngestResult(Outcome.UPDATED, message_id=stored.pk)


def _message_values(message: InboundMessage, channel: Channel, conversation_key: str) -> dict[str, Any]:
    """A new message's column values by attname (shared by the single and the batched path)."""
    author = message.author
    return {
        "channel_id": channel.pk,
        "external_id": message.external_id,
        "kind": message.kind,
        "public": message.public,
        "subject": message.subject[:500],
        "text": message.text,
        "url": message.url,
        "thread_key": message.thread_key or "",
        "in_reply_to": message.in_reply_to or "",
        "conversation_key": conversation_key,
        "author_external_id": author.external_id,
        "author_handle": author.handle,
        "author_name": author.name,
        "author_followers": author.followers,
        "author_verified": author.verified,
        "author_email": author.email or "",
        "author_phone": author.phone or "",
        "created_at": message.created_at,
        "raw": message.raw,
    }


def _stored_hooks(message_ids: list[int]) -> None:
    for hook in on_message_stored:
        for pk in message_ids:
            hook(pk)
    for many in on_messages_stored:
        many(message_ids)
    bell_ring_on_commit()


def _attachment_rows(message_id: int, message: InboundMessage) -> list[Attachment]:
    return [
        Attachment(
            message_id=message_id,
            filename=item.filename[:255],
            content_type=item.content_type[:120],
            size=len(item.data),
            data=item.data if len(item.data) <= ATTACHMENT_MAX_BYTES else b"",
        )
        for item in message.attachments
    ]


def _keep_attachments(stored: Message, message: InboundMessage) -> None:
    Attachment.objects.bulk_create(_attachment_rows(stored.pk, message))


def _queries_for(message: InboundMessage, channel: Channel) -> list[int]:
    """The queries whose search found the message, plus every enabled query its text matches.

    Queries with a language filter wait for the analysis, which detects the
    language (``queries_match_language``); queries with channels match only
    messages from those channels.
    """
    found = set(message.query_ids)
    found.update(_matching(f"{message.subject}\n{message.text}", channel.pk, language=None))
    return sorted(MonitoringQuery.objects.filter(pk__in=found).values_list("pk", flat=True))


def _matching(
    haystack: str, channel_id: int, *, language: str | None, queries: list[MonitoringQuery] | None = None
) -> set[int]:
    """Enabled queries matching the text; ``language`` None = the queries without a language filter."""
    found: set[int] = set()
    if queries is None:
        queries = list(MonitoringQuery.objects.filter(enabled=True).prefetch_related("channels"))
    for query in queries:
        wanted = query.languages or []
        if (language is None and wanted) or (language is not None and language not in wanted):
            continue
        channel_ids = {c.pk for c in query.channels.all()}
        if channel_ids and channel_id not in channel_ids:
            continue
        try:
            if query_matches(query.query, haystack):
                found.add(query.pk)
        except ValueError:  # a malformed query is refused when saved; never block ingest
            continue
    return found


def queries_match_language(*, message_id: int, language: str) -> list[int]:
    """Add the language-filtered queries a message matches, once analysis knows its language.

    Called by the analysis step (a higher layer); returns the ids added.
    Queries already attached (e.g. found by a network's search) stay.
    """
    return queries_match_languages(languages={message_id: language}).get(message_id, [])


def queries_match_languages(*, languages: dict[int, str]) -> dict[int, list[int]]:
    """``queries_match_language`` for many messages (id → language): the queries are read once.

    Most organisations have no language-filtered query; then this costs one
    query for the whole batch instead of reading every message again.
    """
    queries = [
        q for q in MonitoringQuery.objects.filter(enabled=True).prefetch_related("channels") if q.languages
    ]
    wanted = {pk: lang for pk, lang in languages.items() if lang}
    if not queries or not wanted:
        return {}
    added: dict[int, list[int]] = {}
    for message in Message.objects.filter(pk__in=wanted).prefetch_related("queries"):
        haystack = f"{message.subject}\n{message.text}"
        found = _matching(haystack, message.channel_id, language=wanted[message.pk], queries=queries)
        new = sorted(found - {q.pk for q in message.queries.all()})
        if new:
            message.queries.add(*new)
            added[message.pk] = new
    return added


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
