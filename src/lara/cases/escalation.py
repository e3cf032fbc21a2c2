"""Watch the SLA clocks: warn before a breach, escalate when one happens, each once.

Runs every minute as a periodic job. Each step first claims its clock with a
conditional update (``warned_at`` / ``breached_at`` still empty), so two
watchers racing, or a retried job, never warn or escalate twice. A target is
met once a person answered (first response) or the case was resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from lara.core.models import Membership, Role
from lara.core.services import notification_create

from .models import OPEN_STATUSES, Case, EventKind, SlaClock, SlaTarget
from .services import PRIORITY_UP, case_event_add, case_set_priority

BATCH = 500

LABELS = {SlaTarget.FIRST_RESPONSE: "first response", SlaTarget.RESOLUTION: "resolution"}


@dataclass(frozen=True)
class SlaCheck:
    warned: int
    breached: int


def _unmet(qs: QuerySet[SlaClock]) -> QuerySet[SlaClock]:
    return qs.filter(case__status__in=OPEN_STATUSES).filter(
        Q(target=SlaTarget.FIRST_RESPONSE, case__first_response_at__isnull=True)
        | Q(target=SlaTarget.RESOLUTION, case__resolved_at__isnull=True)
    )


def case_url(case: Case) -> str:
    return f"/cases/{case.reference}/"


def team_leads(case: Case) -> list[Any]:
    """The case team's leads; with no team (or no lead there), every lead and admin."""
    roles = (Role.LEAD, Role.ADMIN)
    memberships = Membership.objects.filter(role__in=roles, user__is_active=True).select_related("user")
    own = [m.user for m in memberships.filter(team_id=case.team_id)] if case.team_id else []
    users = own or [m.user for m in memberships]
    return list({u.pk: u for u in users}.values())


def sla_clock_warn(*, clock: SlaClock, now: datetime) -> bool:
    """Warn the assignee (or the leads) that a target is near; False if already done."""
    with transaction.atomic():
        if not SlaClock.objects.filter(pk=clock.pk, warned_at__isnull=True).update(warned_at=now):
            return False
        case = clock.case
        label = LABELS[SlaTarget(clock.target)]
        case_event_add(
            case=case,
            kind=EventKind.SLA_WARNING,
            data={"target": clock.target, "due_at": clock.due_at.isoformat()},
            reason=f"{label} due at {clock.due_at:%Y-%m-%d %H:%M} UTC",
        )
        for user in [case.assignee] if case.assignee else team_leads(case):
            notification_create(
                user=user,
                text=f"{case.reference}: {label} due at {clock.due_at:%Y-%m-%d %H:%M} UTC",
                url=case_url(case),
            )
    return True


def sla_clock_breach(*, clock: SlaClock, now: datetime) -> bool:
    """Record the breach, raise the priority one step and tell the team's leads."""
    with transaction.atomic():
        if not SlaClock.objects.filter(pk=clock.pk, breached_at__isnull=True).update(breached_at=now):
            return False
        case = Case.objects.select_for_update().get(pk=clock.case_id)
        label = LABELS[SlaTarget(clock.target)]
        case_event_add(
            case=case,
            kind=EventKind.SLA_BREACHED,
            data={"target": clock.target, "due_at": clock.due_at.isoformat()},
            reason=f"{label} was due at {clock.due_at:%Y-%m-%d %H:%M} UTC",
        )
        case_set_priority(
            case=case, priority=PRIORITY_UP.get(case.priority, case.priority), reason=f"{label} SLA breached"
        )
        for user in team_leads(case):
            notification_create(
                user=user,
                text=f"{case.reference}: {label} SLA breached ({case.priority})",
                url=case_url(case),
            )
    return True


def sla_check(*, now: datetime) -> SlaCheck:
    """Warn on every unmet clock past its warning time, escalate every one past due."""
    clocks = SlaClock.objects.select_related("case__assignee", "case__team")
    breached = 0
    for clock in _unmet(clocks.filter(breached_at__isnull=True, due_at__lte=now))[:BATCH]:
        breached += sla_clock_breach(clock=clock, now=now)
    warned = 0
    due_soon = clocks.filter(
        warned_at__isnull=True, breached_at__isnull=True, warn_at__lte=now, due_at__gt=now
    )
    for clock in _unmet(due_soon)[:BATCH]:
        warned += sla_clock_warn(clock=clock, now=now)
    return SlaCheck(warned=warned, breached=breached)
