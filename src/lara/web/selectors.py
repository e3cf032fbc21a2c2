"""Read what the agent screens need beyond the cases app: saved views, SLA filters, the 360° view.

Everything builds on ``case_visible_to`` so a view, a count or a timeline
never shows more than the case page would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lara.cases.models import OPEN_STATUSES, Case, CaseMessage, Task, TaskStatus
from lara.cases.selectors import CaseScope, case_list_for_user, case_scope, case_visible_to
from lara.core.selectors import user_sees_all_teams
from lara.customers.models import Customer

#: "Due soon" means an unmet SLA clock runs out within this time.
SLA_DUE_SOON = timedelta(hours=1)
SLA_VALUES = ("breached", "due_soon")


def _open() -> Q:
    return Q(status__in=OPEN_STATUSES)


def _awake(now: datetime | None) -> Q:
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now or timezone.now())


def sla_q(value: str, *, now: datetime | None = None) -> Q:
    """Open cases whose first-response or resolution clock has run out (or will soon), unmet."""
    now = now or timezone.now()
    first_unmet = Q(first_response_due_at__isnull=False, first_response_at__isnull=True)
    resolution_unmet = Q(resolution_due_at__isnull=False, resolved_at__isnull=True)
    breached = (first_unmet & Q(first_response_due_at__lt=now)) | (
        resolution_unmet & Q(resolution_due_at__lt=now)
    )
    if value == "breached":
        return _open() & breached
    soon = now + SLA_DUE_SOON
    due_soon = (first_unmet & Q(first_response_due_at__gte=now, first_response_due_at__lt=soon)) | (
        resolution_unmet & Q(resolution_due_at__gte=now, resolution_due_at__lt=soon)
    )
    return _open() & due_soon & ~breached


def _with_tags_text(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Expose the tags as JSON text: a portable "has tag" test on SQLite and PostgreSQL."""
    return qs.annotate(tags_text=Cast("tags", TextField()))


def tag_q(tag: str) -> Q:
    return Q(tags_text__contains=f'"{tag}"')


@dataclass(frozen=True)
class SavedView:
    slug: str
    label: Any
    q: Q
    #: Holds only cases assigned to the user ("My open"); every other view
    #: must not depend on who asks, so its count can be shared (see below).
    personal: bool = False


def saved_views(user: Any, *, now: datetime | None = None) -> list[SavedView]:
    """The inbox's saved views, each a filter on the cases the user may see."""
    return [
        # A snoozed case leaves "My open" until it wakes (its SLA clocks still run).
        SavedView("mine", _("My open"), _open() & Q(assignee=user) & _awake(now), personal=True),
        SavedView("unassigned", _("Unassigned"), _open() & Q(assignee__isnull=True)),
        SavedView("breaching", _("Breaching SLA"), sla_q("breached", now=now)),
        SavedView("sales-leads", _("Sales leads"), _open() & Q(team__slug="sales")),
        SavedView("pr-watch", _("PR watch"), _open() & (Q(team__slug="pr") | tag_q("pr-watch"))),
    ]


#: How long saved-view counts are reused. Counting the views scans every
#: visible open case; with 100,000 cases and many agents reloading, a few
#: seconds of staleness on the badges is the price of a fast inbox.
SAVED_VIEW_COUNTS_SECONDS = 10


def _count_views(qs: QuerySet[Case], views: list[tuple[SavedView, Q]]) -> dict[str, int]:
    """One aggregate query: each view's count on the open cases of ``qs`` that also match its Q."""
    if not views:
        return {}
    # Every view is a subset of the open cases: saying so lets the planner read
    # only those (the team/assignee + status indexes), half the rows.
    qs = _with_tags_text(qs.filter(_open()).order_by())
    counts = qs.aggregate(**{v.slug.replace("-", "_"): Count("pk", filter=q) for v, q in views})
    return {v.slug: counts[v.slug.replace("-", "_")] or 0 for v, _q in views}


def _own_counts(user: Any, scope: CaseScope, views: list[SavedView]) -> dict[str, Any]:
    """The user's part: personal views, and shared views on their cases outside their teams."""
    counted = [(v, v.q) for v in views if v.personal]
    if scope.own is not None:
        counted += [(v, v.q & scope.own) for v in views if not v.personal]
    return {"scope": scope.key, "counts": _count_views(Case.objects.filter(assignee_id=user.pk), counted)}


def saved_view_counts(
    user: Any, *, now: datetime | None = None, fresh: bool = False
) -> list[tuple[SavedView, int]]:
    """Count every saved view in two aggregate queries, each reused for a few seconds.

    What a user sees is their teams' cases plus the cases assigned to them
    (``case_scope``). The shared views are counted on the teams' part once for
    everyone who sees the same teams, so a team's agents reloading the inbox
    share one count; a small query per user adds their own part: "My open"
    and the shared views' cases assigned to them outside their teams. The
    user's entry remembers which teams' counts to add, so reloading the inbox
    while both are fresh asks the database nothing.
    """
    views = saved_views(user, now=now)
    if not user.is_authenticated:
        return [(v, 0) for v in views]
    reuse = not fresh and now is None
    user_key = f"lara:saved-view-counts:user:{user.pk}"
    scope: CaseScope | None = None
    own = cache.get(user_key) if reuse else None
    own_fresh = own is None
    if own is None:
        scope = case_scope(user)
        own = _own_counts(user, scope, views)
    counts = cache.get(f"lara:saved-view-counts:{own['scope']}") if reuse else None
    if counts is None:
        if scope is None:
            scope = case_scope(user)
            if scope.key != own["scope"]:  # the user's teams changed: their part changed too
                own, own_fresh = _own_counts(user, scope, views), True
        teams = Case.objects.all() if scope.teams is None else Case.objects.filter(scope.teams)
        counts = _count_views(teams, [(v, v.q) for v in views if not v.personal])
        if reuse:
            cache.set(f"lara:saved-view-counts:{scope.key}", counts, SAVED_VIEW_COUNTS_SECONDS)
    if reuse and own_fresh:
        cache.set(user_key, own, SAVED_VIEW_COUNTS_SECONDS)
    return [(v, counts.get(v.slug, 0) + own["counts"].get(v.slug, 0)) for v in views]


def inbox_cases(
    *,
    user: Any,
    view: str | None = None,
    sla: str | None = None,
    tag: str | None = None,
    sentiment: str | None = None,
    type: str | None = None,
    query: str | None = None,
    now: datetime | None = None,
    ordered_scan: bool = False,
    **filters: Any,
) -> QuerySet[Case]:
    """``case_list_for_user`` plus the web-only filters.

    A saved view, an SLA state, a tag, the latest customer message's sentiment
    and type (kept on the case, indexed), and a monitoring query that matched
    one of the case's messages.
    """
    qs = case_list_for_user(user=user, ordered_scan=ordered_scan, **filters)
    extra = Q()
    if sentiment:
        extra &= Q(sentiment__in=sentiment.split(","))
    if type:
        extra &= Q(message_type__in=type.split(","))
    if query and query.isdigit():
        matched = CaseMessage.objects.filter(message__queries=int(query)).values("case_id")
        extra &= Q(pk__in=matched)
    if view:
        chosen = {v.slug: v for v in saved_views(user, now=now)}.get(view)
        if chosen is not None:
            extra &= chosen.q
    if sla in SLA_VALUES:
        extra &= sla_q(sla, now=now)
    if tag:
        extra &= tag_q(tag)
    if view or tag:
        qs = _with_tags_text(qs)
    return qs.filter(extra)


def customer_visible(*, user: Any, customer: Customer) -> bool:
    """Leads and admins see every customer; an agent one with at least one case they may see."""
    if not user.is_authenticated:
        return False
    return user_sees_all_teams(user) or case_visible_to(user).filter(customer=customer).exists()


def customer_open_cases(*, user: Any, customer: Customer) -> QuerySet[Case]:
    return case_visible_to(user).filter(customer=customer, status__in=OPEN_STATUSES).order_by("-updated_at")


def customer_open_tasks(*, user: Any, customer: Customer) -> QuerySet[Task]:
    """Open tasks on the customer or on their cases the user may see."""
    visible = case_visible_to(user).filter(customer=customer).values("pk")
    return (
        Task.objects.filter(status=TaskStatus.OPEN)
        .filter(Q(customer=customer, case__isnull=True) | Q(case__in=visible))
        .select_related("assignee", "case")
        .order_by("due_at", "pk")
    )


class CountingPaginator(Paginator):
    """Count on one queryset and fetch the page from another (see ``case_visible_to(ordered_scan=)``)."""

    def __init__(self, rows: QuerySet[Any], per_page: int, *, counted: QuerySet[Any]) -> None:
        super().__init__(rows, per_page)
        self.counted = counted

    @cached_property
    def count(self) -> int:
        return self.counted.count()
