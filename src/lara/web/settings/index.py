"""The settings index, with the admin dashboard: what is broken and waiting right now."""

from __future__ import annotations

from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lara.channels.models import Channel
from lara.core.models import Job, JobStatus, SettingsChange
from lara.mentions.replay import dead_letter_waiting

from .access import is_admin, lead_or_admin


def channels_with_problems() -> list[Channel]:
    """Channels that lost their access, or whose last error is newer than their last success."""
    return list(
        Channel.objects.filter(
            Q(auth_failed_at__isnull=False)
            | Q(last_error_at__isnull=False, last_success_at__isnull=True)
            | Q(last_error_at__gt=F("last_success_at"))
        ).order_by("name")
    )


@lead_or_admin
def settings_index(request: HttpRequest) -> HttpResponse:
    admin = is_admin(request)
    context: dict[str, object] = {"is_admin": admin}
    if admin:
        context.update(
            problems=channels_with_problems(),
            dead_letters=dead_letter_waiting().count(),
            failed_jobs=Job.objects.filter(status=JobStatus.FAILED).count(),
            changes=SettingsChange.objects.select_related("actor")[:20],
        )
    return render(request, "lara/settings/index.html", context)
