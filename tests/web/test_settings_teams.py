"""Teams and agents: admins set teams and roles; leads set their own agents' presence and load."""

from __future__ import annotations

from typing import Any

from lara.core.models import AgentProfile, Membership, Role, SettingsChange, Team

from .settings_helpers import admin, login


def test_a_lead_sets_capacity_skills_and_away_for_an_agent_of_their_team(org: dict[str, Any]) -> None:
    response = login(org["lena"]).post(
        f"/settings/agents/{org['alice'].pk}/",
        {"capacity": "5", "skills": "billing, returns", "is_away": "on", "languages": "he"},
    )

    assert response.status_code == 302
    profile = AgentProfile.objects.get(user=org["alice"])
    assert (profile.capacity, profile.skills, profile.is_away, profile.languages) == (
        5,
        ["billing", "returns"],
        True,
        ["en"],
    )
    change = SettingsChange.objects.get(area="agent")
    assert (change.before["capacity"], change.after["capacity"]) == (20, 5)


def test_a_lead_cannot_edit_agents_of_other_teams(org: dict[str, Any]) -> None:
    client = login(org["lena"])

    assert client.get(f"/settings/agents/{org['bob'].pk}/").status_code == 403
    assert client.post(f"/settings/agents/{org['bob'].pk}/", {"capacity": "1"}).status_code == 403


def test_an_admin_sets_languages_and_validates_them(org: dict[str, Any]) -> None:
    client = login(admin(org))

    bad = client.post(f"/settings/agents/{org['bob'].pk}/", {"capacity": "10", "languages": "english"})
    good = client.post(f"/settings/agents/{org['bob'].pk}/", {"capacity": "10", "languages": "en, he"})

    assert "Not a language code: english" in bad.content.decode()
    assert good.status_code == 302
    assert AgentProfile.objects.get(user=org["bob"]).languages == ["en", "he"]


def test_an_admin_creates_a_team_adds_a_member_and_changes_roles(org: dict[str, Any]) -> None:
    client = login(admin(org))

    client.post("/settings/teams/", {"name": "Legal", "slug": "legal", "description": ""})
    legal = Team.objects.get(slug="legal")
    client.post(f"/settings/teams/{legal.pk}/members", {"username": "oscar", "role": "lead"})
    membership = Membership.objects.get(team=legal, user=org["oscar"])
    client.post(f"/settings/teams/{legal.pk}/members/{membership.pk}", {"action": "role", "role": "agent"})
    missing = client.post(
        f"/settings/teams/{legal.pk}/members", {"username": "nobody", "role": "agent"}, follow=True
    )

    assert Membership.objects.get(pk=membership.pk).role == Role.AGENT
    assert "No active user with this name." in missing.content.decode()
    assert list(SettingsChange.objects.order_by("pk").values_list("area", "action")) == [
        ("team", "create"),
        ("membership", "create"),
        ("membership", "update"),
    ]


def test_an_admin_removes_a_member(org: dict[str, Any]) -> None:
    membership = Membership.objects.get(team=org["sales"], user=org["bob"])

    login(admin(org)).post(f"/settings/teams/{org['sales'].pk}/members/{membership.pk}", {"action": "remove"})

    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert SettingsChange.objects.get(area="membership").before == {
        "team": "sales",
        "user": "bob",
        "role": "agent",
    }


def test_the_team_page_lists_members_with_their_profiles(org: dict[str, Any]) -> None:
    page = login(org["lena"]).get("/settings/teams/").content.decode()

    assert f'<a href="/settings/agents/{org["alice"].pk}/">Alice</a>' in page
    assert f"/settings/agents/{org['bob'].pk}/" not in page
    assert "Create team" not in page
