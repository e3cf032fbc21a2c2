"""Serve the public survey page: no login, one answer per link, in the customer's language.

Like the consent page (``lara.web.customer_views.connect``): a used or
expired link answers 410 and a forged one 404, each saying so, and nothing
is stored; the page is never cached and never sends the token on as a referrer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lara.customers.consent import LinkState
from lara.customers.link_pages import LINK_STATUS, link_page_language, link_page_render

from .models import SCALE_RANGE, SurveyScale
from .surveys import SurveyError, SurveyLinkSpent, survey_answer_record, survey_link_from_token


def _problem(state: LinkState) -> str:
    return {
        LinkState.USED: _("This survey link has already been used."),
        LinkState.EXPIRED: _("This survey link has expired."),
        LinkState.FORGED: _("This survey link is not valid."),
    }.get(state, "")


def _score(raw: str | None) -> int | None:
    try:
        return int((raw or "").strip())
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
def survey_answer_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the question; on POST store the one answer this link allows."""
    state, link = survey_link_from_token(token)
    language = link_page_language(request, link.language if link else None)
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
            return link_page_render(
                request,
                "engage/survey.html",
                language=language,
                context=context,
                status=LINK_STATUS[exc.state],
                problem=_problem,
            )
        except SurveyError:
            with translation.override(language):
                context["error"] = _("Choose a score from %(low)s to %(high)s.") % {
                    "low": context["scores"][0],
                    "high": context["scores"][-1],
                }
            return link_page_render(
                request,
                "engage/survey.html",
                language=language,
                context=context,
                status=422,
                problem=_problem,
            )
        context["done"] = True
    return link_page_render(
        request,
        "engage/survey.html",
        language=language,
        context=context,
        status=LINK_STATUS[state],
        problem=_problem,
    )
