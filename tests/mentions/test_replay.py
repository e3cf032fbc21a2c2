"""Dead letters replayed after a fix: stored once, a second replay adds nothing, failures say why."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from lara.channels.base import Author, InboundMessage
from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.channels.webhook.adapter import sign
from lara.cli import main
from lara.mentions.models import DeadLetter, Message
from lara.mentions.replay import dead_letter_replay

from ..factories import ChannelFactory, inbound

SECRET = "whsec-7c1f"


class ItemParsingFeed:
    """A poller whose parser was fixed: items need an "id" and a "title"."""

    network = "rss"

    def parse_item(self, *, channel: str, item: dict[str, Any]) -> InboundMessage:
        return InboundMessage(
            channel=channel,
            external_id=str(item["id"]),
            kind="post",
            text=str(item["title"]),
            created_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
            author=Author(external_id=str(item.get("author") or "anonymous")),
        )


@pytest.fixture
def shop(org: dict[str, Any]) -> Channel:
    channel = ChannelFactory(slug="shop", network="webhook", name="Shop tickets")
    channel.credentials = {"secret": SECRET}
    channel.save()
    return channel


@pytest.fixture
def forum(org: dict[str, Any], settings: Any) -> Any:
    settings.LARA_NETWORKS = {**settings.LARA_NETWORKS, "rss": "tests.mentions.test_replay.ItemParsingFeed"}
    adapter_for.cache_clear()
    yield ChannelFactory(slug="forum", network="rss", name="Forum")
    adapter_for.cache_clear()


def _webhook_letter(channel: Channel, items: list[dict[str, Any]], *, secret: str = SECRET) -> DeadLetter:
    """A delivery an earlier parser could not read, kept whole as webhooks.py keeps it."""
    body = json.dumps(items).encode()
    return DeadLetter.objects.create(
        channel=channel,
        source=DeadLetter.Source.WEBHOOK,
        payload={"headers": {"x-lara-signature": sign(secret, body)}, "body": body.decode(), "query": {}},
        error="item 0: unsupported field (parser before the fix)",
    )


def test_a_replayed_delivery_is_stored_once_and_a_second_replay_adds_nothing(shop: Channel) -> None:
    letter = _webhook_letter(
        shop, [inbound(external_id="t-1", text="Refund please"), inbound(external_id="t-2", text="Hi?")]
    )

    first = dead_letter_replay(dead_letter_id=letter.pk)
    second = dead_letter_replay(dead_letter_id=letter.pk)

    assert (first.created, first.duplicate, first.error) == (2, 0, "")
    assert (second.created, second.duplicate, second.error) == (0, 2, "")
    assert sorted(Message.objects.filter(channel=shop).values_list("external_id", flat=True)) == [
        "t-1",
        "t-2",
    ]
    letter.refresh_from_db()
    assert letter.replayed_at is not None
    assert letter.replay_error == ""
    assert DeadLetter.objects.count() == 1


def test_a_delivery_still_unreadable_records_why_and_files_nothing_new(shop: Channel) -> None:
    letter = _webhook_letter(shop, [inbound(external_id="t-3"), inbound(external_id="t-4", kind="tweet")])

    result = dead_letter_replay(dead_letter_id=letter.pk)
    dead_letter_replay(dead_letter_id=letter.pk)

    assert result.created == 1
    assert result.error.startswith("item 1: ")
    letter.refresh_from_db()
    assert letter.replay_error == result.error
    assert DeadLetter.objects.count() == 1
    assert Message.objects.filter(external_id="t-3").count() == 1


def test_a_forged_delivery_stays_refused_on_replay(shop: Channel) -> None:
    letter = _webhook_letter(shop, [inbound(external_id="t-5")], secret="not-the-secret")

    result = dead_letter_replay(dead_letter_id=letter.pk)

    assert result.error == "HTTP 403: signature missing or wrong"
    assert Message.objects.count() == 0


def test_a_polled_item_is_parsed_again_and_stored_once(forum: Channel) -> None:
    letter = DeadLetter.objects.create(
        channel=forum,
        source=DeadLetter.Source.POLL,
        payload={"id": "topic-77", "title": "Volta Trail motor cuts out"},
        error="no published date",
    )

    first = dead_letter_replay(dead_letter_id=letter.pk)
    second = dead_letter_replay(dead_letter_id=letter.pk)

    assert (first.created, first.duplicate, second.created, second.duplicate) == (1, 0, 0, 1)
    assert Message.objects.get(channel=forum).text == "Volta Trail motor cuts out"


def test_a_polled_item_still_unparseable_keeps_its_error(forum: Channel) -> None:
    letter = DeadLetter.objects.create(
        channel=forum, source=DeadLetter.Source.POLL, payload={"title": "no id"}, error="no id"
    )

    result = dead_letter_replay(dead_letter_id=letter.pk)

    assert result.error == "still unparseable: 'id'"
    letter.refresh_from_db()
    assert letter.replay_error == "still unparseable: 'id'"


def test_a_network_that_cannot_parse_single_items_says_so(org: dict[str, Any]) -> None:
    bot = ChannelFactory(slug="bot", network="telegram")  # a push network: nothing polled to re-parse
    letter = DeadLetter.objects.create(channel=bot, source=DeadLetter.Source.POLL, payload={}, error="x")

    assert dead_letter_replay(dead_letter_id=letter.pk).error == (
        "network 'telegram' cannot parse a single item again"
    )


def _run(argv: list[str]) -> tuple[int, str]:
    out, old = io.StringIO(), sys.stdout
    sys.stdout = out
    try:
        code = main(argv)
    finally:
        sys.stdout = old
    return code, out.getvalue()


def test_lara_replay_replays_what_is_waiting_and_reports_each(shop: Channel, forum: Channel) -> None:
    good = _webhook_letter(shop, [inbound(external_id="c-1")])
    bad = DeadLetter.objects.create(channel=forum, source=DeadLetter.Source.POLL, payload={}, error="x")

    code, out = _run(["replay"])
    again_code, again = _run(["replay", "--channel", "shop"])

    assert code == 1
    assert out == (
        f"#{good.pk} shop webhook: 1 new, 0 duplicate\n"
        f"#{bad.pk} forum poll: failed: still unparseable: 'id'\n"
        "1 replayed, 1 failed\n"
    )
    assert (again_code, again) == (0, "0 replayed, 0 failed\n")


def test_lara_replay_by_id_runs_that_letter_even_when_done(shop: Channel) -> None:
    letter = _webhook_letter(shop, [inbound(external_id="c-2")])
    dead_letter_replay(dead_letter_id=letter.pk)

    code, out = _run(["replay", "--id", str(letter.pk)])
    missing_code, missing = _run(["replay", "--id", "999999", "--channel", "shop"])

    assert (code, out) == (0, f"#{letter.pk} shop webhook: 0 new, 1 duplicate\n1 replayed, 0 failed\n")
    assert (missing_code, missing) == (2, "no dead letter 999999 on channel shop\n")
