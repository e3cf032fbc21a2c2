"""Teams and agents: admins shape teams and roles; leads set their agents' presence and load."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lara.core.audit import settings_change_record
from lara.core.models import AgentProfile, Membership, Role, Team

from .access import admin_only, is_admin, lead_or_admin, led_team_ids
from .audit import snapshot

User = get_user_model()
CODE = re.compile(r"^[a-z]{2,3}$")
SKILL = re.compile(r"^[\w-]{1,40}$")


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "slug", "description"]
        labels = {
            "name": gettext_lazy("Name"),
            "slug": gettext_lazy("Slug"),
            "description": gettext_lazy("Description"),
        }
        widgets = {
            "slug": forms.TextInput(attrs={"dir": "ltr"}),
            "name": forms.TextInput(attrs={"dir": "auto"}),
        }


class MemberForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("User name"), max_length=150, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)

    def clean_username(self) -> Any:
        user = User.objects.filter(username=self.cleaned_data["username"].strip(), is_active=True).first()
        if user is None:
            raise forms.ValidationError(gettext_lazy("No active user with this name."))
        return user


def _words(raw: str, pattern: re.Pattern[str], message: str) -> list[str]:
    words = [w.strip() for w in raw.replace("\n", ",").split(",") if w.strip()]
    bad = [w for w in words if not pattern.match(w)]
    if bad:
        raise forms.ValidationError(message % {"words": ", ".join(bad)})
    return list(dict.fromkeys(words))


class ProfileForm(forms.Form):
    """An agent's routing facts; leads may not change languages (admins set those)."""

    languages = forms.CharField(
        label=gettext_lazy("Languages (ISO codes, comma-separated)"),
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    skills = forms.CharField(
        label=gettext_lazy("Skills (comma-separated)"),
        required=False,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("Capacity (open cases at once)"), min_value=0, max_value=500
    )
    is_away = forms.BooleanField(label=gettext_lazy("Away (gets no new cases)"), required=False)

    def __init__(self, *args: Any, admin: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not admin:
            del self.fields["languages"]

    def clean_languages(self) -> list[str]:
        return _words(self.cleaned_data.get("languages") or "", CODE, _("Not a language code: %(words)s"))

    def clean_skills(self) -> list[str]:
        return _words(self.cleaned_data.get("skills") or "", SKILL, _("A skill is one word: %(words)s"))


@lead_or_admin
def team_list(request: HttpRequest) -> HttpResponse:
    admin = is_admin(request)
    form = TeamForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not admin:
            raise PermissionDenied("Only admins may create teams")
        if form.is_valid():
            team = form.save()
            settings_change_record(
                actor=request.user,
                area="team",
                action="create",
                obj=team,
                after=snapshot(team, ("name", "slug", "description")),
            )
            flash.success(request, _("Team created."))
            return redirect("settings-teams")
    led = led_team_ids(request.user)
    teams = []
    for team in Team.objects.order_by("name"):
        members = list(
            team.memberships.select_related("user", "user__agent_profile").order_by("user__username")
        )
        teams.append({"team": team, "members": members, "can_edit_agents": admin or team.pk in led})
    return render(
        request,
        "lara/settings/teams.html",
        {"teams": teams, "form": form, "is_admin": admin, "roles": Role.choices, "member_form": MemberForm()},
    )


@admin_only
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id)
    before = snapshot(team, ("name", "slug", "description"))
    form = TeamForm(request.POST if request.method == "POST" else None, instance=team)
    if request.method == "POST" and form.is_valid():
        form.save()
        settings_change_record(
            actor=request.user,
            area="team",
            action="update",
            obj=team,
            before=before,
            after=snapshot(team, ("name", "slug", "description")),
        )
        flash.success(request, _("Team saved."))
        return redirect("settings-teams")
    return render(request, "lara/settings/team.html", {"team": team, "form": form})


@admin_only
@require_POST
def member_add(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id)
    form = MemberForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                flash.error(request, str(error))
        return redirect("settings-teams")
    user, role = form.cleaned_data["username"], form.cleaned_data["role"]
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
        before = {} if created else {"role": membership.role}
        if not created:
            membership.role = role
            membership.save(update_fields=["role"])
        AgentProfile.objects.get_or_create(user=user)
        settings_change_record(
            actor=request.user,
            area="membership",
            action="create" if created else "update",
            obj=membership,
            before=before,
            after={"team": team.slug, "user": user.username, "role": role},
        )
    flash.success(request, _("Member saved."))
    return redirect("settings-teams")


@admin_only
@require_POST
def member_update(request: HttpRequest, team_id: int, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("user", "team"), pk=membership_id, team_id=team_id
    )
    before = {"team": membership.team.slug, "user": membership.user.username, "role": membership.role}
    if request.POST.get("action") == "remove":
        settings_change_record(
            actor=request.user, area="membership", action="delete", obj=membership, before=before
        )
        membership.delete()
        flash.success(request, _("Member removed from the team."))
        return redirect("settings-teams")
    role = request.POST.get("role", "")
    if role not in Role.values:
        flash.error(request, _("Unknown role."))
        return redirect("settings-teams")
    membership.role = role
    membership.save(update_fields=["role"])
    settings_change_record(
        actor=request.user,
        area="membership",
        action="update",
        obj=membership,
        before=before,
        after={**before, "role": role},
    )
    flash.success(request, _("Role saved."))
    return redirect("settings-teams")


@lead_or_admin
def agent_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    """Admins edit any agent; a lead edits skills, capacity and presence of their own teams' agents."""
    agent = get_object_or_404(User, pk=user_id)
    admin = is_admin(request)
    if (
        not admin
        and not Membership.objects.filter(user=agent, team_id__in=led_team_ids(request.user)).exists()
    ):
        raise PermissionDenied("Leads edit the agents of their own teams")
    profile, _created = AgentProfile.objects.get_or_create(user=agent)
    fields = ("languages", "skills", "capacity", "is_away")
    before = snapshot(profile, fields)
    initial = {**before, "languages": ", ".join(profile.languages), "skills": ", ".join(profile.skills)}
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=initial, admin=admin)
    if request.method == "POST" and form.is_valid():
        for name, value in form.cleaned_data.items():
            setattr(profile, name, value)
        profile.save()
        settings_change_record(
            actor=request.user,
            area="agent",
            action="update",
            obj=profile,
            before=before,
            after=snapshot(profile, fields),
        )
        flash.success(request, _("Agent saved."))
        return redirect("settings-teams")
    return render(request, "lara/settings/agent.html", {"agent": agent, "form": form, "is_admin": admin})
