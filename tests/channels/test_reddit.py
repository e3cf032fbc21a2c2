"""Reddit: mentions, query searches and watched subreddits polled once; replies as comments.

praw talks to a loopback HTTP server that answers like Reddit (OAuth token
endpoint and JSON listings), with the recorded payloads under
channels/reddit/fixtures/.
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
from lara.channels.models import Channel
from lara.channels.query_syntax import lucene, matches
from lara.channels.reddit.adapter import RedditAdapter
from lara.mentions.models import Message, MonitoringQuery
from lara.mentions.polling import channel_poll
from lara.mentions.queries import query_matches

from ..factories import ChannelFactory
from ..loopback import QuietHandler, serving

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/reddit/fixtures"
CREDENTIALS = {
    "client_id": "volta-app-id",
    "client_secret": "volta-app-secret",
    "refresh_token": "rt-volta-1",
}


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class _Reddit(QuietHandler):
    requests: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = []
    token_error: tuple[int, dict[str, Any]] | None = None
    rate_limited = False
    comment_answer = "comment_response.json"

    def _record(self, params: dict[str, list[str]]) -> str:
        path = urlsplit(self.path).path.rstrip("/")
        _Reddit.requests.append((self.command, path, params, dict(self.headers)))
        return path

    def do_GET(self) -> None:
        path = self._record(parse_qs(urlsplit(self.path).query))
        listings = {
            "/message/mentions": "mentions.json",
            "/r/VoltaRide+ebikes/search": "search_new.json",
            "/r/VoltaRide+ebikes/new": "subreddit_new.json",
            "/r/VoltaRide+ebikes/comments": "subreddit_comments.json",
            "/api/v1/me": "me.json",
        }
        if _Reddit.rate_limited:
            headers = {"x-ratelimit-remaining": "0", "x-ratelimit-used": "100", "x-ratelimit-reset": "312"}
            self.send_json(429, {"message": "Too Many Requests", "error": 429}, headers)
        elif path in listings:
            self.send_json(200, _fixture(listings[path]))
        else:
            self.send_json(404, {"message": "Not Found", "error": 404})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        path = self._record(parse_qs(raw))
        if path == "/api/v1/access_token":
            status, body = _Reddit.token_error or (200, _fixture("access_token.json"))
            self.send_json(status, body)
        elif path == "/api/comment":
            self.send_json(200, _fixture(_Reddit.comment_answer))
        else:
            self.send_json(404, {"message": "Not Found", "error": 404})


@pytest.fixture
def reddit_api() -> Iterator[str]:
    _Reddit.requests, _Reddit.token_error, _Reddit.rate_limited = [], None, False
    _Reddit.comment_answer = "comment_response.json"
    with serving(_Reddit) as base:
        yield base


@pytest.fixture
def reddit(org: dict[str, Any], reddit_api: str) -> Channel:
    channel = ChannelFactory(slug="reddit", network="reddit", name="Volta on Reddit")
    channel.config = {
        "username": "volta_support",
        "subreddits": "VoltaRide+ebikes",
        "oauth_url": reddit_api,
        "reddit_url": reddit_api,
    }
    channel.credentials = CREDENTIALS
    channel.save()
    return channel


def _gets(path: str) -> list[dict[str, list[str]]]:
    return [params for method, p, params, _ in _Reddit.requests if (method, p) == ("GET", path)]


def test_mentions_are_stored_once_as_comments_of_their_post(reddit: Channel) -> None:
    first = channel_poll(reddit.pk)
    second = channel_poll(reddit.pk)

    assert [r.outcome for r in first] == ["created", "created"]
    assert second == []
    mention = Message.objects.get(external_id="t1_lz3k8qf")
    assert (mention.kind, mention.public, mention.thread_key, mention.in_reply_to) == (
        "comment",
        True,
        "1h0q7zs",
        "t3_1h0q7zs",
    )
    assert mention.text == (
        "u/volta_support my Volta Cargo's battery drops from 80% to 20% in ten minutes. "
        "Is that covered by the warranty?"
    )
    assert (mention.author_external_id, mention.author_handle, mention.author_followers) == (
        "cargo_dad_tlv",
        "u/cargo_dad_tlv",
        None,
    )
    assert (
        mention.url
        == "https://www.reddit.com/r/ebikes/comments/1h0q7zs/which_cargo_bike_for_two_kids/lz3k8qf/"
    )
    assert mention.created_at.isoformat() == "2024-11-25T10:22:00+00:00"
    assert mention.raw == {"kind": "t1", "subreddit": "ebikes", "score": 7, "num_comments": 12}
    # Without monitoring queries only the inbox is read.
    assert {p for _, p, _, _ in _Reddit.requests} == {"/api/v1/access_token", "/message/mentions"}
    assert _gets("/message/mentions")[0]["limit"] == ["100"]
    token_request = _Reddit.requests[0]
    assert token_request[2] == {"grant_type": ["refresh_token"], "refresh_token": ["rt-volta-1"]}
    assert all(
        h["Authorization"] == "bearer eyJhbGciOi-volta-test-token"
        for m, _, _, h in _Reddit.requests
        if m == "GET"
    )


def test_a_monitoring_query_searches_the_subreddits_and_tags_what_it_found(reddit: Channel) -> None:
    query = MonitoringQuery.objects.create(name="Volta products", query="Volta -job")
    query.channels.add(reddit)

    first = channel_poll(reddit.pk)
    second = channel_poll(reddit.pk)

    assert [r.outcome for r in first] == ["created"] * 5
    assert second == []
    assert sorted(Message.objects.values_list("external_id", flat=True)) == [
        "t1_lz3k8qf",
        "t1_lz3m1aa",
        "t1_lz3n222",
        "t3_1h0q7zs",
        "t3_1h0s9kd",
    ]
    search = _gets("/r/VoltaRide+ebikes/search")[0]
    assert (search["q"], search["sort"], search["restrict_sr"], search["syntax"]) == (
        ["Volta NOT job"],
        ["new"],
        ["True"],
        ["lucene"],
    )
    # Reddit's search matched this post on its link (volta.example), not its text: only the
    # poller's query_ids can tie it to the query.
    found_by_search = Message.objects.get(external_id="t3_1h0q7zs")
    assert list(found_by_search.queries.all()) == [query]
    assert (found_by_search.kind, found_by_search.thread_key, found_by_search.subject) == (
        "post",
        "1h0q7zs",
        "Which cargo bike for two kids?",
    )
    assert found_by_search.text == (
        "Which cargo bike for two kids?\n\n"
        "Two kids (3 and 6), hilly Haifa. Budget around 5k. What would you pick?"
    )
    assert (
        found_by_search.url
        == "https://www.reddit.com/r/ebikes/comments/1h0q7zs/which_cargo_bike_for_two_kids/"
    )
    # A new comment in a watched subreddit that matches the query is kept, in its post's thread.
    comment = Message.objects.get(external_id="t1_lz3n222")
    assert (comment.kind, comment.thread_key, comment.author_handle) == ("comment", "1h0s9kd", "u/dana_bikes")
    assert list(comment.queries.all()) == [query]
    # The group-ride post and its comment match nothing, and the brand's own comment is not a
    # customer's: none is stored.
    assert not Message.objects.filter(external_id__in=["t3_1h0t4mm", "t1_lz3p0c1", "t1_lz3o7ab"]).exists()
    reddit.refresh_from_db()
    assert reddit.poll_state[f"query:{query.pk}"] == {"created_utc": 1732537200.0, "names": ["t3_1h0s9kd"]}


def test_reddit_rate_limit_sets_the_next_poll(reddit: Channel) -> None:
    _Reddit.rate_limited = True
    before = timezone.now()

    assert channel_poll(reddit.pk) == []

    reddit.refresh_from_db()
    assert reddit.last_error == "Reddit rate limit (HTTP 429)"
    assert reddit.next_poll_at is not None
    assert before + timedelta(seconds=311) <= reddit.next_poll_at <= timezone.now() + timedelta(seconds=313)
    assert reddit.auth_failed_at is None


def test_a_revoked_refresh_token_raises_the_auth_alert(reddit: Channel) -> None:
    _Reddit.token_error = (400, {"error": "invalid_grant"})

    assert channel_poll(reddit.pk) == []

    reddit.refresh_from_db()
    assert reddit.auth_failed_at is not None
    assert reddit.last_error == "Reddit refused the app's credentials: invalid_grant"
    assert Message.objects.count() == 0


def _reply(in_reply_to: str, base: str) -> OutboundReply:
    return OutboundReply(
        channel="reddit",
        text="Sorry about that! A drop like this is covered: please DM us your frame number.",
        in_reply_to=in_reply_to,
        thread_key="1h0q7zs",
        recipient_external_id="cargo_dad_tlv",
        public=True,
        reply_id=7,
        kind="comment",
        config={"oauth_url": base, "reddit_url": base},
    )


def test_a_reply_is_a_comment_under_the_customers_comment(reddit_api: str) -> None:
    result = RedditAdapter().send(_reply("t1_lz3k8qf", reddit_api), CREDENTIALS)

    assert (result.external_id, result.url) == (
        "t1_lz3q9vv",
        "https://www.reddit.com/r/ebikes/comments/1h0q7zs/which_cargo_bike_for_two_kids/lz3q9vv/",
    )
    method, path, params, headers = _Reddit.requests[-1]
    assert (method, path) == ("POST", "/api/comment")
    assert params == {
        "api_type": ["json"],
        "text": ["Sorry about that! A drop like this is covered: please DM us your frame number."],
        "thing_id": ["t1_lz3k8qf"],
    }
    assert headers["Authorization"] == "bearer eyJhbGciOi-volta-test-token"


def test_a_reply_to_a_post_comments_on_the_post(reddit_api: str) -> None:
    RedditAdapter().send(_reply("t3_1h0q7zs", reddit_api), CREDENTIALS)

    assert _Reddit.requests[-1][2]["thing_id"] == ["t3_1h0q7zs"]


def test_reddits_comment_rate_limit_says_how_long_to_wait(reddit_api: str) -> None:
    _Reddit.comment_answer = "comment_ratelimit.json"

    with pytest.raises(ChannelError, match="Take a break for 5 minutes") as caught:
        RedditAdapter().send(_reply("t1_lz3k8qf", reddit_api), CREDENTIALS)

    assert (caught.value.retry_after, caught.value.permanent) == (300, False)


def test_a_locked_thread_fails_for_good(reddit_api: str) -> None:
    _Reddit.comment_answer = "comment_locked.json"

    with pytest.raises(ChannelError, match="THREAD_LOCKED") as caught:
        RedditAdapter().send(_reply("t1_lz3k8qf", reddit_api), CREDENTIALS)

    assert (caught.value.permanent, caught.value.auth) == (True, False)


def test_the_connection_check_names_the_account(reddit_api: str) -> None:
    config = {"oauth_url": reddit_api, "reddit_url": reddit_api}

    assert RedditAdapter().check(config=config, credentials=CREDENTIALS) == "connected as u/volta_support"
    with pytest.raises(ChannelError, match="needs a refresh_token") as caught:
        RedditAdapter().check(config=config, credentials={"client_id": "volta-app-id"})
    assert caught.value.permanent is True


def test_an_item_without_a_date_is_refused_with_the_reason() -> None:
    item = {"kind": "t1", "id": "abc", "name": "t1_abc", "body": "hi", "link_id": "t3_x"}

    with pytest.raises(ValueError, match="created_utc"):
        RedditAdapter().parse_item(channel="reddit", item=item)


@pytest.mark.parametrize(
    ("query", "search", "text", "hit"),
    [
        ("Volta -job", "Volta NOT job", "Volta's new Kick", True),
        ("Volta -job", "Volta NOT job", "Volta job offer", False),
        ('Kick OR "Volta Cargo"', '(Kick) OR ("Volta Cargo")', "the volta cargo bike", True),
        ("brakes squeak", "brakes AND squeak", "the brakes squeal", False),
        ("וולטה", "וולטה", "קניתי את הוולטה אתמול", True),
        ("вольт", "вольт", "Вольты у нас нет", True),
    ],
)
def test_queries_become_lucene_searches_and_match_new_items(
    query: str, search: str, text: str, hit: bool
) -> None:
    assert (lucene(query), matches(query, text)) == (search, hit)
    assert query_matches(query, text) is hit  # the same answer as the matcher ingest uses
