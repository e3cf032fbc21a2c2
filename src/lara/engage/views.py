"""Serve the public survey page: no login, one answer per link, in the customer's language.

Like the consent page (``lara.web.customer_views.connect``): a used or
expired link answers 410 and a forged one 404, each saying so, and nothing
is stored; the page is never cached and never sends the token on as a referrer.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lara.customers.consent import LinkState

from .models import SCALE_RANGE, SurveyLink, SurveyScale
from .surveys import SurveyError, SurveyLinkSpent, survey_answer_record, survey_link_from_token

_STATUS = {LinkState.VALID: 200, LinkState.USED: 410, LinkState.EXPIRED: 410, LinkState.FORGED: 404}


def _language(request: HttpRequest, link: SurveyLink | None) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    if link is not None and link.language in supported:
        return link.language
    asked = (request.GET.get("lang") or "").strip().lower()
    return asked if asked in supported else settings.LANGUAGE_CODE


def _problem(state: LinkState) -> str:
    return {
        LinkState.USED: _("This survey link has already been used."),
        LinkState.EXPIRED: _("This survey link has expired."),
        LinkState.FORGED: _("This survey link is not valid."),
    }.get(state, "")


def _render(request: HttpRequest, language: str, context: dict[str, Any], status: int) -> HttpResponse:
    with translation.override(language):
        context = {**context, "problem": _problem(context["state"]), "language": language}
        response = render(request, "engage/survey.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _score(raw: str | None) -> int | None:
    try:
        return int((raw or "").strip())
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
def survey_answer_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the question; on POST store the one answer this link allows."""
    state, link = survey_link_from_token(token)
    language = _language(request, link)
    context: dict[str, Any] = {"state": state, "link": link, "done": False, "error": "", "scores": []}
    if link is not None:
        low, high = SCALE_RANGE[SurveyScale(link.survey.scale)]
        context["scores"] = list(range(low, high + 1))
        context["question"] = link.survey.question_in(language)
    if state is LinkState.VALID and link is not None and request.method == "POST":
        try:
            survey_answer_record(
                link=link, score=_score(request.POST.get("score")), comment=request.POST.get("comment", "")
            )
        except SurveyLinkSpent as exc:
            context["state"] = exc.state
            return _render(request, language, context, _STATUS[exc.state])
        except SurveyError:
            with translation.override(language):
                context["error"] = _("Choose a score from %(low)s to %(high)s.") % {
                    "low": context["scores"][0],
                    "high": context["scores"][-1],
                }
            return _render(request, language, context, 422)
        context["done"] = True
    return _render(request, language, context, _STATUS[state])
