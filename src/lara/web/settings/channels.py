"""Channel screens: health list, create/edit with write-only credentials, test, dead letters."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lara.channels.base import ChannelError, Checker
from lara.channels.models import Channel, Network
from lara.channels.registry import adapter_for
from lara.channels.services import channel_mark_success
from lara.core.audit import settings_change_record
from lara.mentions.models import DeadLetter
from lara.mentions.replay import dead_letter_replay

from .access import admin_only, is_admin, lead_or_admin
from .audit import secrets_shape, snapshot
from .channel_forms import BusinessHoursForm, ChannelForm, network_fields, stored_credentials

FIELDS = (
    "name",
    "slug",
    "network",
    "account_name",
    "enabled",
    "poll_interval_seconds",
    "business_hours",
    "config",
)


def channel_snapshot(channel: Channel) -> dict[str, Any]:
    credentials, readable = stored_credentials(channel)
    shape: dict[str, Any] = secrets_shape(credentials) if readable else {"unreadable": True}
    return {**snapshot(channel, FIELDS), "credentials": shape}


@lead_or_admin
def channel_list(request: HttpRequest) -> HttpResponse:
    """Every channel with its health; leads see it, admins also change it."""
    channels = list(Channel.objects.order_by("name"))
    return render(
        request, "lara/settings/channels.html", {"channels": channels, "is_admin": is_admin(request)}
    )


@admin_only
def channel_edit(request: HttpRequest, channel_id: int | None = None) -> HttpResponse:
    """Create (``?network=…`` first) or edit a channel."""
    if channel_id is None:
        network = request.GET.get("network") or request.POST.get("network") or ""
        if network not in Network.values:
            return render(request, "lara/settings/channel_new.html", {"networks": Network.choices})
        channel = Channel(network=network)
    else:
        channel = get_object_or_404(Channel, pk=channel_id)
    net = network_fields(channel.network)
    credentials, readable = stored_credentials(channel)
    before = channel_snapshot(channel) if channel.pk else {}
    data = request.POST if request.method == "POST" else None
    form = ChannelForm(data, instance=channel, net=net, credentials=credentials)
    hours = BusinessHoursForm(
        data, prefix="bh", initial=BusinessHoursForm.initial_from(channel.business_hours or {})
    )
    if data is not None and form.is_valid() and hours.is_valid():
        with transaction.atomic():
            saved = form.save(commit=False)
            saved.config = form.new_config()
            saved.credentials = form.new_credentials()
            saved.business_hours = hours.business_hours
            saved.save()
            settings_change_record(
                actor=request.user,
                area="channel",
                action="update" if before else "create",
                obj=saved,
                before=before,
                after=channel_snapshot(saved),
            )
        flash.success(request, _("Channel saved."))
        return redirect("settings-channel", channel_id=saved.pk)
    context = {
        "channel": channel,
        "form": form,
        "hours": hours,
        "net": net,
        "readable": readable,
        "webhook_url": request.build_absolute_uri(f"/hooks/{channel.slug}")
        if channel.pk and net.push
        else "",
        "dead_letters": list(channel.dead_letters.order_by("-created_at", "-pk")[:50]) if channel.pk else [],
    }
    return render(request, "lara/settings/channel.html", context)


@admin_only
@require_POST
def channel_toggle(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=channel_id)
    before = {"enabled": channel.enabled}
    channel.enabled = not channel.enabled
    channel.save(update_fields=["enabled"])
    settings_change_record(
        actor=request.user,
        area="channel",
        action="update",
        obj=channel,
        before=before,
        after={"enabled": channel.enabled},
    )
    flash.success(request, _("Channel enabled.") if channel.enabled else _("Channel disabled."))
    return redirect("settings-channels")


@admin_only
@require_POST
def channel_test(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Run the adapter's check on the stored settings and show exactly what it said."""
    channel = get_object_or_404(Channel, pk=channel_id)
    try:
        adapter: object = adapter_for(channel.network)
        if not isinstance(adapter, Checker):
            raise ChannelError(_("this network has no connection check"))
        credentials, readable = stored_credentials(channel)
        if not readable:
            raise ChannelError(_("the stored credentials cannot be decrypted with the configured key"))
        said = adapter.check(config=dict(channel.config), credentials=credentials)
    except ChannelError as exc:
        flash.error(request, _("Connection failed: %(reason)s") % {"reason": exc})
    else:
        channel_mark_success(channel_id=channel.pk)
        flash.success(request, _("Connection works: %(said)s") % {"said": said})
    return redirect("settings-channel", channel_id=channel.pk)


@admin_only
@require_POST
def channel_dead_letter_replay(request: HttpRequest, channel_id: int, dead_letter_id: int) -> HttpResponse:
    if not DeadLetter.objects.filter(pk=dead_letter_id, channel_id=channel_id).exists():
        raise Http404("No such dead letter on this channel")
    result = dead_letter_replay(dead_letter_id=dead_letter_id)
    settings_change_record(
        actor=request.user,
        area="dead_letter",
        action="replay",
        obj=DeadLetter.objects.get(pk=dead_letter_id),
        after={"created": result.created, "duplicate": result.duplicate, "error": result.error},
    )
    if result.ok:
        flash.success(
            request,
            _("Replayed: %(created)d new, %(duplicate)d already stored.")
            % {"created": result.created, "duplicate": result.duplicate},
        )
    else:
        flash.error(request, _("Replay failed: %(reason)s") % {"reason": result.error})
    return redirect("settings-channel", channel_id=channel_id)
