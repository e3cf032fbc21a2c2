"""Snooze a case until a moment, and wake it when that comes or the customer writes.

A snoozed case is ``pending`` with ``snoozed_until`` set: the inbox keeps it
out of "My open" until it wakes. The SLA clocks keep running — a snooze is
the agent's choice, not the customer's, so it must not hide a breach. A new
customer message wakes it at once (``services.case_attach_message``); the
periodic ``wake_snoozed_task`` wakes the rest, each claimed by a conditional
update so two sweeps never wake one case twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import Case, CaseStatus, EventKind
from .services import case_event_add, case_set_status

BATCH = 500


def case_snooze(
    *, case: Case, until: datetime, actor: Any, reason: str = "", now: datetime | None = None
) -> Case:
    """Put the case aside until ``until`` (in the future, case still open)."""
    now = now or timezone.now()
    if until <= now:
        raise ValueError("snooze until a moment in the future")
    if not case.is_open:
        raise ValueError("only an open case can be snoozed")
    with transaction.atomic():
        case.snoozed_until = until
        case.save(update_fields=["snoozed_until", "updated_at"])
        case_event_add(
            case=case,
            kind=EventKind.SNOOZED,
            actor=actor,
            reason=reason or f"until {until:%Y-%m-%d %H:%M} UTC",
            data={"until": until.isoformat()},
        )
        case_set_status(case=case, status=CaseStatus.PENDING, actor=actor, reason="snoozed")
    return case


def case_wake(*, case: Case, reason: str, actor: Any = None) -> bool:
    """End the snooze: open again, with a "woke up" line; False if someone already woke it."""
    with transaction.atomic():
        if not Case.objects.filter(pk=case.pk, snoozed_until__isnull=False).update(snoozed_until=None):
            return False
        case.refresh_from_db()
        case_event_add(case=case, kind=EventKind.WOKE, actor=actor, reason=reason)
        if case.is_open:
            case_set_status(case=case, status=CaseStatus.OPEN, actor=actor, reason="woke up")
    return True


def cases_wake_due(*, now: datetime) -> int:
    """Wake every case whose snooze has ended; return how many."""
    due = Case.objects.filter(snoozed_until__lte=now).order_by("snoozed_until", "pk")[:BATCH]
    return sum(case_wake(case=case, reason="woke up: the snooze ended") for case in due)
