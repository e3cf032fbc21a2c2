"""Forms of the channel page: the account, its network's fields, its business hours.

A network's fields come from its adapter (``config_fields``,
``credential_fields``, ``field_help``), so adding a network needs no change
here; a network that declares none gets two JSON text areas instead.
Credentials are write-only: the page shows whether each is set, an empty
input keeps the stored value and a checkbox clears it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lara.cases.business_hours import DAYS, Calendar
from lara.channels.base import ChannelError, Checker, WebhookReceiver
from lara.channels.models import Channel, Network
from lara.channels.registry import adapter_for

DAY_LABELS = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}
LTR = {"dir": "ltr"}


@dataclass(frozen=True)
class NetworkFields:
    """What the channel page asks for, read from the network's adapter."""

    installed: bool
    declared: bool
    credential_fields: tuple[str, ...] = ()
    config_fields: tuple[str, ...] = ()
    field_help: dict[str, str] = field(default_factory=dict)
    push: bool = False
    checks: bool = False


def network_fields(network: str) -> NetworkFields:
    try:
        adapter: Any = adapter_for(network)
    except ChannelError:
        return NetworkFields(installed=False, declared=False)
    declared = hasattr(adapter, "credential_fields") or hasattr(adapter, "config_fields")
    return NetworkFields(
        installed=True,
        declared=declared,
        credential_fields=tuple(getattr(adapter, "credential_fields", ())),
        config_fields=tuple(getattr(adapter, "config_fields", ())),
        field_help=dict(getattr(adapter, "field_help", {})),
        push=isinstance(adapter, WebhookReceiver),
        checks=isinstance(adapter, Checker),
    )


def stored_credentials(channel: Channel) -> tuple[dict[str, Any], bool]:
    """The decrypted credentials and whether they could be read with the configured key."""
    try:
        return channel.credentials, True
    except ValueError:
        return {}, False


class ChannelForm(forms.ModelForm):
    """The account and its network's settings; the network is fixed once the channel exists."""

    class Meta:
        model = Channel
        fields = ["name", "slug", "network", "account_name", "enabled", "poll_interval_seconds"]
        labels = {
            "name": _("Name"),
            "slug": _("Slug (used in the webhook address)"),
            "network": _("Network"),
            "account_name": _("Account name on the network"),
            "enabled": _("Enabled"),
            "poll_interval_seconds": _("Poll interval (seconds, 0 = never)"),
        }
        widgets = {"slug": forms.TextInput(attrs=LTR), "account_name": forms.TextInput(attrs={"dir": "auto"})}

    def __init__(self, *args: Any, net: NetworkFields, credentials: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.net = net
        self.credentials = credentials
        network: Any = self.fields["network"]
        network.choices = [(v, _(str(label))) for v, label in Network.choices]
        self.fields["network"].disabled = True
        self.fields["name"].widget.attrs["dir"] = "auto"
        config = self.instance.config or {}
        if net.declared:
            for key in net.config_fields:
                self.fields[f"config__{key}"] = forms.CharField(
                    label=key,
                    required=False,
                    initial=str(config.get(key, "")),
                    help_text=net.field_help.get(key, ""),
                    widget=forms.TextInput(attrs=LTR),
                )
            for key in net.credential_fields:
                state = _("set") if credentials.get(key) else _("not set")
                hint = net.field_help.get(key, "")
                self.fields[f"cred__{key}"] = forms.CharField(
                    label=key,
                    required=False,
                    help_text=f"{state}. {hint}" if hint else state,
                    widget=forms.PasswordInput(render_value=False, attrs={**LTR, "autocomplete": "off"}),
                )
                self.fields[f"clear__{key}"] = forms.BooleanField(
                    label=_("Clear %(key)s") % {"key": key}, required=False
                )
        else:
            self.fields["config_json"] = forms.CharField(
                label=_("Settings (JSON)"),
                required=False,
                initial=json.dumps(config, indent=1, ensure_ascii=False, sort_keys=True),
                widget=forms.Textarea(attrs={**LTR, "rows": 4}),
            )
            self.fields["credentials_json"] = forms.CharField(
                label=_("Credentials (JSON, replaces all stored credentials)"),
                required=False,
                help_text=_("Stored: %(keys)s") % {"keys": ", ".join(sorted(credentials)) or "—"},
                widget=forms.Textarea(attrs={**LTR, "rows": 3, "autocomplete": "off"}),
            )
            self.fields["clear_credentials"] = forms.BooleanField(
                label=_("Clear all credentials"), required=False
            )

    def clean_config_json(self) -> dict[str, Any]:
        return _json_object(self.cleaned_data.get("config_json") or "{}")

    def clean_credentials_json(self) -> dict[str, Any] | None:
        raw = self.cleaned_data.get("credentials_json") or ""
        return _json_object(raw) if raw.strip() else None

    def new_config(self) -> dict[str, Any]:
        if not self.net.declared:
            return dict(self.cleaned_data["config_json"])
        config = dict(self.instance.config or {})
        for key in self.net.config_fields:
            value = (self.cleaned_data.get(f"config__{key}") or "").strip()
            if value:
                config[key] = value
            else:
                config.pop(key, None)
        return config

    def new_credentials(self) -> dict[str, Any]:
        if not self.net.declared:
            if self.cleaned_data.get("clear_credentials"):
                return {}
            replaced = self.cleaned_data.get("credentials_json")
            return dict(self.credentials) if replaced is None else replaced
        credentials = dict(self.credentials)
        for key in self.net.credential_fields:
            value = self.cleaned_data.get(f"cred__{key}") or ""
            if self.cleaned_data.get(f"clear__{key}"):
                credentials.pop(key, None)
            elif value:
                credentials[key] = value
        return credentials


def _json_object(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc
    if not isinstance(data, dict):
        raise forms.ValidationError(_('Enter a JSON object, like {"key": "value"}.'))
    return data


def hours_text(spans: Any) -> str:
    return ", ".join(f"{start}-{end}" for start, end in spans or [])


def hours_parse(text: str) -> list[list[str]]:
    """Read "09:00-13:00, 14:00-18:00" (empty = closed all day)."""
    spans = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        start, sep, end = part.partition("-")
        if not sep:
            raise forms.ValidationError(_("Write hours as 09:00-18:00, separated by commas."))
        spans.append([start.strip(), end.strip()])
    return spans


class BusinessHoursForm(forms.Form):
    """Channel.business_hours as a form; the whole value is validated by Calendar.from_json."""

    time_zone = forms.CharField(label=_("Time zone"), max_length=64, widget=forms.TextInput(attrs=LTR))
    country = forms.CharField(
        label=_("Public holidays of country (ISO code, e.g. IL)"),
        max_length=2,
        required=False,
        widget=forms.TextInput(attrs=LTR),
    )
    subdiv = forms.CharField(
        label=_("Region of that country (optional)"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs=LTR),
    )
    holidays = forms.CharField(
        label=_("Other days off (one date a line, e.g. 2026-12-24)"),
        required=False,
        widget=forms.Textarea(attrs={**LTR, "rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in DAYS:
            self.fields[day] = forms.CharField(
                label=DAY_LABELS[day],
                required=False,
                help_text=_("e.g. 09:00-13:00, 14:00-18:00; empty = closed"),
                widget=forms.TextInput(attrs=LTR),
            )

    @classmethod
    def initial_from(cls, hours: dict[str, Any]) -> dict[str, Any]:
        weekly = hours.get("weekly") or {}
        dates = [d.get("date") if isinstance(d, dict) else d for d in hours.get("holidays") or []]
        return {
            "time_zone": hours.get("time_zone", "UTC"),
            "country": hours.get("country", ""),
            "subdiv": hours.get("subdiv", ""),
            "holidays": "\n".join(str(d) for d in dates),
            **{day: hours_text(weekly.get(day)) for day in DAYS},
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        weekly: dict[str, list[list[str]]] = {}
        for day in DAYS:
            try:
                spans = hours_parse(data.get(day) or "")
            except forms.ValidationError as exc:
                self.add_error(day, exc)
                continue
            if spans:
                weekly[day] = spans
        holidays = [line.strip() for line in (data.get("holidays") or "").splitlines() if line.strip()]
        for raw in holidays:
            try:
                date.fromisoformat(raw)
            except ValueError:
                self.add_error("holidays", _("%(value)s is not a date like 2026-12-24.") % {"value": raw})
        hours: dict[str, Any] = {"time_zone": (data.get("time_zone") or "").strip(), "weekly": weekly}
        hours["holidays"] = holidays
        if data.get("country"):
            hours["country"] = data["country"].strip().upper()
        if data.get("subdiv"):
            hours["subdiv"] = data["subdiv"].strip()
        if not self.errors:
            try:
                Calendar.from_json(hours)
            except ValueError as exc:
                raise forms.ValidationError(_("Business hours: %(error)s") % {"error": exc}) from exc
        self.business_hours = hours
        return data
