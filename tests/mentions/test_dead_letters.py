"""Nothing is dropped without a trace: unreadable deliveries and items go to the dead-letter list."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from lara.channels.base import Author, InboundMessage, PollResult
from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.channels.webhook.adapter import sign
from lara.mentions.models import DeadLetter, Message
from lara.mentions.polling import channel_poll

from ..factories import ChannelFactory, inbound

SECRET = "whsec-7c1f"


@pytest.fixture
def shop(org: dict[str, Any]) -> Channel:
    channel = ChannelFactory(slug="shop", network="webhook", name="Shop tickets")
    channel.credentials = {"secret": SECRET}
    channel.save()
    return channel


def _deliver(body: bytes, signature: str) -> Any:
    return Client().post(
        "/hooks/shop", data=body, content_type="application/json", headers={"X-Lara-Signature": signature}
    )


def test_a_rejected_item_keeps_the_whole_delivery_with_the_reason(shop: Channel) -> None:
    body = json.dumps([inbound(external_id="t1"), {"external_id": "t2"}]).encode()

    _deliver(body, sign(SECRET, body))

    letter = DeadLetter.objects.get()
    assert (letter.channel, letter.source) == (shop, "webhook")
    assert letter.error.startswith("item 1: kind: Field required")
    assert letter.payload["body"] == body.decode()
    assert letter.payload["headers"]["x-lara-signature"] == sign(SECRET, body)


def test_an_unreadable_body_is_kept_and_a_forged_one_is_not(shop: Channel) -> None:
    _deliver(b"{not json", sign(SECRET, b"{not json"))
    _deliver(b"[]", "sha256=" + "0" * 64)

    letter = DeadLetter.objects.get()
    assert letter.error.startswith("body is not valid JSON")
    assert letter.payload["body"] == "{not json"


class HalfReadablePoller:
    """A poller whose network returned one good item and one it cannot parse."""

    network = "rss"

    def poll(self, *, channel: str, config: Any, credentials: Any, state: Any) -> PollResult:
        good = InboundMessage(
            channel=channel,
            external_id="post-1",
            kind="post",
            text="Volta forum post",
            created_at=datetime(2026, 11, 20, tzinfo=UTC),
            author=Author(external_id="u1"),
        )
        return PollResult(
            messages=(good,), state={"cursor": 2}, rejected=(({"id": 2, "body": None}, "no body"),)
        )


def test_an_unparseable_polled_item_is_kept_while_the_rest_is_stored(
    org: dict[str, Any], settings: Any
) -> None:
    settings.LARA_NETWORKS = {**settings.LARA_NETWORKS, "rss": f"{__name__}.HalfReadablePoller"}
    adapter_for.cache_clear()
    forum = ChannelFactory(slug="forum", network="rss", name="Forum")
    try:
        channel_poll(forum.pk)
    finally:
        adapter_for.cache_clear()

    assert list(Message.objects.values_list("external_id", flat=True)) == ["post-1"]
    letter = DeadLetter.objects.get()
    assert (letter.source, letter.payload, letter.error) == ("poll", {"id": 2, "body": None}, "no body")
    forum.refresh_from_db()
    assert forum.poll_state == {"cursor": 2}


def test_an_item_rejected_on_every_poll_is_kept_once(org: dict[str, Any], settings: Any) -> None:
    settings.LARA_NETWORKS = {**settings.LARA_NETWORKS, "rss": f"{__name__}.HalfReadablePoller"}
    adapter_for.cache_clear()
    forum = ChannelFactory(slug="forum", network="rss", name="Forum")
    try:
        channel_poll(forum.pk)
        channel_poll(forum.pk)
    finally:
        adapter_for.cache_clear()

    assert DeadLetter.objects.count() == 1
    assert Message.objects.count() == 1
