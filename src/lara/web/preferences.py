"""Save an agent's own interface preferences: UI language and time zone.

They live on core's AgentProfile, which the middleware reads on every
request; only the agent edits them, from the header or the preferences page,
so this small write sits next to the views rather than in a shared service.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from typing import Any

from lara.core.models import AgentProfile

from .middleware import supported_languages


@lru_cache(maxsize=1)
def time_zone_choices() -> list[str]:
    """List the IANA zone names the server knows, UTC first."""
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/"))
    return ["UTC", *zones]


def preferences_set(
    *, user: Any, ui_language: str | None = None, time_zone: str | None = None
) -> AgentProfile:
    """Store the given preferences on the user's profile, refusing unknown values."""
    if ui_language is not None and ui_language not in supported_languages():
        raise ValueError(f"unknown language {ui_language!r}")
    if time_zone is not None and time_zone not in time_zone_choices():
        raise ValueError(f"unknown time zone {time_zone!r}")
    profile, _created = AgentProfile.objects.get_or_create(user=user)
    changed = []
    if ui_language is not None:
        profile.ui_language = ui_language
        changed.append("ui_language")
    if time_zone is not None:
        profile.time_zone = time_zone
        changed.append("time_zone")
    if changed:
        profile.save(update_fields=changed)
    return profile
