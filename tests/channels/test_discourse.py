"""Discourse: new posts and query searches polled once; replies in the topic with an API key.

A loopback HTTP server answers like a Discourse forum's JSON API, with the
recorded payloads under channels/discourse/fixtures/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from lara.channels.base import ChannelError, OutboundReply
from lara.channels.discourse.adapter import DiscourseAdapter
from lara.channels.discourse.cooked import cooked_text
from lara.channels.models import Channel
from lara.mentions.models import Message, MonitoringQuery
from lara.mentions.polling import channel_poll

from ..factories import ChannelFactory
from ..loopback import QuietHandler, serving

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/discourse/fixtures"
KEYED = {"api_key": "d1sc0urse-key", "api_username": "volta_support"}


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class _Forum(QuietHandler):
    requests: list[tuple[str, str, dict[str, list[str]], dict[str, str], Any]] = []
    refusal: tuple[int, dict[str, Any]] | None = None

    def _answer(self, body: Any) -> None:
        parts = urlsplit(self.path)
        _Forum.requests.append((self.command, parts.path, parse_qs(parts.query), dict(self.headers), body))
        if _Forum.refusal:
            self.send_json(*_Forum.refusal)
            return
        posts = {str(p["id"]): p for p in _fixture("posts_latest.json")["latest_posts"]}
        path = parts.path
        if path == "/posts.json" and self.command == "GET":
            self.send_json(200, _fixture("posts_latest.json"))
        elif path == "/posts.json":
            self.send_json(200, _fixture("create_post_response.json"))
        elif path == "/search.json":
            self.send_json(200, _fixture("search.json"))
        elif path.startswith("/posts/"):
            post_id = path.removeprefix("/posts/").removesuffix(".json")
            if (FIXTURES / f"post_{post_id}.json").exists():
                self.send_json(200, _fixture(f"post_{post_id}.json"))
            elif post_id in posts:
                self.send_json(200, posts[post_id])
            else:
                self.send_json(404, {"errors": ["The requested URL or resource could not be found."]})
        elif path == "/session/current.json":
            self.send_json(200, _fixture("session_current.json"))
        elif path == "/site.json":
            self.send_json(200, _fixture("site.json"))
        else:
            self.send_json(404, {"errors": ["not found"]})

    def do_GET(self) -> None:
        self._answer(None)

    def do_POST(self) -> None:
        self._answer(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))


@pytest.fixture
def forum_url() -> Iterator[str]:
    _Forum.requests, _Forum.refusal = [], None
    with serving(_Forum) as base:
        yield base


@pytest.fixture
def forum(org: dict[str, Any], forum_url: str) -> Channel:
    channel = ChannelFactory(slug="forum", network="discourse", name="Volta riders forum")
    channel.config = {"base_url": forum_url}
    channel.credentials = KEYED
    channel.save()
    return channel


def test_new_posts_are_stored_once_as_topics_and_comments(forum: Channel, forum_url: str) -> None:
    first = channel_poll(forum.pk)
    second = channel_poll(forum.pk)

    assert [r.outcome for r in first] == ["created", "created"]
    assert second == []
    # The pinned notice (a small action) and the brand's own reply are not customers' posts.
    assert sorted(Message.objects.values_list("external_id", flat=True)) == ["20410", "20415"]
    topic = Message.objects.get(external_id="20410")
    assert (topic.kind, topic.thread_key, topic.subject, topic.public) == (
        "post",
        "4821",
        "Kick firmware update stuck at 80%",
        True,
    )
    assert topic.text == (
        'Kick firmware update stuck at 80%\n\nThe app says "firmware 2.4" but the\n'
        "update never finishes. Kick 2023, app 5.1."
    )
    assert topic.url == f"{forum_url}/t/kick-firmware-update-stuck-at-80/4821/1"
    assert (topic.author_external_id, topic.author_handle, topic.author_name) == (
        "77",
        "@dana_l",
        "Dana Levi",
    )
    assert topic.created_at.isoformat() == "2024-11-25T11:58:41+00:00"
    comment = Message.objects.get(external_id="20415")
    assert (comment.kind, comment.thread_key, comment.conversation_key) == ("comment", "4821", "4821")
    assert comment.text == (
        "> the update never finishes\nSame here :frowning: & it bricked the display. @volta_support any news?"
    )
    assert comment.url == f"{forum_url}/t/kick-firmware-update-stuck-at-80/4821/2"
    assert comment.raw == {"topic_id": 4821, "post_number": 2, "reply_to_post_number": 1}
    forum.refresh_from_db()
    assert forum.poll_state == {"last_post_id": 20417}
    _, _, _, headers, _ = _Forum.requests[0]
    assert (headers["Api-Key"], headers["Api-Username"]) == ("d1sc0urse-key", "volta_support")


def test_a_monitoring_query_searches_the_forum_and_drops_excluded_words(
    forum: Channel, forum_url: str
) -> None:
    forum.config = {"base_url": forum_url, "follow_all_posts": False}
    forum.save()
    query = MonitoringQuery.objects.create(name="Cargo", query='"Volta Cargo" -job')
    query.channels.add(forum)

    first = channel_poll(forum.pk)
    requests_before = len(_Forum.requests)
    second = channel_poll(forum.pk)

    assert [r.outcome for r in first] == ["created"]
    assert second == []
    searches = [q for method, path, q, _, _ in _Forum.requests if path == "/search.json"]
    assert searches[0] == {"q": ['"Volta Cargo" order:latest']}
    # The job post is found by the forum but excluded by "-job"; the second poll fetches no post again.
    assert [p for _, p, _, _, _ in _Forum.requests[:requests_before]] == [
        "/search.json",
        "/posts/19540.json",
        "/posts/19877.json",
    ]
    assert [p for _, p, _, _, _ in _Forum.requests[requests_before:]] == ["/search.json"]
    found = Message.objects.get()
    assert (found.external_id, found.kind, found.author_handle) == ("19877", "post", "@marek_rides")
    assert found.text == (
        "Volta Cargo delivery times?\n\nThinking about the Volta Cargo but the dealer in Haifa says 6 weeks. "
        "Is that normal?"
    )
    assert found.url == f"{forum_url}/t/volta-cargo-delivery-times/4790/1"
    assert list(found.queries.all()) == [query]


@pytest.mark.parametrize(("query", "stored"), [("Cargo NEAR/2 Haifa", []), ("Cargo NEAR/6 Haifa", ["19877"])])
def test_a_near_query_keeps_only_the_hits_within_the_distance(
    forum: Channel, forum_url: str, query: str, stored: list[str]
) -> None:
    """The forum searches NEAR/n as plain AND; the words' distance is checked here on every hit."""
    forum.config = {"base_url": forum_url, "follow_all_posts": False}
    forum.save()
    MonitoringQuery.objects.create(name="Cargo in Haifa", query=query).channels.add(forum)

    channel_poll(forum.pk)

    assert list(Message.objects.values_list("external_id", flat=True)) == stored


def test_a_forum_rate_limit_sets_the_next_poll(forum: Channel) -> None:
    _Forum.refusal = (429, _fixture("rate_limit.json"))
    before = timezone.now()

    assert channel_poll(forum.pk) == []

    forum.refresh_from_db()
    assert forum.next_poll_at is not None
    assert before + timedelta(seconds=12) <= forum.next_poll_at <= timezone.now() + timedelta(seconds=14)
    assert forum.last_error.startswith("Discourse rate limit: You’ve performed this action too many times.")


def test_a_revoked_api_key_raises_the_auth_alert(forum: Channel) -> None:
    _Forum.refusal = (
        403,
        {"errors": ["You are not permitted to view the requested resource."], "error_type": "invalid_access"},
    )

    assert channel_poll(forum.pk) == []

    forum.refresh_from_db()
    assert forum.auth_failed_at is not None
    assert forum.last_error == (
        "Discourse refused the API key: You are not permitted to view the requested resource."
    )


def _reply(base: str) -> OutboundReply:
    return OutboundReply(
        channel="forum",
        text="Hi Yossi, a fix (firmware 2.4.1) ships tomorrow.",
        in_reply_to="20415",
        thread_key="4821",
        recipient_external_id="318",
        public=True,
        reply_id=11,
        kind="comment",
        config={"base_url": base},
    )


def test_a_reply_with_an_api_key_is_posted_in_the_topic(forum_url: str) -> None:
    adapter = DiscourseAdapter()

    result = adapter.send(_reply(forum_url), KEYED)

    assert adapter.can_reply(config={"base_url": forum_url}, credentials=KEYED) is True
    assert (result.external_id, result.url) == (
        "20431",
        f"{forum_url}/t/kick-firmware-update-stuck-at-80/4821/5",
    )
    method, path, _, headers, body = _Forum.requests[-1]
    assert (method, path) == ("POST", "/posts.json")
    assert body == {
        "topic_id": 4821,
        "raw": "Hi Yossi, a fix (firmware 2.4.1) ships tomorrow.",
        "reply_to_post_number": 2,
    }
    assert (headers["Api-Key"], headers["Api-Username"]) == ("d1sc0urse-key", "volta_support")


def test_without_an_api_key_a_reply_is_refused_with_the_link(forum_url: str) -> None:
    adapter = DiscourseAdapter()

    with pytest.raises(ChannelError) as caught:
        adapter.send(_reply(forum_url), {})

    assert str(caught.value) == (
        "this Discourse forum takes no replies through its API (no api_key); "
        f"answer on the site: {forum_url}/p/20415"
    )
    assert caught.value.permanent is True
    assert adapter.can_reply(config={"base_url": forum_url}, credentials={}) is False
    assert _Forum.requests == []


def test_the_connection_check_names_the_account_or_says_read_only(forum_url: str) -> None:
    config = {"base_url": forum_url}

    assert DiscourseAdapter().check(config=config, credentials=KEYED) == (
        f"connected to {forum_url} as @volta_support"
    )
    assert DiscourseAdapter().check(config=config, credentials={}) == (
        f"{forum_url} reachable, read only (no api_key: replies become tasks with the link)"
    )
    with pytest.raises(ChannelError, match="needs its base_url"):
        DiscourseAdapter().check(config={}, credentials={})


def test_cooked_html_becomes_plain_text_without_running_anything() -> None:
    cooked = (
        '<p>Hi &lt;script&gt; <script>alert("x")</script><strong>bold</strong><br>'
        '<img src="/i.png" class="emoji" alt=":+1:"> <img src="/photo.jpg"></p>'
        "<ul><li>one</li><li>two</li></ul>"
    )

    assert cooked_text(cooked) == "Hi <script> bold\n:+1:\none\ntwo"


def test_a_post_without_a_date_is_refused_with_the_reason(forum_url: str) -> None:
    item = {
        "id": 5,
        "username": "x",
        "cooked": "<p>hi</p>",
        "post_number": 1,
        "topic_id": 9,
        "_base": forum_url,
    }

    with pytest.raises(ValueError, match="created_at"):
        DiscourseAdapter().parse_item(channel="forum", item=item)
