"""Store a delivery of many messages in one transaction, with the outcome of one-by-one ingest.

A webhook delivery, a poll or an API request can carry hundreds of
messages. ``message_ingest`` costs a transaction and several queries per
message (about 550 messages/s on SQLite); here a run of new messages costs
a handful of queries in all: one per channel for the external ids already
stored, one for the parents of replies, then bulk INSERTs for the messages,
their attachments, their monitoring-query links and their pipeline jobs.

The result per message is exactly what ``message_ingest`` one by one would
give: a repeat inside the batch is a duplicate of its first occurrence, a
reply finds its parent stored earlier in the same batch, edits and
deletions are applied in order between the runs of new messages. If a
concurrent delivery stores one of the messages first (the unique
constraint fires), the run is rolled back and redone one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction

from lara.channels.base import InboundMessage
from lara.channels.models import Channel
from lara.channels.schemas import inbound_parse
from lara.core.bulk import rows_insert

from .models import Attachment, Message, MonitoringQuery
from .queries import query_matches
from .services import (
    IngestResult,
    Outcome,
    _attachment_rows,
    _conversation_key,
    _message_values,
    _stored_hooks,
    message_ingest,
)

#: SQLite allows 32,766 variables per statement; stay far below on any database.
CHUNK = 500

Key = tuple[int, str]  # (channel id, external id)


def message_ingest_batch(*, messages: Sequence[InboundMessage]) -> list[IngestResult]:
    """Store many messages in one transaction per run of new ones; one result per message, in order."""
    results: list[IngestResult] = []
    run: list[InboundMessage] = []
    for message in messages:
        if message.event == "message":
            run.append(message)
            continue
        results += _ingest_run(run)
        run = []
        results.append(message_ingest(message=message))  # edits and deletions are rare: one by one
    return results + _ingest_run(run)


def message_ingest_many(*, items: Iterable[Any]) -> list[IngestResult]:
    """Validate JSON values and store the valid ones as one batch; one result per item, in order."""
    results: list[IngestResult | None] = []
    valid: list[InboundMessage] = []
    for item in items:
        try:
            valid.append(inbound_parse(item))
            results.append(None)
        except ValueError as exc:
            results.append(IngestResult(Outcome.REJECTED, reason=str(exc)))
    stored = iter(message_ingest_batch(messages=valid))
    return [r if r is not None else next(stored) for r in results]


def _ingest_run(messages: list[InboundMessage]) -> list[IngestResult]:
    if not messages:
        return []
    channels = {c.slug: c for c in Channel.objects.filter(slug__in={m.channel for m in messages})}
    refused: dict[int, IngestResult] = {}
    pending: list[tuple[int, InboundMessage, Channel]] = []
    for index, message in enumerate(messages):
        channel = channels.get(message.channel)
        if channel is None:
            refused[index] = IngestResult(Outcome.REJECTED, reason=f"unknown channel {message.channel!r}")
        elif not channel.enabled:
            refused[index] = IngestResult(Outcome.REJECTED, reason=f"channel {message.channel!r} is disabled")
        else:
            pending.append((index, message, channel))
    try:
        with transaction.atomic():
            stored = _store_new(pending)
    except IntegrityError:
        # Another delivery stored one of these meanwhile: redo the run one by
        # one, so each message's outcome (created or duplicate) is still exact.
        return [refused.get(i) or message_ingest(message=m) for i, m in enumerate(messages)]
    return [refused.get(i) or stored[i] for i in range(len(messages))]


def _lookup(keys: set[Key], field_name: str) -> dict[Key, Any]:
    """``(channel id, external id) → field`` for the stored messages among ``keys``, a query per chunk."""
    by_channel: dict[int, list[str]] = {}
    for channel_id, external_id in keys:
        by_channel.setdefault(channel_id, []).append(external_id)
    found: dict[Key, Any] = {}
    for channel_id, external_ids in by_channel.items():
        for start in range(0, len(external_ids), CHUNK):
            rows = Message.objects.filter(
                channel_id=channel_id, external_id__in=external_ids[start : start + CHUNK]
            ).values_list("external_id", field_name)
            found.update(((channel_id, external_id), value) for external_id, value in rows)
    return found


def _store_new(pending: list[tuple[int, InboundMessage, Channel]]) -> dict[int, IngestResult]:
    known: dict[Key, int] = _lookup({(c.pk, m.external_id) for _, m, c in pending}, "pk")
    parents: dict[Key, str] = _lookup(
        {(c.pk, m.in_reply_to) for _, m, c in pending if m.in_reply_to and not m.thread_key},
        "conversation_key",
    )
    out: dict[int, IngestResult] = {}
    rows: list[dict[str, Any]] = []
    sources: list[InboundMessage] = []
    row_index: list[int] = []
    first: dict[Key, int] = {}  # key → position in rows
    repeats: list[tuple[int, int]] = []
    for index, message, channel in pending:
        key = (channel.pk, message.external_id)
        if key in known:
            out[index] = IngestResult(Outcome.DUPLICATE, message_id=known[key])
        elif key in first:
            repeats.append((index, first[key]))
        else:
            conversation = _conversation(message, channel, parents, first, rows)
            first[key] = len(rows)
            rows.append(_message_values(message, channel, conversation))
            sources.append(message)
            row_index.append(index)
    if not rows:
        return out
    ids = rows_insert(Message, rows)
    Attachment.objects.bulk_create(
        [a for pk, message in zip(ids, sources, strict=True) for a in _attachment_rows(pk, message)],
        batch_size=CHUNK,
    )
    rows_insert(
        Message.queries.through,
        [
            {"message_id": pk, "monitoringquery_id": query_id}
            for pk, query_ids in zip(ids, _queries_for_many(sources, rows), strict=True)
            for query_id in query_ids
        ],
    )
    _stored_hooks(ids)
    for index, pk in zip(row_index, ids, strict=True):
        out[index] = IngestResult(Outcome.CREATED, message_id=pk)
    for index, position in repeats:
        out[index] = IngestResult(Outcome.DUPLICATE, message_id=ids[position])
    return out


def _conversation(
    message: InboundMessage,
    channel: Channel,
    parents: dict[Key, str],
    earlier: dict[Key, int],
    rows: list[dict[str, Any]],
) -> str:
    """``_conversation_key`` without a query: the parent is stored already or earlier in the batch."""
    if message.thread_key or not message.in_reply_to:
        return _conversation_key(message, channel)
    key = (channel.pk, message.in_reply_to)
    if key in parents:
        return parents[key] or message.in_reply_to
    if key in earlier:
        return str(rows[earlier[key]]["conversation_key"]) or message.in_reply_to
    return message.in_reply_to


def _queries_for_many(messages: list[InboundMessage], rows: list[dict[str, Any]]) -> list[list[int]]:
    """``services._queries_for`` for many messages, with two queries in all.

    The same rules: the queries a network's search named (if they exist),
    plus every enabled query without a language filter (those wait for the
    analysis) whose channels, if any, include the message's, and whose text
    matches.
    """
    enabled = [
        (q.pk, q.query, {c.pk for c in q.channels.all()})
        for q in MonitoringQuery.objects.filter(enabled=True).prefetch_related("channels")
        if not q.languages
    ]
    named = {pk for m in messages for pk in m.query_ids}
    exists = (
        set(MonitoringQuery.objects.filter(pk__in=named).values_list("pk", flat=True)) if named else set()
    )
    out = []
    for message, row in zip(messages, rows, strict=True):
        found = {pk for pk in message.query_ids if pk in exists}
        haystack = f"{message.subject}\n{message.text}"
        for pk, query, channel_ids in enabled:
            if pk in found or (channel_ids and row["channel_id"] not in channel_ids):
                continue
            try:
                if query_matches(query, haystack):
                    found.add(pk)
            except ValueError:  # a malformed query is refused when saved; never block ingest
                continue
        out.append(sorted(found))
    return out
