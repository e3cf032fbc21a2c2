"""Serve the customer screens beyond the 360° page: consent links, CSV import progress.

``/connect/…`` is the one public part: a customer without a login opens the
link an agent sent them. It speaks the customer's language when the link
knows it (the case's language) and ``?lang=`` otherwise.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lara.cases.consent import consent_email_confirm, consent_email_send, consent_link_send
from lara.cases.selectors import case_visible_to
from lara.core.selectors import user_sees_all_teams
from lara.customers.consent import LinkState, consent_email_from_token, consent_link_from_token
from lara.customers.link_pages import LINK_STATUS, link_page_language, link_page_render
from lara.customers.models import ConsentLink, CustomerImport
from lara.customers.services import email_normalize


def _state_text(state: LinkState) -> str:
    return {
        LinkState.USED: _("This link has already been used."),
        LinkState.EXPIRED: _("This link has expired. Ask us for a new one."),
        LinkState.FORGED: _("This link is not valid."),
    }.get(state, "")


def connect(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's page: the one-time code, or an e-mail address to confirm (no login)."""
    state, link = consent_link_from_token(token)
    language = link_page_language(request, link.language if link else None)
    context: dict[str, Any] = {"state": state, "link": link, "sent_to": "", "error": ""}
    if state is LinkState.VALID and link is not None and request.method == "POST":
        email = email_normalize(request.POST.get("email"))
        try:
            validate_email(email)
        except ValidationError:
            with translation.override(language):
                context["error"] = _("Not a valid e-mail address.")
            return link_page_render(
                request,
                "lara/connect.html",
                language=language,
                context=context,
                status=422,
                problem=_state_text,
            )
        consent_email_send(link=link, email=email, base_url=request.build_absolute_uri("/"))
        context["sent_to"] = email
    elif state is LinkState.VALID and link is not None and link.opened_at is None:
        ConsentLink.objects.filter(pk=link.pk).update(opened_at=timezone.now())
    return link_page_render(
        request,
        "lara/connect.html",
        language=language,
        context=context,
        status=LINK_STATUS[state],
        problem=_state_text,
    )


def connect_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail confirmation: a GET shows a button (mail scanners follow links), the POST links."""
    state, link, email = consent_email_from_token(token)
    language = link_page_language(request, link.language if link else None)
    context: dict[str, Any] = {"state": state, "link": link, "confirm_email": email, "confirmed": False}
    if state is LinkState.VALID and link is not None and request.method == "POST":
        consent_email_confirm(link=link, email=email)
        context["confirmed"] = True
    return link_page_render(
        request,
        "lara/connect.html",
        language=language,
        context=context,
        status=LINK_STATUS[state],
        problem=_state_text,
    )


@login_required
@require_POST
def customer_connect_link(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Send a "connect your accounts" link as a reply on one of the customer's open cases."""
    case = (
        case_visible_to(request.user)
        .filter(customer_id=customer_id, reference=request.POST.get("case"))
        .first()
    )
    if case is None:
        raise Http404("No such case of this customer in your teams")
    consent_link_send(case=case, actor=request.user, base_url=request.build_absolute_uri("/"))
    flash.success(
        request, _("The link is on its way to the customer through %(case)s.") % {"case": case.reference}
    )
    return redirect("customer", customer_id=customer_id)


def _import_or_404(request: HttpRequest, import_id: int) -> CustomerImport:
    if not user_sees_all_teams(request.user):
        raise PermissionDenied("Only leads and admins import customers")
    run = CustomerImport.objects.filter(pk=import_id).first()
    if run is None:
        raise Http404("No such import")
    return run


@login_required
def customer_import_progress(request: HttpRequest, import_id: int) -> HttpResponse:
    """The progress of a CSV import: the page, or (for htmx, every second) just the bar."""
    run = _import_or_404(request, import_id)
    template = (
        "lara/_import_progress.html" if getattr(request, "htmx", False) else "lara/customer_import.html"
    )
    return render(request, template, {"run": run})
