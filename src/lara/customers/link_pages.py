"""What the public pages behind a signed link share: status codes, language, private headers.

The "connect your accounts" page and the survey page are opened by
customers without a login, from a link that may be used, expired or forged.
Both answer in the link's language and keep the token out of caches and
other sites' referrers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from .consent import LinkState

LINK_STATUS = {LinkState.VALID: 200, LinkState.USED: 410, LinkState.EXPIRED: 410, LinkState.FORGED: 404}


def link_page_language(request: HttpRequest, link_language: str | None) -> str:
    """The link's language when it names one Lara speaks; else ``?lang=``; else the default."""
    supported = {code for code, _name in settings.LANGUAGES}
    if link_language in supported:
        return str(link_language)
    asked = (request.GET.get("lang") or "").strip().lower()
    return asked if asked in supported else settings.LANGUAGE_CODE


def link_page_render(
    request: HttpRequest,
    template: str,
    *,
    language: str,
    context: dict[str, Any],
    status: int,
    problem: Callable[[LinkState], str],
) -> HttpResponse:
    """Render in ``language``, with ``problem`` saying (translated) what is wrong with the link."""
    with translation.override(language):
        context = {**context, "problem": problem(context["state"]), "language": language}
        response = render(request, template, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token must not leak to other sites
    return response
