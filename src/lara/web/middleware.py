"""Activate the signed-in agent's language and time zone on every request.

Django's LocaleMiddleware runs before authentication, so it can only use the
language cookie or the browser's Accept-Language header. This middleware runs
after AuthenticationMiddleware and lets the agent's saved choice
(AgentProfile.ui_language / time_zone) win; without a profile the earlier
choice stands and dates stay in the server's zone (UTC).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.decorators import sync_and_async_middleware

from lara.core.models import AgentProfile


@lru_cache(maxsize=1)
def supported_languages() -> frozenset[str]:
    return frozenset(code for code, _name in settings.LANGUAGES)


@lru_cache(maxsize=512)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _preferences(request: HttpRequest) -> tuple[str, str] | None:
    """Return the user's (ui_language, time_zone), or None for anonymous users."""
    user = request.user
    if not user.is_authenticated:
        return None
    return AgentProfile.objects.filter(user=user).values_list("ui_language", "time_zone").first()


def _activate(request: HttpRequest, prefs: tuple[str, str] | None) -> None:
    if prefs is None:
        timezone.deactivate()
        return
    language, zone_name = prefs
    if language in supported_languages():
        translation.activate(language)
        request.LANGUAGE_CODE = language
    zone = _zone(zone_name)
    if zone is not None:
        timezone.activate(zone)
    else:
        timezone.deactivate()


@sync_and_async_middleware
def user_preferences_middleware(get_response: Callable[[HttpRequest], Any]) -> Any:
    """Wrap ``get_response`` so the agent's preferences hold for the whole request."""
    if iscoroutinefunction(get_response):
        async_get_response: Callable[[HttpRequest], Awaitable[HttpResponse]] = get_response

        async def async_middleware(request: HttpRequest) -> HttpResponse:
            _activate(request, await sync_to_async(_preferences)(request))
            return await async_get_response(request)

        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponse:
        _activate(request, _preferences(request))
        return get_response(request)

    return middleware
