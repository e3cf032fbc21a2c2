"""Serve the agent UI: inbox, case page with the customer beside it, preferences."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from lara.cases.merge import suggestion_accept
from lara.cases.models import Case, CaseStatus, Priority, ReplyStatus
from lara.cases.selectors import case_get_for_user, case_list_for_user, case_visible_to
from lara.cases.services import case_assign, case_set_status, reply_create
from lara.cases.tags import TAG_RE, case_tags_change
from lara.channels.models import Channel
from lara.core.models import Team
from lara.core.selectors import user_role, user_sees_all_teams
from lara.customers.merging import MergeError, active_customer
from lara.customers.models import Customer
from lara.customers.segments import customer_segments
from lara.customers.suggestions import suggestion_list, suggestion_reject
from lara.mentions.models import Message, MonitoringQuery

from .case_actions import case_page_extras
from .customer_timeline import customer_timeline_context
from .engagement import customer_engagement_context
from .filters import LANGUAGES, MESSAGE_TYPES, SENTIMENTS
from .inbox_rows import ROW_FIELDS, inbox_rows
from .middleware import supported_languages
from .preferences import preferences_set, time_zone_choices
from .selectors import (
    SLA_VALUES,
    CountingPaginator,
    customer_open_cases,
    customer_open_tasks,
    customer_visible,
    inbox_cases,
    saved_view_counts,
)

User = get_user_model()


def _is_htmx(request: HttpRequest) -> bool:
    """Say whether htmx asked for a fragment (django-htmx sets ``request.htmx``)."""
    return bool(getattr(request, "htmx", False))


INBOX_FILTERS = (
    "status",
    "priority",
    "team",
    "assignee",
    "channel",
    "language",
    "sentiment",
    "type",
    "query",
    "sla",
    "tag",
    "view",
)


def _inbox_filters(request: HttpRequest) -> dict[str, Any]:
    filters = {k: request.GET.get(k) or None for k in INBOX_FILTERS}
    if filters["sla"] not in SLA_VALUES:
        filters["sla"] = None
    if filters["assignee"] == "me":
        filters["assignee"] = request.user.get_username()
    if not filters["status"]:
        filters["status"] = "new,open,pending"
    elif filters["status"] == "all":
        filters["status"] = None
    return filters


def _query_without_page(request: HttpRequest) -> str:
    """Keep the filters in pagination links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    filters = _inbox_filters(request)
    rows = inbox_cases(user=request.user, ordered_scan=True, **filters)
    counted = inbox_cases(user=request.user, **filters)
    page = CountingPaginator(rows.values(*ROW_FIELDS), 50, counted=counted).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "page": page,
        "rows": inbox_rows(page.object_list),
        "filters": {k: request.GET.get(k, "") for k in INBOX_FILTERS},
        "sla_values": SLA_CHOICES,
        "statuses": CaseStatus.choices,
        "priorities": Priority.choices,
        "teams": Team.objects.all(),
        "channels": Channel.objects.all(),
        "languages": LANGUAGES,
        "sentiments": SENTIMENTS,
        "message_types": MESSAGE_TYPES,
        "monitoring_queries": MonitoringQuery.objects.filter(enabled=True),
        "role": user_role(request.user),
        "query": _query_without_page(request),
    }
    if _is_htmx(request):
        return render(request, "lara/_inbox_rows.html", context)
    context["saved_views"] = saved_view_counts(request.user)
    context["bulk_statuses"] = BULK_STATUSES
    context["assignable_users"] = (
        User.objects.filter(memberships__isnull=False).distinct().order_by("username").only("username")
    )
    return render(request, "lara/inbox.html", context)


#: What the bulk form may set a case's status to.
BULK_STATUSES = (
    (CaseStatus.RESOLVED, CaseStatus.RESOLVED.label),
    (CaseStatus.CLOSED, CaseStatus.CLOSED.label),
)
SLA_CHOICES = (("breached", gettext_lazy("breached")), ("due_soon", gettext_lazy("due soon")))


def _bulk_apply(*, request: HttpRequest, case: Case, action: str, value: str) -> bool:
    """Apply one bulk change through the case services; False when it does not fit this case."""
    actor = request.user
    if action == "assign":
        if value == "none":
            if case.assignee_id is not None:
                case_assign(case=case, user=None, actor=actor, reason="bulk action in the inbox")
            return True
        member = (
            User.objects.filter(username=value, memberships__team_id=case.team_id).first()
            if case.team_id
            else None
        )
        if member is None:
            return False
        if case.assignee_id != member.pk:
            case_assign(case=case, user=member, actor=actor, reason="bulk action in the inbox")
        return True
    if action == "status":
        case_set_status(case=case, status=value, actor=actor, reason="bulk action in the inbox")
        return True
    if action == "tag":
        case_tags_change(case=case, add=[value], actor=actor, reason="bulk action in the inbox")
        return True
    return False


@login_required
@require_POST
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    """Assign, resolve / close or tag the checked cases; ids the user may not see are skipped and reported."""
    action = request.POST.get("action", "")
    value = (request.POST.get(action) or "").strip()
    valid = (
        (action == "assign" and bool(value))
        or (action == "status" and value in dict(BULK_STATUSES))
        or (action == "tag" and bool(TAG_RE.match(value.strip().lower())))
    )
    redirect_to = redirect(_safe_next(request, fallback=reverse("inbox")))
    if not valid:
        flash.error(request, _("Choose an action and a value for the checked cases."))
        return redirect_to
    wanted = {int(pk) for pk in request.POST.getlist("case") if pk.isdigit()}
    if not wanted:
        flash.error(request, _("Check at least one case."))
        return redirect_to
    cases = list(case_visible_to(request.user).filter(pk__in=wanted).order_by("pk"))
    done = sum(_bulk_apply(request=request, case=case, action=action, value=value) for case in cases)
    skipped = len(cases) - done
    hidden = len(wanted) - len(cases)
    flash.success(request, ngettext("%(n)d case changed.", "%(n)d cases changed.", done) % {"n": done})
    if skipped:
        flash.error(
            request,
            ngettext(
                "%(n)d case skipped: that user is not in its team.",
                "%(n)d cases skipped: that user is not in their team.",
                skipped,
            )
            % {"n": skipped},
        )
    if hidden:
        flash.error(
            request,
            ngettext(
                "%(n)d case ignored: it does not exist or is not in your teams.",
                "%(n)d cases ignored: they do not exist or are not in your teams.",
                hidden,
            )
            % {"n": hidden},
        )
    return redirect_to


def _customer_or_404(request: HttpRequest, customer_id: int) -> Customer:
    customer = Customer.objects.select_related("owner").filter(pk=customer_id).first()
    if customer is None or not customer_visible(user=request.user, customer=customer):
        raise Http404("No such customer in your teams")
    return customer


@login_required
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The 360° view: CRM fields, profiles, open cases and tasks, timeline, link suggestions."""
    customer = _customer_or_404(request, customer_id)
    if customer.merged_into_id is not None:
        return redirect("customer", customer_id=active_customer(customer).pk)
    suggestions = [
        (s, s.customer_b if s.customer_a_id == customer.pk else s.customer_a)
        for s in suggestion_list(customer_id=customer.pk)
    ]
    context = {
        "customer": customer,
        "profiles": customer.profiles.order_by("network", "handle"),
        "open_cases": customer_open_cases(user=request.user, customer=customer)[:50],
        "tasks": customer_open_tasks(user=request.user, customer=customer)[:50],
        **customer_timeline_context(user=request.user, customer=customer, params=request.GET),
        "suggestions": suggestions,
        "can_merge": user_sees_all_teams(request.user),
        "merges": customer.merges_in.filter(undone_at__isnull=True).select_related("merged").order_by("-pk"),
        "segments": customer_segments(customer),
        **customer_engagement_context(customer),
    }
    return render(request, "lara/customer.html", context)


@login_required
@require_POST
def customer_suggestion(
    request: HttpRequest, customer_id: int, suggestion_id: int, decision: str
) -> HttpResponse:
    """Accept (merge, leads and admins only) or reject a suggested identity link."""
    customer = _customer_or_404(request, customer_id)
    suggestion = suggestion_list(customer_id=customer.pk).filter(pk=suggestion_id).first()
    if suggestion is None:
        raise Http404("No such open suggestion for this customer")
    if decision == "accept":
        if not user_sees_all_teams(request.user):
            raise PermissionDenied("Only leads and admins may merge customers")
        try:
            accepted = suggestion_accept(suggestion_id=suggestion.pk, actor=request.user)
        except MergeError as exc:
            flash.error(request, str(exc))
            return redirect("customer", customer_id=customer.pk)
        flash.success(request, _("The two records were merged."))
        assert accepted.merge is not None
        return redirect("customer", customer_id=accepted.merge.target_id)
    try:
        suggestion_reject(suggestion=suggestion, actor=request.user)
    except MergeError as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, _("Suggestion rejected; this pair will not be suggested again."))
    return redirect("customer", customer_id=customer.pk)


def _conversation(case: Any) -> list[Message]:
    return list(
        Message.objects.filter(case_link__case=case)
        .select_related("channel", "analysis")
        .order_by("created_at", "pk")
    )


@login_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(user=request.user, reference=reference)
    if case is None:
        raise Http404("No such case in your teams")
    customer = case.customer
    context = {
        "case": case,
        "conversation": _conversation(case),
        "events": case.events.select_related("actor").order_by("-created_at", "-pk")[:100],
        "replies": case.replies.order_by("-created_at")[:20],
        "customer": customer,
        "profiles": customer.profiles.all(),
        "other_cases": case_list_for_user(user=request.user, customer=customer.pk).exclude(pk=case.pk)[:10],
        "statuses": CaseStatus.choices,
    }
    context.update(case_page_extras(request=request, case=case))
    return render(request, "lara/case.html", context)


@login_required
@require_POST
def case_reply(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(user=request.user, reference=reference)
    if case is None:
        raise Http404("No such case in your teams")
    try:
        reply = reply_create(case=case, author=request.user, text=request.POST.get("text", ""))
    except ValueError as exc:
        flash.error(request, str(exc))
    else:
        if reply.status == ReplyStatus.AWAITING_APPROVAL:
            why = {"why": reply.approval_reason}
            flash.warning(request, _("The reply waits for a lead's approval: %(why)s") % why)
        else:
            flash.success(request, _("Reply queued for sending."))
    return redirect("case", reference=reference)


@login_required
@require_POST
def case_status(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(user=request.user, reference=reference)
    if case is None:
        raise Http404("No such case in your teams")
    status = request.POST.get("status", "")
    if status not in CaseStatus.values:
        flash.error(request, _("Unknown status."))
    else:
        case_set_status(case=case, status=status, actor=request.user, reason="changed in the inbox")
    return redirect("case", reference=reference)


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    """Return to the page the form was on, never to another site."""
    target = request.POST.get("next") or request.headers.get("referer") or fallback
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: on the profile when signed in, in a cookie always.

    The cookie keeps the choice on the login page and for anonymous visitors;
    the profile makes it follow the agent to every browser.
    """
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request))
    if language not in supported_languages():
        flash.error(request, _("Unknown language."))
        return response
    if request.user.is_authenticated:
        preferences_set(user=request.user, ui_language=language)
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Show and save the agent's language and time zone."""
    if request.method == "POST":
        try:
            preferences_set(
                user=request.user,
                ui_language=request.POST.get("language", ""),
                time_zone=request.POST.get("time_zone", ""),
            )
        except ValueError:
            flash.error(request, _("Choose a language and a time zone from the lists."))
        else:
            translation.activate(request.POST["language"])
            flash.success(request, _("Preferences saved."))
            return redirect("preferences")
    profile = getattr(request.user, "agent_profile", None)
    context = {
        "languages": settings.LANGUAGES,
        "time_zones": time_zone_choices(),
        "current_language": translation.get_language(),
        "current_time_zone": profile.time_zone if profile else settings.TIME_ZONE,
    }
    return render(request, "lara/preferences.html", context)


@login_required
@require_POST
def case_tags(request: HttpRequest, reference: str) -> HttpResponse:
    """Add a tag (``add``) or remove one (``remove``) on a case the user may see."""
    case = case_get_for_user(user=request.user, reference=reference)
    if case is None:
        raise Http404("No such case in your teams")
    add = [t for t in request.POST.get("add", "").split(",") if t.strip()]
    remove = [t for t in request.POST.getlist("remove") if t.strip()]
    try:
        case_tags_change(case=case, add=add, remove=remove, actor=request.user)
    except ValueError as exc:
        flash.error(request, str(exc))
    return redirect("case", reference=reference)
