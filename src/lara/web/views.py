"""Serve the agent UI: inbox, case page with the customer beside it, mentions stream."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lara.cases.models import CaseStatus, Priority
from lara.cases.selectors import case_get_for_user, case_list_for_user
from lara.cases.services import case_set_status, reply_create
from lara.channels.models import Channel
from lara.core.models import Team
from lara.core.selectors import user_role
from lara.mentions.models import Message
from lara.mentions.selectors import message_list

from .middleware import supported_languages
from .preferences import preferences_set, time_zone_choices


def _is_htmx(request: HttpRequest) -> bool:
    """Say whether htmx asked for a fragment (django-htmx sets ``request.htmx``)."""
    return bool(getattr(request, "htmx", False))


INBOX_FILTERS = ("status", "priority", "team", "assignee", "channel", "language")


def _inbox_filters(request: HttpRequest) -> dict[str, Any]:
    filters = {k: request.GET.get(k) or None for k in INBOX_FILTERS}
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
    qs = case_list_for_user(user=request.user, **filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": {k: request.GET.get(k, "") for k in INBOX_FILTERS},
        "statuses": CaseStatus.choices,
        "priorities": Priority.choices,
        "teams": Team.objects.all(),
        "channels": Channel.objects.all(),
        "languages": ["en", "he", "ru", "uk"],
        "role": user_role(request.user),
        "query": _query_without_page(request),
    }
    template = "lara/_inbox_rows.html" if _is_htmx(request) else "lara/inbox.html"
    return render(request, template, context)


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
    return render(request, "lara/case.html", context)


@login_required
@require_POST
def case_reply(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(user=request.user, reference=reference)
    if case is None:
        raise Http404("No such case in your teams")
    try:
        reply_create(case=case, author=request.user, text=request.POST.get("text", ""))
    except ValueError as exc:
        flash.error(request, str(exc))
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


@login_required
def mentions(request: HttpRequest) -> HttpResponse:
    qs = message_list(
        channel=request.GET.get("channel") or None,
        language=request.GET.get("language") or None,
        q=request.GET.get("q") or None,
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "channels": Channel.objects.all(),
        "q": request.GET.get("q", ""),
        "query": _query_without_page(request),
    }
    template = "lara/_mention_rows.html" if _is_htmx(request) else "lara/mentions.html"
    return render(request, template, context)


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
