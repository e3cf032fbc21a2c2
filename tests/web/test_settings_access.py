"""Who may open which settings screen: agents never, leads most, admins everything."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lara.core.models import AgentProfile
from lara.mentions.models import DeadLetter

from .settings_helpers import admin, login

LEAD_PAGES = [
    "/settings/",
    "/settings/channels/",
    "/settings/teams/",
    "/settings/rules/",
    "/settings/rules/new/",
]
LEAD_PAGES += ["/settings/sla/", "/settings/sla/new/", "/settings/queries/", "/settings/queries/new/"]


@pytest.mark.parametrize("url", [*LEAD_PAGES, "/settings/channels/new/"])
def test_agents_get_403_everywhere_under_settings(org: dict[str, Any], url: str) -> None:
    assert login(org["alice"]).get(url).status_code == 403
    assert login(org["oscar"]).get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(org: dict[str, Any]) -> None:
    response = Client().get("/settings/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/settings/")


@pytest.mark.parametrize("url", LEAD_PAGES)
def test_leads_and_admins_open_the_shared_screens(org: dict[str, Any], url: str) -> None:
    assert login(org["lena"]).get(url).status_code == 200
    assert login(admin(org)).get(url).status_code == 200


def test_only_admins_touch_channels_teams_roles_and_dead_letters(org: dict[str, Any]) -> None:
    x = org["x"]
    letter = DeadLetter.objects.create(channel=x, source="poll", payload={}, error="bad item")
    lead = login(org["lena"])
    membership = org["service"].memberships.get(user=org["alice"])

    refused = [
        lead.get(f"/settings/channels/{x.pk}/").status_code,
        lead.get("/settings/channels/new/?network=rss").status_code,
        lead.post(f"/settings/channels/{x.pk}/toggle").status_code,
        lead.post(f"/settings/channels/{x.pk}/test").status_code,
        lead.post(f"/settings/channels/{x.pk}/dead-letters/{letter.pk}/replay").status_code,
        lead.post("/settings/teams/", {"name": "Legal", "slug": "legal"}).status_code,
        lead.post(
            f"/settings/teams/{org['service'].pk}/members", {"username": "bob", "role": "agent"}
        ).status_code,
        lead.post(
            f"/settings/teams/{org['service'].pk}/members/{membership.pk}", {"role": "admin"}
        ).status_code,
    ]

    assert refused == [403] * 8
    assert login(admin(org)).get(f"/settings/channels/{x.pk}/").status_code == 200


def test_the_dashboard_and_the_settings_link_follow_the_role(org: dict[str, Any]) -> None:
    lead_page = login(org["lena"]).get("/settings/").content.decode()
    admin_page = login(admin(org)).get("/settings/").content.decode()
    agent_inbox = login(org["alice"]).get("/").content.decode()
    lead_inbox = login(org["lena"]).get("/").content.decode()

    assert "Needs attention" not in lead_page
    assert "Needs attention" in admin_page
    assert '<a href="/settings/saved-replies/">Saved replies</a>' in lead_page
    assert '<a href="/settings/">Settings</a>' in lead_inbox
    assert '<a href="/settings/">Settings</a>' not in agent_inbox


def test_settings_forms_need_the_csrf_token(org: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["lena"])

    response = client.post("/settings/queries/new/", {"name": "Brand", "query": "volta", "enabled": "on"})

    assert response.status_code == 403


def test_the_settings_screens_speak_hebrew_right_to_left_and_russian(org: dict[str, Any]) -> None:
    AgentProfile.objects.filter(user=org["lena"]).update(ui_language="he")
    hebrew = login(org["lena"]).get("/settings/rules/").content.decode()
    AgentProfile.objects.filter(user=org["lena"]).update(ui_language="ru")
    russian = login(org["lena"]).post(
        "/settings/queries/new/", {"name": "Brand", "query": "volta", "languages": "hebrew", "enabled": "on"}
    )

    assert '<html lang="he" dir="rtl">' in hebrew
    assert "<h1>כללי ניתוב</h1>" in hebrew
    assert "Не двухбуквенный код языка: hebrew" in russian.content.decode()
