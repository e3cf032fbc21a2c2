"""Start a case's SLA clocks from the matching policy, counted in its channel's hours.

The due times are computed once, when the case opens, and stored on the case
(for lists and the API) and as one ``SlaClock`` per target (for the watcher
in ``escalation``). A channel whose hours cannot be read falls back to the
wall clock rather than to no SLA at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from lara.channels.models import Channel

from .business_hours import Calendar, NeverOpen
from .models import Case, SlaClock, SlaPolicy, SlaTarget

log = logging.getLogger(__name__)

#: Wall-clock first-response and resolution hours when no policy matches.
SLA_HOURS = {"P1": (1, 8), "P2": (4, 24), "P3": (8, 72), "P4": (24, 120)}


@dataclass(frozen=True)
class SlaPlan:
    """The due and warning moments of both targets, and the policy they came from."""

    policy: SlaPolicy | None
    first_response_due_at: datetime
    first_response_warn_at: datetime
    resolution_due_at: datetime
    resolution_warn_at: datetime


def calendar_for(channel: Channel) -> Calendar:
    """Read the channel's business hours; unusable hours count as always open."""
    try:
        return Calendar.from_json(channel.business_hours)
    except ValueError as exc:
        log.warning("channel %s: business hours unusable (%s); counting wall-clock time", channel.slug, exc)
        return Calendar.always_open()


def sla_policy_for(*, priority: str, channel_id: int, team_id: int | None = None) -> SlaPolicy | None:
    """Pick the enabled policy naming this priority: the channel's own before the general one,
    then the case team's own before the one for every team."""
    candidates = (
        SlaPolicy.objects.filter(enabled=True)
        .filter(Q(channel_id=channel_id) | Q(channel__isnull=True))
        .filter(Q(team_id=team_id) | Q(team__isnull=True) if team_id else Q(team__isnull=True))
    )
    matching = [p for p in candidates if priority in (p.priorities or [])]
    matching.sort(key=lambda p: (p.channel_id is None, p.team_id is None, p.pk))
    return matching[0] if matching else None


def sla_plan(*, priority: str, channel: Channel, start: datetime, team_id: int | None = None) -> SlaPlan:
    """Compute both targets from ``start``; with no policy, the wall-clock SLA_HOURS.

    A policy with ``business_hours_only`` off counts calendar time, 24/7.
    """
    policy = sla_policy_for(priority=priority, channel_id=channel.pk, team_id=team_id)
    if policy is None:
        first_h, resolve_h = SLA_HOURS.get(priority, SLA_HOURS["P3"])
        first_due, resolve_due = start + timedelta(hours=first_h), start + timedelta(hours=resolve_h)
        return SlaPlan(None, first_due, first_due, resolve_due, resolve_due)
    calendar = calendar_for(channel) if policy.business_hours_only else Calendar.always_open()
    warn = timedelta(minutes=policy.warn_before_minutes)
    first = timedelta(minutes=policy.first_response_minutes)
    resolve = timedelta(minutes=policy.resolution_minutes)
    try:
        return SlaPlan(
            policy,
            calendar.add_business_time(start, first),
            calendar.add_business_time(start, max(first - warn, timedelta(0))),
            calendar.add_business_time(start, resolve),
            calendar.add_business_time(start, max(resolve - warn, timedelta(0))),
        )
    except NeverOpen:
        log.warning("channel %s never opens; counting its SLA in wall-clock time", channel.slug)
        return SlaPlan(policy, start + first, start + first - warn, start + resolve, start + resolve - warn)


def sla_clocks_start(*, case: Case, start: datetime) -> SlaPlan:
    """Set the case's due times and write its two clocks (call inside case creation)."""
    plan = sla_plan(priority=case.priority, channel=case.channel, start=start, team_id=case.team_id)
    case.first_response_due_at = plan.first_response_due_at
    case.resolution_due_at = plan.resolution_due_at
    case.save(update_fields=["first_response_due_at", "resolution_due_at"])
    SlaClock.objects.bulk_create(
        [
            SlaClock(
                case=case,
                target=SlaTarget.FIRST_RESPONSE,
                policy=plan.policy,
                due_at=plan.first_response_due_at,
                warn_at=plan.first_response_warn_at,
            ),
            SlaClock(
                case=case,
                target=SlaTarget.RESOLUTION,
                policy=plan.policy,
                due_at=plan.resolution_due_at,
                warn_at=plan.resolution_warn_at,
            ),
        ]
    )
    return plan
