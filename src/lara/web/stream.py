"""Serve the listening view: every heard mention, filterable like the inbox, and label corrections.

Any signed-in agent may read the mentions stream (it is what the brand heard
in public and in its channels); a case made from a mention follows the case
rules from then on. Corrections are allowed wherever the message is shown:
on the stream, and on a case page the agent may open.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lara.analysis.services import analysis_correct
from lara.cases.from_mentions import CaseFromMentionError, case_create_for_message, case_labels_refresh
from lara.cases.selectors import case_visible_to
from lara.channels.models import Channel
from lara.mentions.models import Message, MonitoringQuery
from lara.mentions.selectors import message_list

from .filters import LANGUAGES, MESSAGE_TYPES, SENTIMENTS
from .views import _safe_next

MENTION_FILTERS = ("channel", "language", "sentiment", "type", "query", "in_case", "q")
#: What the correction form offers per field (language: the UI's languages).
CORRECTABLE = {
    "sentiment": [v for v, _l in SENTIMENTS],
    "type": [v for v, _l in MESSAGE_TYPES],
    "purchase_intent": ["true", "false"],
    "language": list(LANGUAGES),
}


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _stream_filters(request: HttpRequest) -> dict[str, Any]:
    get = request.GET
    query = get.get("query", "")
    in_case = {"yes": True, "no": False}.get(get.get("in_case", ""))
    return {
        "channel": get.get("channel") or None,
        "language": get.get("language") or None,
        "sentiment": get.get("sentiment") if get.get("sentiment") in CORRECTABLE["sentiment"] else None,
        "type": get.get("type") if get.get("type") in CORRECTABLE["type"] else None,
        "query": int(query) if query.isdigit() else None,
        "in_case": in_case,
        "q": get.get("q") or None,
    }


@login_required
def mentions(request: HttpRequest) -> HttpResponse:
    page = Paginator(message_list(**_stream_filters(request)), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "channels": Channel.objects.all(),
        "languages": LANGUAGES,
        "sentiments": SENTIMENTS,
        "message_types": MESSAGE_TYPES,
        "monitoring_queries": MonitoringQuery.objects.filter(enabled=True),
        "filters": {k: request.GET.get(k, "") for k in MENTION_FILTERS},
        "q": request.GET.get("q", ""),
        "query": _query_without_page(request),
        "visible_case_ids": set(
            case_visible_to(request.user)
            .filter(case_messages__message__in=[m.pk for m in page.object_list])
            .values_list("pk", flat=True)
        ),
    }
    template = "lara/_mention_rows.html" if getattr(request, "htmx", False) else "lara/mentions.html"
    return render(request, template, context)


def _back(request: HttpRequest) -> str:
    return _safe_next(request, fallback="/mentions/")


@login_required
@require_POST
def mention_create_case(request: HttpRequest, message_id: int) -> HttpResponse:
    """Open a case for a mention (or go to the case it is already in)."""
    if not Message.objects.filter(pk=message_id).exists():
        raise Http404("No such message")
    try:
        case, created = case_create_for_message(message_id=message_id, actor=request.user)
    except CaseFromMentionError as exc:
        flash.error(request, str(exc))
        return redirect(_back(request))
    if not case_visible_to(request.user).filter(pk=case.pk).exists():
        flash.info(request, _("This mention is already in a case of another team."))
        return redirect(_back(request))
    if created:
        flash.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
    return redirect("case", reference=case.reference)


def _message_visible(request: HttpRequest, message_id: int) -> Message:
    """A message the user may correct: on the stream (any agent) unless it sits in a case of another team."""
    message = Message.objects.filter(pk=message_id).select_related("case_link").first()
    if message is None:
        raise Http404("No such message")
    link = getattr(message, "case_link", None)
    if link is not None and not case_visible_to(request.user).filter(pk=link.case_id).exists():
        raise Http404("No such message in your teams")
    return message


@login_required
@require_POST
def message_correct(request: HttpRequest, message_id: int) -> HttpResponse:
    """Store an agent's correction of one label; the case's labels follow."""
    message = _message_visible(request, message_id)
    field = request.POST.get("field", "")
    value = request.POST.get("value", "")
    if field not in CORRECTABLE or value not in CORRECTABLE[field]:
        flash.error(request, _("Choose a label and a value from the lists."))
        return redirect(_back(request))
    try:
        analysis_correct(message_id=message.pk, field=field, value=value, user=request.user)
    except ValueError as exc:
        flash.error(request, str(exc))
        return redirect(_back(request))
    case_labels_refresh(message_id=message.pk)
    flash.success(request, _("Thank you — the correction is saved and will teach the next model."))
    return redirect(_back(request))
