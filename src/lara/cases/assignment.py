"""Choose who takes a new case: sticky, skilled, present, under capacity, least loaded.

The order of preference is the customer's previous agent (continuity beats
balance when that agent can take it), then whoever in the team has the
fewest open cases, the language match preferred and ties broken by who was
assigned longest ago (round robin). A named skill is required, a language
only preferred, so a case never waits because nobody reads Hebrew today.
When nobody can take it the reason is returned, so the case can say why it
sits unassigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from lara.core.models import AgentProfile, Membership, Team
from lara.customers.models import Customer

from .models import OPEN_STATUSES, Case

DEFAULT_CAPACITY = 20


@dataclass(frozen=True)
class Pick:
    """The chosen agent (or None) and the words that explain the choice."""

    user: Any | None
    reason: str


def _previous_agent_id(customer: Customer | None) -> int | None:
    """Who had the customer's latest assigned case (a new case is not assigned yet)."""
    if customer is None:
        return None
    return (
        Case.objects.filter(customer=customer, assignee__isnull=False)
        .order_by("-created_at", "-pk")
        .values_list("assignee_id", flat=True)
        .first()
    )


def assignee_pick(
    *,
    team: Team,
    language: str = "",
    customer: Customer | None = None,
    skill: str | None = None,
) -> Pick:
    members = list(
        Membership.objects.filter(team=team, user__is_active=True)
        .select_related("user")
        .annotate(open_cases=Count("user__cases", filter=Q(user__cases__status__in=OPEN_STATUSES)))
        .order_by(F("last_assigned_at").asc(nulls_first=True), "pk")
    )
    if not members:
        return Pick(None, f"nobody is in {team.name}")
    profiles = {p.user_id: p for p in AgentProfile.objects.filter(user_id__in=[m.user_id for m in members])}

    def capacity(m: Membership) -> int:
        profile = profiles.get(m.user_id)
        return profile.capacity if profile else DEFAULT_CAPACITY

    present = [m for m in members if not (m.user_id in profiles and profiles[m.user_id].is_away)]
    if not present:
        return Pick(None, f"everyone in {team.name} is away")
    if skill:
        present = [m for m in present if m.user_id in profiles and skill in profiles[m.user_id].skills]
        if not present:
            return Pick(None, f"nobody present in {team.name} has the skill {skill!r}")
    available = [m for m in present if m.open_cases < capacity(m)]
    if not available:
        return Pick(None, f"everyone present in {team.name} is at capacity")

    previous = _previous_agent_id(customer)
    sticky = [m for m in available if m.user_id == previous]
    if sticky:
        return _chosen(sticky[0], "sticky: the customer's previous agent")
    speakers = [
        m for m in available if language and language in profiles.get(m.user_id, _NO_PROFILE).languages
    ]
    pool = speakers or available
    # sorted() is stable, so equal loads keep the round-robin order of the query.
    chosen = sorted(pool, key=lambda m: m.open_cases)[0]
    how = "least loaded" + (f", reads {language}" if speakers else "") + (f", skill {skill}" if skill else "")
    return _chosen(chosen, how)


class _NoProfile:
    languages: list[str] = []


_NO_PROFILE: Any = _NoProfile()


def _chosen(membership: Membership, reason: str) -> Pick:
    Membership.objects.filter(pk=membership.pk).update(last_assigned_at=timezone.now())
    return Pick(membership.user, reason)
