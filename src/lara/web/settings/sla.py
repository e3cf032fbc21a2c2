"""SLA policies: targets per priority (and channel, and team where the model has it), validated."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lara.cases.models import Priority, SlaPolicy

from .access import lead_or_admin
from .audit import audited_form_view

UNITS = (("minutes", gettext_lazy("minutes")), ("hours", gettext_lazy("hours")))


def _has(name: str) -> bool:
    return any(f.name == name for f in SlaPolicy._meta.get_fields())


#: The 24/7 flag and the team scope came later; the form offers them when the model has them.
OPTIONAL = tuple(name for name in ("business_hours_only", "team") if _has(name))
POLICY_FIELDS = (
    "name",
    "priorities",
    "channel",
    "first_response_minutes",
    "resolution_minutes",
    "warn_before_minutes",
    "enabled",
    *OPTIONAL,
)


def _minutes(value: int, unit: str) -> int:
    return value * 60 if unit == "hours" else value


class SlaForm(forms.ModelForm):
    priorities = forms.MultipleChoiceField(
        label=gettext_lazy("Priorities"), choices=Priority.choices, widget=forms.CheckboxSelectMultiple
    )
    first_response = forms.IntegerField(label=gettext_lazy("First response within"), min_value=1)
    first_response_unit = forms.ChoiceField(label=gettext_lazy("Unit of the first response"), choices=UNITS)
    resolution = forms.IntegerField(label=gettext_lazy("Resolution within"), min_value=1)
    resolution_unit = forms.ChoiceField(label=gettext_lazy("Unit of the resolution"), choices=UNITS)

    class Meta:
        model = SlaPolicy
        fields = ["name", "channel", "warn_before_minutes", "enabled", *OPTIONAL]
        labels = {
            "name": gettext_lazy("Name"),
            "channel": gettext_lazy("Channel (empty = all channels)"),
            "warn_before_minutes": gettext_lazy("Warn this many minutes before a breach"),
            "enabled": gettext_lazy("Enabled"),
            "business_hours_only": gettext_lazy("Count business hours only (off = 24/7)"),
            "team": gettext_lazy("Team (empty = all teams)"),
        }
        help_texts = {"business_hours_only": "", "team": "", "channel": ""}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policy = self.instance
        self.fields["name"].widget.attrs["dir"] = "auto"
        if policy.pk:
            self.initial.update(
                priorities=policy.priorities,
                **_split("first_response", policy.first_response_minutes),
                **_split("resolution", policy.resolution_minutes),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        first = _minutes(data["first_response"], data["first_response_unit"])
        resolution = _minutes(data["resolution"], data["resolution_unit"])
        if resolution < first:
            self.add_error("resolution", _("Resolution cannot come before the first response."))
        if data.get("warn_before_minutes", 0) >= first:
            self.add_error(
                "warn_before_minutes", _("The warning must come before the first-response target.")
            )
        self.instance.priorities = sorted(data["priorities"])
        self.instance.first_response_minutes = first
        self.instance.resolution_minutes = resolution
        return data


def _split(prefix: str, minutes: int) -> dict[str, Any]:
    if minutes % 60 == 0:
        return {prefix: minutes // 60, f"{prefix}_unit": "hours"}
    return {prefix: minutes, f"{prefix}_unit": "minutes"}


@lead_or_admin
def sla_list(request: HttpRequest) -> HttpResponse:
    policies = SlaPolicy.objects.select_related("channel").order_by("pk")
    return render(request, "lara/settings/sla.html", {"policies": policies, "optional": OPTIONAL})


@lead_or_admin
def sla_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    policy = get_object_or_404(SlaPolicy, pk=policy_id) if policy_id is not None else SlaPolicy()
    return audited_form_view(
        request,
        instance=policy,
        form_class=SlaForm,
        fields=POLICY_FIELDS,
        area="sla_policy",
        saved_message=_("SLA policy saved."),
        done_url="settings-sla",
        template="lara/settings/sla_policy.html",
        context={"policy": policy},
    )
