"""Record channel health so a failing connector can never fail silently.

An expired, revoked or under-permissioned token is the failure peers hide
(messages look sent but never arrive): it raises an alert on the channel,
on the admin dashboard and by e-mail to every admin, once per outage; the
next success clears it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from lara.core.models import Membership, Role
from lara.core.services import notification_create

from .models import Channel

log = logging.getLogger(__name__)


def channel_mark_success(*, channel_id: int) -> None:
    Channel.objects.filter(pk=channel_id).update(
        last_success_at=timezone.now(), auth_failed_at=None, auth_alerted_at=None
    )


def channel_mark_error(*, channel_id: int, error: str, auth: bool = False) -> None:
    now = timezone.now()
    Channel.objects.filter(pk=channel_id).update(last_error=error[:2000], last_error_at=now)
    if auth:
        Channel.objects.filter(pk=channel_id, auth_failed_at__isnull=True).update(auth_failed_at=now)
        channel_auth_alert(channel_id=channel_id)


def admin_users() -> list[object]:
    """Superusers and everyone with the admin role in a team."""
    admins = Membership.objects.filter(role=Role.ADMIN).values_list("user_id", flat=True)
    return list(get_user_model().objects.filter(Q(is_superuser=True) | Q(pk__in=admins), is_active=True))


def channel_auth_alert(*, channel_id: int) -> bool:
    """Tell every admin, in the app and by e-mail, that a channel lost its access; once per outage."""
    now = timezone.now()
    if not Channel.objects.filter(pk=channel_id, auth_alerted_at__isnull=True).update(auth_alerted_at=now):
        return False
    channel = Channel.objects.get(pk=channel_id)
    text = (
        f"Channel {channel.name} lost its access to {channel.get_network_display()}: "
        f"{channel.last_error} — reconnect it in Settings → Channels."
    )
    url = f"/settings/channels/{channel.pk}/"
    admins = admin_users()
    for user in admins:
        notification_create(user=user, text=text[:500], url=url)
    recipients = [u.email for u in admins if getattr(u, "email", "")]  # type: ignore[attr-defined]
    if recipients:
        try:
            send_mail(
                subject=f"[Lara] Channel {channel.name} needs reconnecting"[:200],
                message=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=recipients,
            )
        except OSError:
            log.exception("could not e-mail the alert for channel %s", channel.slug)
    return True
