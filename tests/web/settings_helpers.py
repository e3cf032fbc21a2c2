"""Shared given-steps of the settings tests: an admin persona and signed-in clients."""

from __future__ import annotations

from typing import Any

from django.test import Client

from lara.core.models import Role

from ..factories import agent


def admin(org: dict[str, Any]) -> Any:
    """ada, an admin in Customer service."""
    return agent("ada", team=org["service"], role=Role.ADMIN)


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def business_hours(**overrides: str) -> dict[str, str]:
    """The business-hours part of a channel form, Monday to Friday 09–18 in Jerusalem."""
    data = {
        "bh-time_zone": "Asia/Jerusalem",
        "bh-country": "",
        "bh-subdiv": "",
        "bh-holidays": "",
        **{f"bh-{d}": "09:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        "bh-sat": "",
        "bh-sun": "",
    }
    data.update({f"bh-{k}": v for k, v in overrides.items()})
    return data
