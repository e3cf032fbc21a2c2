"""Poll the channels whose networks are fetched on a schedule (feeds, search APIs).

Each poll is a durable job; its result is ingested as one batch, each
message exactly once (so a feed that repeats old entries adds nothing), and the cursor the adapter
returns is kept only after the messages are stored, so a crash mid-way
re-reads rather than skips.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from lara.channels.base import ChannelError, Poller
from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.channels.services import channel_mark_error, channel_mark_success
from lara.core.jobs import job_enqueue
from lara.core.models import Job, JobStatus

from .batch import message_ingest_batch
from .models import DeadLetter, MonitoringQuery
from .services import IngestResult

log = logging.getLogger(__name__)

POLL_TASK = "lara.mentions.polling.channel_poll"


def _poller(network: str) -> Poller | None:
    try:
        adapter: object = adapter_for(network)
    except ChannelError:
        return None
    return adapter if isinstance(adapter, Poller) else None


def channels_poll_due() -> int:
    """Enqueue a poll for every enabled polling channel whose interval has passed."""
    now = timezone.now()
    queued = 0
    for channel in Channel.objects.filter(enabled=True, poll_interval_seconds__gt=0):
        if _poller(channel.network) is None:
            continue
        due = channel.last_polled_at is None or channel.last_polled_at <= now - timedelta(
            seconds=channel.poll_interval_seconds
        )
        if channel.next_poll_at and channel.next_poll_at > now:  # the network asked us to wait
            due = False
        waiting = Job.objects.filter(
            task=POLL_TASK, args=[channel.pk], status__in=(JobStatus.QUEUED, JobStatus.RUNNING)
        ).exists()
        if due and not waiting:
            with transaction.atomic():
                job_enqueue(task=POLL_TASK, args=[channel.pk])
            queued += 1
    return queued


def channel_poll(channel_id: int) -> list[IngestResult]:
    """Fetch one channel once; record success or the exact error on the channel."""
    channel = Channel.objects.get(pk=channel_id)
    poller = _poller(channel.network)
    if poller is None or not channel.enabled:
        return []
    Channel.objects.filter(pk=channel.pk).update(last_polled_at=timezone.now(), next_poll_at=None)
    try:
        result = poller.poll(
            channel=channel.slug,
            config=channel_poll_config(channel),
            credentials=channel.credentials,
            state=channel.poll_state,
        )
    except ChannelError as exc:
        channel_mark_error(channel_id=channel.pk, error=str(exc), auth=exc.auth)
        if exc.retry_after:
            wait = timezone.now() + timedelta(seconds=exc.retry_after)
            Channel.objects.filter(pk=channel.pk).update(next_poll_at=wait)
        log.warning("poll of channel %s failed: %s", channel.slug, exc)
        return []
    results = message_ingest_batch(messages=result.messages)
    for item, reason in result.rejected:
        # A feed keeps returning a broken entry on every poll: keep it once.
        DeadLetter.objects.get_or_create(
            channel=channel,
            source=DeadLetter.Source.POLL,
            payload=item,
            replayed_at__isnull=True,
            defaults={"error": reason},
        )
    Channel.objects.filter(pk=channel.pk).update(poll_state=result.state)
    channel_mark_success(channel_id=channel.pk)
    return results


def channel_poll_config(channel: Channel) -> dict[str, object]:
    """The channel's settings plus the monitoring queries to run on it.

    Each query is ``{"id", "name", "query", "languages"}``; a search-capable
    poller runs each and keeps one cursor per query id in its state.
    """
    queries = [
        {"id": q.pk, "name": q.name, "query": q.query, "languages": list(q.languages)}
        for q in MonitoringQuery.objects.filter(enabled=True, channels=channel).order_by("pk")
    ]
    return {**channel.config, "queries": queries}
