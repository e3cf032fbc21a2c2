"""Blank the networks' raw payloads once they are older than the retention period.

``Message.raw`` and ``DeadLetter.payload`` keep exactly what a network sent,
for replays and debugging; after ``LARA_RAW_RETENTION_DAYS`` (default 90;
0 keeps them forever) they are set to ``{}``. The parsed message, its
analysis and its case stay: only the copy of the network's payload goes,
which is usually the bulk of the storage and holds personal data nobody reads.
Batches walk the primary key, so each row is read once and no transaction
holds the database for long.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from .models import DeadLetter, Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionReport:
    messages: int = 0
    dead_letters: int = 0


def _blank(qs: models.QuerySet[Any], field: str, batch_size: int) -> int:
    blanked, last = 0, 0
    while True:
        ids = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return blanked
        blanked += qs.model.objects.filter(pk__in=ids).update(**{field: {}})
        last = ids[-1]


def raw_payloads_purge(
    *, days: int | None = None, now: datetime | None = None, batch_size: int = 1000
) -> RetentionReport:
    """Set to ``{}`` the raw payloads of messages received and dead letters kept before the cutoff."""
    days = settings.LARA_RAW_RETENTION_DAYS if days is None else days
    if days <= 0:
        return RetentionReport()
    cutoff = (now or timezone.now()) - timedelta(days=days)
    report = RetentionReport(
        messages=_blank(Message.objects.filter(received_at__lt=cutoff).exclude(raw={}), "raw", batch_size),
        dead_letters=_blank(
            DeadLetter.objects.filter(created_at__lt=cutoff).exclude(payload={}), "payload", batch_size
        ),
    )
    log.info(
        "raw payload retention (%s days): blanked %s messages and %s dead letters",
        days,
        report.messages,
        report.dead_letters,
    )
    return report


def raw_payloads_purge_task() -> None:
    """Periodic job entry point (registered in ``MentionsConfig.ready``)."""
    raw_payloads_purge()
