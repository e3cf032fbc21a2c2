"""Channel settings: write-only credentials, business hours, test connection, dead letters, dashboard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.channels.webhook.adapter import sign
from lara.core.models import Job, JobStatus, SettingsChange
from lara.mentions.models import DeadLetter, Message

from ..channels.test_telegram import _BotApi
from ..factories import ChannelFactory, inbound
from ..loopback import serving
from .settings_helpers import admin, business_hours, login

TOKEN = "8000000001:AAF-very-secret-token"
SECRET = "tg-hook-secret-xyz"


@pytest.fixture
def bot_api() -> Iterator[str]:
    _BotApi.calls, _BotApi.fail_with, _BotApi.unauthorized = [], None, False
    with serving(_BotApi) as base:
        yield f"{base}/bot"


def _create_telegram(client: Any, **extra: str) -> Any:
    data = {
        "name": "Volta bot",
        "slug": "tg",
        "account_name": "@volta_support_bot",
        "enabled": "on",
        "poll_interval_seconds": "0",
        "config__api_base_url": "",
        "cred__bot_token": TOKEN,
        "cred__webhook_secret": SECRET,
        **business_hours(),
        **extra,
    }
    return client.post("/settings/channels/new/?network=telegram", data)


def test_a_channel_created_with_credentials_stores_them_encrypted_and_never_shows_them(
    org: dict[str, Any],
) -> None:
    client = login(admin(org))

    response = _create_telegram(client)

    channel = Channel.objects.get(slug="tg")
    assert response.status_code == 302
    assert response["Location"] == f"/settings/channels/{channel.pk}/"
    assert channel.credentials == {"bot_token": TOKEN, "webhook_secret": SECRET}
    assert TOKEN not in channel.credentials_encrypted
    assert channel.business_hours["time_zone"] == "Asia/Jerusalem"
    page = client.get(f"/settings/channels/{channel.pk}/").content.decode()
    assert TOKEN not in page
    assert SECRET not in page
    assert '<div class="helptext" id="id_cred__bot_token_helptext">set. ' in page
    change = SettingsChange.objects.get(area="channel", action="create")
    assert change.after["credentials"] == {"bot_token": "set", "webhook_secret": "set"}
    assert TOKEN not in json.dumps([change.before, change.after])


def test_an_empty_credential_keeps_the_stored_one_and_clear_removes_it(org: dict[str, Any]) -> None:
    client = login(admin(org))
    _create_telegram(client)
    channel = Channel.objects.get(slug="tg")
    form = {
        "name": "Volta bot (renamed)",
        "slug": "tg",
        "enabled": "on",
        "poll_interval_seconds": "0",
        "cred__bot_token": "",
        "cred__webhook_secret": "",
        "clear__webhook_secret": "on",
        **business_hours(),
    }

    client.post(f"/settings/channels/{channel.pk}/", form)

    channel.refresh_from_db()
    assert channel.name == "Volta bot (renamed)"
    assert channel.credentials == {"bot_token": TOKEN}
    change = SettingsChange.objects.filter(area="channel", action="update").get()
    assert (change.before["credentials"], change.after["credentials"]) == (
        {"bot_token": "set", "webhook_secret": "set"},
        {"bot_token": "set"},
    )


def test_business_hours_are_validated_with_clear_errors(org: dict[str, Any]) -> None:
    client = login(admin(org))

    bad_zone = _create_telegram(client, **business_hours(time_zone="Mars/Olympus"))
    bad_rows = _create_telegram(
        client, **business_hours(mon="0900 to 1800", holidays="2026-12-24\n2026-13-01")
    )
    bad_time = _create_telegram(client, **business_hours(tue="09:00-25:30"))

    assert "Business hours: unknown time zone &#x27;Mars/Olympus&#x27;" in bad_zone.content.decode()
    rows = bad_rows.content.decode()
    assert "Write hours as 09:00-18:00, separated by commas." in rows
    assert "2026-13-01 is not a date like 2026-12-24." in rows
    assert "Business hours: &#x27;25:30&#x27; is not a time of day" in bad_time.content.decode()
    assert not Channel.objects.filter(slug="tg").exists()


def test_holidays_and_a_country_calendar_are_saved_in_the_business_hours_shape(org: dict[str, Any]) -> None:
    client = login(admin(org))

    _create_telegram(client, **business_hours(country="il", holidays="2026-12-24", sat="", fri="08:00-13:00"))

    hours = Channel.objects.get(slug="tg").business_hours
    assert hours == {
        "time_zone": "Asia/Jerusalem",
        "weekly": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu")}
        | {"fri": [["08:00", "13:00"]]},
        "holidays": ["2026-12-24"],
        "country": "IL",
    }


def test_test_connection_says_who_it_reached_and_clears_the_auth_alert(
    org: dict[str, Any], bot_api: str
) -> None:
    client = login(admin(org))
    channel = ChannelFactory(
        slug="tg", network="telegram", name="Volta bot", config={"api_base_url": bot_api}
    )
    channel.credentials = {"bot_token": TOKEN, "webhook_secret": SECRET}
    channel.auth_failed_at = channel.auth_alerted_at = timezone.now()
    channel.last_error = "Telegram refused the bot token: it was revoked, or is mistyped"
    channel.save()

    page = client.post(f"/settings/channels/{channel.pk}/test", follow=True).content.decode()

    assert "Connection works: connected as @volta_support_bot" in page
    channel.refresh_from_db()
    assert channel.auth_failed_at is None
    assert channel.last_success_at is not None


def test_test_connection_shows_the_exact_failure(org: dict[str, Any], bot_api: str) -> None:
    client = login(admin(org))
    channel = ChannelFactory(
        slug="tg", network="telegram", name="Volta bot", config={"api_base_url": bot_api}
    )
    channel.credentials = {"bot_token": TOKEN}
    channel.save()
    _BotApi.unauthorized = True

    refused = client.post(f"/settings/channels/{channel.pk}/test", follow=True).content.decode()
    unreachable_channel = ChannelFactory(
        slug="tg2", network="telegram", name="Old bot", config={"api_base_url": "http://127.0.0.1:9/bot"}
    )
    unreachable_channel.credentials = {"bot_token": TOKEN}
    unreachable_channel.save()
    unreachable = client.post(
        f"/settings/channels/{unreachable_channel.pk}/test", follow=True
    ).content.decode()

    assert "Connection failed: Telegram refused the bot token: it was revoked, or is mistyped" in refused
    assert "Connection failed: Telegram unreachable: " in unreachable
    assert TOKEN not in refused + unreachable


def test_a_push_channel_shows_its_webhook_address(org: dict[str, Any]) -> None:
    client = login(admin(org))
    shop = ChannelFactory(slug="shop", network="webhook", name="Shop tickets")
    feed = ChannelFactory(
        slug="forum", network="rss", name="Forum", config={"feed_url": "https://f.example/a.atom"}
    )

    shop_page = client.get(f"/settings/channels/{shop.pk}/").content.decode()
    feed_page = client.get(f"/settings/channels/{feed.pk}/").content.decode()

    assert '<code dir="ltr" id="webhook-url">http://testserver/hooks/shop</code>' in shop_page
    assert "webhook-url" not in feed_page
    assert 'value="https://f.example/a.atom"' in feed_page


class BareReviews:
    """A connector that declares no fields (written before credential_fields existed)."""

    network = "reviews"

    def send(self, reply: Any, credentials: dict[str, Any]) -> Any:
        raise NotImplementedError


@pytest.fixture
def bare_reviews(settings: Any) -> Iterator[None]:
    settings.LARA_NETWORKS = {**settings.LARA_NETWORKS, "reviews": f"{__name__}.BareReviews"}
    adapter_for.cache_clear()
    yield
    adapter_for.cache_clear()


def test_a_network_without_declared_fields_gets_json_areas(org: dict[str, Any], bare_reviews: None) -> None:
    client = login(admin(org))
    channel = org["x"]
    channel.network = "reviews"
    channel.config = {"place_id": "abc"}
    channel.credentials = {"api_key": "k-123"}
    channel.save()

    page = client.get(f"/settings/channels/{channel.pk}/").content.decode()
    client.post(
        f"/settings/channels/{channel.pk}/",
        {
            "name": "Reviews",
            "slug": "x",
            "enabled": "on",
            "poll_interval_seconds": "300",
            "config_json": '{"place_id": "xyz"}',
            "credentials_json": "",
            **business_hours(),
        },
    )

    assert "Stored: api_key" in page
    assert "k-123" not in page
    channel.refresh_from_db()
    assert (channel.config, channel.credentials) == ({"place_id": "xyz"}, {"api_key": "k-123"})


def test_dead_letters_are_listed_and_replayed_once(org: dict[str, Any]) -> None:
    client = login(admin(org))
    shop = ChannelFactory(slug="shop", network="webhook", name="Shop tickets")
    shop.credentials = {"secret": "whsec"}
    shop.save()
    body = json.dumps([inbound(external_id="dl-1", text="Order 5512 never arrived")]).encode()
    letter = DeadLetter.objects.create(
        channel=shop,
        source="webhook",
        payload={"headers": {"x-lara-signature": sign("whsec", body)}, "body": body.decode(), "query": {}},
        error="item 0: <b>unknown</b> field",
    )

    page = client.get(f"/settings/channels/{shop.pk}/").content.decode()
    first = client.post(f"/settings/channels/{shop.pk}/dead-letters/{letter.pk}/replay", follow=True)
    second = client.post(f"/settings/channels/{shop.pk}/dead-letters/{letter.pk}/replay", follow=True)

    assert "item 0: &lt;b&gt;unknown&lt;/b&gt; field" in page
    assert "whsec" not in page
    assert "Replayed: 1 new, 0 already stored." in first.content.decode()
    assert "Replayed: 0 new, 1 already stored." in second.content.decode()
    assert Message.objects.filter(external_id="dl-1").count() == 1


def test_the_admin_dashboard_shows_lost_access_dead_letters_and_failed_jobs(org: dict[str, Any]) -> None:
    x = org["x"]
    now = timezone.now()
    Channel.objects.filter(pk=x.pk).update(
        auth_failed_at=now, last_error_at=now, last_error="X refused the token <revoked>"
    )
    DeadLetter.objects.create(channel=x, source="poll", payload={}, error="bad")
    done = DeadLetter.objects.create(channel=x, source="poll", payload={}, error="bad", replayed_at=now)
    Job.objects.create(task="lara.x", status=JobStatus.FAILED)
    assert done.replay_error == ""

    page = login(admin(org)).get("/settings/").content.decode()

    assert (
        '<p class="alert" role="alert">Channel x lost its access: X refused the token &lt;revoked&gt; — '
        f'<a href="/settings/channels/{x.pk}/">reconnect</a></p>'
    ) in page
    assert '<dd id="dead-letters-waiting">1</dd>' in page
    assert '<dd id="failed-jobs">1</dd>' in page


def test_the_enabled_toggle_flips_and_is_audited(org: dict[str, Any]) -> None:
    client = login(admin(org))

    client.post(f"/settings/channels/{org['x'].pk}/toggle")

    assert Channel.objects.get(pk=org["x"].pk).enabled is False
    change = SettingsChange.objects.get(area="channel")
    assert (change.before, change.after, change.actor.username) == (
        {"enabled": True},
        {"enabled": False},
        "ada",
    )
