"""Read cases, always through what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from lara.core.selectors import user_sees_all_teams, user_team_ids

from .models import Case, Task, TaskStatus


def case_visible_to(user: Any, *, ordered_scan: bool = False) -> QuerySet[Case]:
    """Agents see their teams' cases and their own; leads and admins see all.

    ``ordered_scan`` is for fetching one page of a list ordered by
    ``updated_at``: it writes the agent's team/assignee test so no index can
    serve it (``team_id + 0``). Otherwise the planner collects every open case
    of the team through the team index and sorts them all (64 ms with 100,000
    cases) instead of walking the ``updated_at`` index until the page is full
    (0.2 ms). Counts must not use it: they are fastest on the team index.

    SQLite only: PostgreSQL weighs the LIMIT against the team filter's real
    selectivity and walks the index by itself; hiding the filter from it (no
    statistics for ``team_id + 0``) makes it guess too few matches and sort a
    sequential scan instead (27 ms instead of 2 ms for the P1 cases of a team).
    """
    qs = Case.objects.select_related("team", "assignee", "channel", "customer")
    if not user.is_authenticated:
        return qs.none()
    if user_sees_all_teams(user):
        return qs
    if ordered_scan and connections[qs.db].vendor == "sqlite":
        return qs.alias(team_scan=F("team_id") + 0, assignee_scan=F("assignee_id") + 0).filter(
            Q(team_scan__in=user_team_ids(user)) | Q(assignee_scan=user.pk)
        )
    return qs.filter(Q(team_id__in=user_team_ids(user)) | Q(assignee=user))


@dataclass(frozen=True)
class CaseScope:
    """What ``case_visible_to`` lets a user see, in two parts.

    ``teams`` is the part everyone with the same ``key`` sees (every case for
    leads and admins, else the cases of the user's teams): what is counted on
    it can be shared between them. ``own`` adds the cases assigned to the user
    outside those teams (None when there can be none).
    """

    key: str
    teams: Q | None  # None: every case
    own: Q | None


def case_scope(user: Any) -> CaseScope:
    """Split ``case_visible_to(user)`` (same rule) into its shared and its personal part."""
    if not user.is_authenticated:
        return CaseScope(key="nobody", teams=Q(pk__in=[]), own=None)
    if user_sees_all_teams(user):
        return CaseScope(key="all", teams=None, own=None)
    team_ids = sorted(user_team_ids(user))
    if not team_ids:
        return CaseScope(key="teams:", teams=Q(pk__in=[]), own=Q(assignee=user))
    # ~Q(team_id__in=…) also holds for cases without a team.
    return CaseScope(
        key="teams:" + ",".join(map(str, team_ids)),
        teams=Q(team_id__in=team_ids),
        own=Q(assignee=user) & ~Q(team_id__in=team_ids),
    )


def case_list_for_user(
    *,
    user: Any,
    ordered_scan: bool = False,
    reference: str | None = None,
    status: str | None = None,
    priority: str | None = None,
    team: str | None = None,
    assignee: str | None = None,
    channel: str | None = None,
    language: str | None = None,
    customer: int | None = None,
) -> QuerySet[Case]:
    qs = case_visible_to(user, ordered_scan=ordered_scan)
    if reference:
        qs = qs.filter(reference=reference)
    if status:
        qs = qs.filter(status__in=status.split(","))
    if priority:
        qs = qs.filter(priority__in=priority.split(","))
    if team:
        qs = qs.filter(Q(team__slug=team) | Q(team__name=team))
    if assignee:
        qs = (
            qs.filter(assignee__isnull=True) if assignee == "none" else qs.filter(assignee__username=assignee)
        )
    if channel:
        qs = qs.filter(Q(channel__network=channel) | Q(channel__slug=channel))
    if language:
        qs = qs.filter(language=language)
    if customer:
        qs = qs.filter(customer_id=customer)
    return qs.order_by("-updated_at", "-pk")


def case_get_for_user(*, user: Any, reference: str) -> Case | None:
    return case_visible_to(user).filter(reference=reference).first()


def task_list_overdue(*, user: Any, now: datetime | None = None) -> QuerySet[Task]:
    """Open tasks past due: a lead or admin sees everyone's, an agent their own."""
    qs = Task.objects.filter(status=TaskStatus.OPEN, due_at__lt=now or timezone.now()).select_related(
        "assignee", "case", "customer"
    )
    if not user.is_authenticated:
        return qs.none()
    if not user_sees_all_teams(user):
        qs = qs.filter(assignee=user)
    return qs.order_by("due_at", "pk")
