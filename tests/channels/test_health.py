"""Channel health cannot fail silently: lost access alerts admins once; rate limits are obeyed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core import mail
from django.utils import timezone

from lara.channels.base import ChannelError
from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.channels.services import channel_mark_error, channel_mark_success
from lara.core.models import Notification, Role
from lara.mentions.polling import channel_poll, channels_poll_due

from ..factories import ChannelFactory, agent


def test_a_revoked_token_alerts_every_admin_once_until_it_works_again(org: dict[str, Any]) -> None:
    admin = agent("ada", team=org["service"], role=Role.ADMIN)
    admin.email = "ada@volta.example"
    admin.save()
    x = org["x"]

    channel_mark_error(channel_id=x.pk, error="X refused the token: 401 Unauthorized", auth=True)
    channel_mark_error(channel_id=x.pk, error="X refused the token: 401 Unauthorized", auth=True)

    x.refresh_from_db()
    assert x.auth_failed_at is not None and not x.healthy
    assert [n.user for n in Notification.objects.all()] == [admin]
    assert Notification.objects.get().url == f"/settings/channels/{x.pk}/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@volta.example"]
    assert mail.outbox[0].subject == f"[Lara] Channel {x.name} needs reconnecting"
    assert "401 Unauthorized" in mail.outbox[0].body

    channel_mark_success(channel_id=x.pk)
    channel_mark_error(channel_id=x.pk, error="X refused the token again", auth=True)

    x.refresh_from_db()
    assert x.auth_failed_at is not None
    assert len(mail.outbox) == 2  # a new outage, a new alert


def test_an_ordinary_error_raises_no_alert(org: dict[str, Any]) -> None:
    agent("ada", team=org["service"], role=Role.ADMIN)

    channel_mark_error(channel_id=org["x"].pk, error="X unreachable: timed out")

    assert Notification.objects.count() == 0
    assert Channel.objects.get(pk=org["x"].pk).auth_failed_at is None


class RateLimitedPoller:
    network = "rss"

    def poll(self, **kwargs: Any) -> Any:
        raise ChannelError("rate limited: 429", retry_after=900)


def test_a_rate_limited_poll_waits_as_long_as_the_network_asks(org: dict[str, Any], settings: Any) -> None:
    settings.LARA_NETWORKS = {**settings.LARA_NETWORKS, "rss": f"{__name__}.RateLimitedPoller"}
    adapter_for.cache_clear()
    forum = ChannelFactory(slug="forum", network="rss", name="Forum", poll_interval_seconds=60)
    try:
        channel_poll(forum.pk)
        forum.refresh_from_db()
        assert forum.next_poll_at is not None
        assert timedelta(seconds=890) < forum.next_poll_at - timezone.now() <= timedelta(seconds=900)
        Channel.objects.filter(pk=forum.pk).update(last_polled_at=timezone.now() - timedelta(seconds=120))
        assert channels_poll_due() == 0  # the interval has passed, the network's wait has not
        Channel.objects.filter(pk=forum.pk).update(next_poll_at=timezone.now() - timedelta(seconds=1))
        assert channels_poll_due() == 1
    finally:
        adapter_for.cache_clear()
    assert forum.last_error == "rate limited: 429"
    assert forum.auth_failed_at is None
