"""Feed polling: conditional GETs, entries stored once, failures recorded on the channel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from lara.channels.models import Channel
from lara.core.models import Job
from lara.mentions.models import DeadLetter, Message
from lara.mentions.polling import channel_poll, channels_poll_due
from lara.mentions.replay import dead_letter_replay

from ..factories import ChannelFactory
from ..loopback import QuietHandler, serving

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/rss/fixtures"


class _Feed(QuietHandler):
    """Serve a feed with an ETag, answering 304 when the client sends it back."""

    body = b""
    status = 200
    seen_if_none_match: list[str | None] = []

    def do_GET(self) -> None:
        _Feed.seen_if_none_match.append(self.headers.get("If-None-Match"))
        if _Feed.status != 200:
            self.send_response(_Feed.status)
            self.end_headers()
            return
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.send_header("ETag", '"v1"')
        self.end_headers()
        self.wfile.write(_Feed.body)


@pytest.fixture
def feed_server() -> Iterator[str]:
    _Feed.body, _Feed.status, _Feed.seen_if_none_match = (FIXTURES / "forum_atom.xml").read_bytes(), 200, []
    with serving(_Feed) as base:
        yield f"{base}/c/volta.atom"


@pytest.fixture
def forum(org: dict[str, Any], feed_server: str) -> Channel:
    return ChannelFactory(slug="forum", network="rss", name="Forum", config={"feed_url": feed_server})


def test_a_feed_is_stored_once_and_an_unchanged_feed_costs_a_304(forum: Channel) -> None:
    first = channel_poll(forum.pk)
    forum.refresh_from_db()
    second = channel_poll(forum.pk)

    assert [r.outcome for r in first] == ["created", "created"]
    assert second == []
    assert _Feed.seen_if_none_match == [None, '"v1"']
    assert forum.poll_state == {"etag": '"v1"', "last_modified": ""}
    trail = Message.objects.get(external_id="tag:forum.ebikers.example,2026:post-88501")
    assert trail.text == (
        "Volta Trail motor cuts out on climbs\n\n"
        "Third time this week the motor on my Volta Trail just stops on steep climbs. "
        'Anyone else? Dealer says "firmware".'
    )
    assert (trail.author_name, trail.url) == (
        "gravel_greta",
        "https://forum.ebikers.example/t/volta-trail-motor-cuts-out/88501",
    )
    assert trail.created_at.isoformat() == "2026-11-21T09:40:00+00:00"


def test_a_feed_that_repeats_entries_adds_nothing(forum: Channel) -> None:
    channel_poll(forum.pk)
    Channel.objects.filter(pk=forum.pk).update(poll_state={})

    again = channel_poll(forum.pk)

    assert [r.outcome for r in again] == ["duplicate", "duplicate"]
    assert Message.objects.count() == 2


def test_an_rss2_feed_is_read_too(forum: Channel) -> None:
    _Feed.body = (FIXTURES / "blog_rss2.xml").read_bytes()

    channel_poll(forum.pk)

    message = Message.objects.get()
    assert message.external_id == "https://urbanwheels.example/2026/11/cargo-test"
    assert (
        message.text
        == "Five cargo e-bikes we tested this autumn\n\nThe Volta Cargo won on range, lost on price."
    )


def test_a_gone_feed_is_recorded_on_the_channel(forum: Channel) -> None:
    _Feed.status = 404

    assert channel_poll(forum.pk) == []

    forum.refresh_from_db()
    assert forum.last_error == "feed refused: HTTP 404"
    assert not forum.healthy


def test_a_channel_without_a_feed_url_says_so(org: dict[str, Any]) -> None:
    channel = ChannelFactory(slug="blog", network="rss", config={})

    channel_poll(channel.pk)

    channel.refresh_from_db()
    assert channel.last_error == "this feed channel has no feed_url configured"


def test_due_channels_get_one_poll_job_each(forum: Channel) -> None:
    assert channels_poll_due() == 1
    assert channels_poll_due() == 0  # one is already waiting
    Job.objects.all().delete()
    Channel.objects.filter(pk=forum.pk).update(last_polled_at=timezone.now() - timedelta(seconds=10))
    assert channels_poll_due() == 0  # polled 10 s ago, interval 300 s
    Channel.objects.filter(pk=forum.pk).update(poll_interval_seconds=0, last_polled_at=None)
    assert channels_poll_due() == 0  # polling turned off


def test_an_entry_without_id_or_link_waits_in_the_dead_letters_and_the_rest_is_stored(forum: Channel) -> None:
    _Feed.body = (FIXTURES / "forum_atom_entry_without_id.xml").read_bytes()

    results = channel_poll(forum.pk)

    assert [r.outcome for r in results] == ["created", "created"]
    letter = DeadLetter.objects.get(channel=forum)
    assert (letter.source, letter.error) == ("poll", "the entry has neither an id nor a link to tell it by")
    assert (letter.payload["title"], letter.payload["author"]) == (
        "Volta Cargo battery swap at the Haifa shop?",
        "noa_rides",
    )


def test_a_changed_feed_does_not_file_the_same_broken_entry_twice(forum: Channel) -> None:
    _Feed.body = (FIXTURES / "forum_atom_entry_without_id.xml").read_bytes()
    channel_poll(forum.pk)
    forum.refresh_from_db()
    Channel.objects.filter(pk=forum.pk).update(
        poll_state={**forum.poll_state, "etag": ""}
    )  # as if it changed

    again = channel_poll(forum.pk)

    assert [r.outcome for r in again] == ["duplicate", "duplicate"]
    assert DeadLetter.objects.count() == 1


def test_a_dead_lettered_entry_is_stored_once_it_has_a_link(forum: Channel) -> None:
    _Feed.body = (FIXTURES / "forum_atom_entry_without_id.xml").read_bytes()
    channel_poll(forum.pk)
    letter = DeadLetter.objects.get(channel=forum)

    unchanged = dead_letter_replay(dead_letter_id=letter.pk)
    assert unchanged.error == "still unparseable: the entry has neither an id nor a link to tell it by"

    letter.payload = {**letter.payload, "link": "https://forum.ebikers.example/t/cargo-battery-swap/88503"}
    letter.save()
    fixed = dead_letter_replay(dead_letter_id=letter.pk)
    again = dead_letter_replay(dead_letter_id=letter.pk)

    assert (fixed.created, fixed.error, again.created, again.duplicate) == (1, "", 0, 1)
    swap = Message.objects.get(external_id="https://forum.ebikers.example/t/cargo-battery-swap/88503")
    assert swap.text == (
        "Volta Cargo battery swap at the Haifa shop?\n\n"
        "Does the Haifa shop swap Volta Cargo batteries while you wait?"
    )
    assert (swap.author_name, swap.created_at.isoformat()) == ("noa_rides", "2026-11-21T10:30:00+00:00")
    letter.refresh_from_db()
    assert letter.replay_error == ""
