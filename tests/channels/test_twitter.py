"""X / Twitter: mentions and searches polled with since_id, Account Activity webhooks, replies and DMs.

tweepy builds every URL on https://api.twitter.com; the client's requests
session gets a transport adapter that forwards those requests to a loopback
server answering with the recorded API v2 payloads under
channels/twitter/fixtures/. Nothing reaches the real network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django.utils import timezone

from lara.channels.base import ChannelError, OutboundReply
from lara.channels.models import Channel
from lara.channels.twitter import adapter as twitter
from lara.channels.twitter.adapter import TwitterAdapter
from lara.mentions.models import DeadLetter, Message, MonitoringQuery
from lara.mentions.polling import channel_poll

from ..loopback import QuietHandler, serving

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/twitter/fixtures"
OURS = "1450000000000000001"
SECRET = "cs-volta-9f2e"
CREDENTIALS = {
    "consumer_key": "ck-volta",
    "consumer_secret": SECRET,
    "access_token": f"{OURS}-at",
    "access_token_secret": "ats-volta",
}
NEXT_TOKEN = "7140dibdnow9c7btw3z3j1l1o5z0x1sx1l0i1mhr5w0f"


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _newer(page: dict[str, Any], since: str | None) -> dict[str, Any]:
    """What X answers for since_id: only the tweets newer than it (and their authors' includes)."""
    if not since:
        return page
    data = [t for t in page["data"] if int(t["id"]) > int(since)]
    if not data:
        return {"meta": {"result_count": 0}}
    meta = {"result_count": len(data), "newest_id": data[0]["id"]}
    if "next_token" in page["meta"]:
        meta["next_token"] = page["meta"]["next_token"]
    return {**page, "data": data, "meta": meta}


class _X(QuietHandler):
    requests: list[tuple[str, str, dict[str, list[str]], dict[str, str], Any]] = []
    failure: tuple[int, str] | None = None  # (status, fixture) answered to every request

    def _answer(self, body: Any) -> None:
        path = urlsplit(self.path).path
        query = parse_qs(urlsplit(self.path).query)
        _X.requests.append((self.command, path, query, dict(self.headers), body))
        if _X.failure:
            status, name = _X.failure
            headers = {"x-rate-limit-reset": str(int(time.time()) + 900)} if status == 429 else {}
            self.send_json(status, _fixture(name), headers)
            return
        since = query.get("since_id", [None])[0]
        if path == f"/2/users/{OURS}/mentions":
            page2 = query.get("pagination_token") == [NEXT_TOKEN]
            self.send_json(200, _newer(_fixture(f"mentions_page{2 if page2 else 1}.json"), since))
        elif path == "/2/tweets/search/recent":
            self.send_json(200, _newer(_fixture("search_recent.json"), since))
        elif path == "/2/users/me":
            self.send_json(200, _fixture("users_me.json"))
        elif path == "/2/tweets":
            self.send_json(201, _fixture("create_tweet.json"))
        elif path.startswith("/2/dm_conversations/with/"):
            self.send_json(201, _fixture("create_dm.json"))
        else:
            self.send_json(404, {"title": "Not Found Error", "status": 404})

    def do_GET(self) -> None:
        self._answer(None)

    def do_POST(self) -> None:
        self._answer(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null"))


class _Forward(requests.adapters.HTTPAdapter):
    """Send what tweepy addresses to api.twitter.com to the loopback server instead."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        request.url = (request.url or "").replace("https://api.twitter.com", self.base, 1)
        return super().send(request, **kwargs)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    _X.requests, _X.failure = [], None
    with serving(_X) as base:
        real = twitter.twitter_client

        def client(credentials: dict[str, Any]) -> Any:
            made = real(credentials)
            made.session.mount("https://api.twitter.com", _Forward(base))
            return made

        monkeypatch.setattr(twitter, "twitter_client", client)
        yield base


@pytest.fixture
def x(org: dict[str, Any], api: str) -> Channel:
    channel: Channel = org["x"]
    channel.name, channel.config = "Volta on X", {"user_id": OURS}
    channel.credentials = CREDENTIALS
    channel.save()
    return channel


def _calls(path: str) -> list[dict[str, list[str]]]:
    return [query for _, p, query, _, _ in _X.requests if p == path]


def test_mentions_are_polled_once_page_by_page_and_since_id_moves_on(x: Channel) -> None:
    first = channel_poll(x.pk)
    second = channel_poll(x.pk)

    assert [r.outcome for r in first] == ["created", "created", "created"]
    assert second == []
    polls = _calls(f"/2/users/{OURS}/mentions")
    assert polls[0] == {
        "max_results": ["100"],
        "expansions": ["author_id"],
        "user.fields": ["public_metrics,verified"],
        "tweet.fields": ["created_at,conversation_id,in_reply_to_user_id,referenced_tweets,note_tweet"],
    }
    assert polls[1]["pagination_token"] == [NEXT_TOKEN]
    assert polls[2]["since_id"] == ["1861234567890123461"] and "pagination_token" not in polls[2]
    dana = Message.objects.get(external_id="1861234567890123461")
    assert dana.text == "@volta my Volta Cargo battery died after 2 weeks & support isn't answering. Refund?"
    assert (dana.kind, dana.public, dana.thread_key, dana.in_reply_to, dana.url) == (
        "post",
        True,
        "1861234567890123461",
        "",
        "https://x.com/dana_rides/status/1861234567890123461",
    )
    assert (dana.author_external_id, dana.author_handle, dana.author_name, dana.author_followers) == (
        "1791985417",
        "@dana_rides",
        "Dana Levi",
        1200,
    )
    assert dana.created_at.isoformat() == "2026-11-20T09:14:00+00:00"
    noa = Message.objects.get(external_id="1861234567890123459")
    assert (noa.kind, noa.in_reply_to, noa.conversation_key, noa.author_verified, noa.author_followers) == (
        "reply",
        "1861234567890123450",
        "1861234567890123450",
        True,
        48210,
    )
    olena = Message.objects.get(external_id="1861234567890123455")
    assert (olena.text, olena.author_handle) == (
        "@volta Коли буде доставка Volta Kick в Україну?",
        "@kyiv_cyclist",
    )
    assert Message.objects.count() == 3
    dead = DeadLetter.objects.get()
    assert dead.error == "author 999 of tweet 1861234567890123452 is not in the response's includes"
    assert all('oauth_consumer_key="ck-volta"' in h["Authorization"] for *_, h, _ in _X.requests)
    x.refresh_from_db()
    assert x.poll_state == {
        "user_id": OURS,
        "mentions": {"since_id": "1861234567890123461"},
        "queries": {},
    }


def test_a_backlog_beyond_the_page_cap_is_finished_before_since_id_moves(x: Channel) -> None:
    x.config = {"user_id": OURS, "max_pages": 1}
    x.poll_state = {"user_id": OURS, "mentions": {"since_id": "1861234567890123400"}}
    x.save()

    channel_poll(x.pk)
    x.refresh_from_db()
    assert x.poll_state["mentions"] == {
        "since_id": "1861234567890123400",
        "next_token": NEXT_TOKEN,
        "newest_id": "1861234567890123461",
    }
    channel_poll(x.pk)
    x.refresh_from_db()

    assert x.poll_state["mentions"] == {"since_id": "1861234567890123461"}
    assert _calls(f"/2/users/{OURS}/mentions")[1]["pagination_token"] == [NEXT_TOKEN]
    assert Message.objects.count() == 3


def test_a_monitoring_query_searches_recent_posts_and_tags_what_it_found(x: Channel) -> None:
    cargo = MonitoringQuery.objects.create(name="Cargo", query="volta cargo", languages=["en", "he"])
    cargo.channels.add(x)

    channel_poll(x.pk)
    channel_poll(x.pk)

    searches = _calls("/2/tweets/search/recent")
    assert searches[0]["query"] == ["(volta cargo) -is:retweet (lang:en OR lang:he)"]
    assert "since_id" not in searches[0]
    assert searches[1]["since_id"] == ["1861234567890123470"]
    marco = Message.objects.get(external_id="1861234567890123470")
    assert marco.text == "Torn between the Volta Cargo and a Riese & Müller Load. Anyone ridden both?"
    assert list(marco.queries.values_list("name", flat=True)) == ["Cargo"]
    assert not Message.objects.filter(external_id="1861234567890123468").exists()  # our own post
    x.refresh_from_db()
    assert x.poll_state["queries"] == {str(cargo.pk): {"since_id": "1861234567890123470"}}


def test_search_results_carry_the_query_ids_that_found_them(api: str) -> None:
    config = {"user_id": OURS, "queries": [{"id": 7, "name": "Cargo", "query": "cargo", "languages": []}]}

    result = TwitterAdapter().poll(channel="x", config=config, credentials=CREDENTIALS, state={})

    assert {m.external_id: m.query_ids for m in result.messages} == {
        "1861234567890123461": (),
        "1861234567890123459": (),
        "1861234567890123455": (),
        "1861234567890123470": (7,),
    }


def test_queries_are_translated_to_x_search_syntax() -> None:
    assert twitter.search_query("volta NOT (job OR hiring)", []) == "(volta -(job OR hiring)) -is:retweet"
    assert twitter.search_query('"volta cargo" AND (kids OR family)', ["he"]) == (
        '("volta cargo" (kids OR family)) -is:retweet lang:he'
    )
    with pytest.raises(ValueError, match="unbalanced parenthesis at 1"):
        twitter.search_query("(volta", [])


def test_near_goes_to_x_as_and_and_is_checked_on_the_hits(api: str) -> None:
    queries = [
        {"id": 7, "name": "Far", "query": "volta NEAR/1 load", "languages": []},
        {"id": 8, "name": "Near", "query": "cargo NEAR/3 müller", "languages": []},
    ]
    config = {"user_id": OURS, "queries": queries}

    result = TwitterAdapter().poll(channel="x", config=config, credentials=CREDENTIALS, state={})

    searches = [q["query"] for q in _calls("/2/tweets/search/recent")]
    assert searches == [["(volta load) -is:retweet"], ["(cargo müller) -is:retweet"]]
    assert [(m.external_id, m.query_ids) for m in result.messages if m.query_ids] == [
        ("1861234567890123470", (8,))
    ]


def test_a_rate_limit_sets_the_next_poll_time_from_x_rate_limit_reset(x: Channel) -> None:
    _X.failure = (429, "error_429.json")

    assert channel_poll(x.pk) == []

    x.refresh_from_db()
    assert x.next_poll_at is not None
    wait = (x.next_poll_at - timezone.now()).total_seconds()
    assert 880 < wait <= 900
    assert x.last_error.startswith("X rate limit reached: 429 Too Many Requests")
    assert x.auth_failed_at is None


def test_a_revoked_token_raises_the_alert_on_the_channel(x: Channel) -> None:
    _X.failure = (401, "error_401.json")

    assert channel_poll(x.pk) == []

    x.refresh_from_db()
    assert x.auth_failed_at is not None
    assert (
        x.last_error == "X refused the credentials (token revoked or expired): 401 Unauthorized\nUnauthorized"
    )


def test_a_lost_permission_is_an_auth_failure_that_names_it(api: str) -> None:
    _X.failure = (403, "error_403_permissions.json")

    with pytest.raises(ChannelError) as caught:
        TwitterAdapter().send(_reply(), CREDENTIALS)

    assert caught.value.auth is True
    assert str(caught.value).startswith("X denied a permission (oauth1-permissions): 403 Forbidden")


def _deliver(slug: str, body: bytes, signature: str | None) -> Any:
    headers = {"x-twitter-webhooks-signature": signature} if signature else {}
    return Client().post(f"/hooks/{slug}", data=body, content_type="application/json", headers=headers)


def _sign(body: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def test_the_crc_challenge_is_answered_with_the_consumer_secrets_hmac(x: Channel) -> None:
    answer = Client().get("/hooks/x", {"crc_token": "crc-5f1d2a"})

    assert answer.status_code == 200
    expected = base64.b64encode(hmac.new(SECRET.encode(), b"crc-5f1d2a", hashlib.sha256).digest()).decode()
    assert answer.json() == {"response_token": f"sha256={expected}"}
    assert Client().get("/hooks/x").status_code == 400


def test_account_activity_tweets_are_stored_once_and_our_own_skipped(
    x: Channel, caplog: pytest.LogCaptureFixture
) -> None:
    body = (FIXTURES / "account_activity_tweets.json").read_bytes()

    first = _deliver("x", body, _sign(body))
    again = _deliver("x", body, _sign(body))

    assert (first.status_code, first.json()["created"], again.json()["duplicate"]) == (200, 1, 1)
    igor = Message.objects.get()
    assert igor.text == (
        '@volta Ordered a Volta Kick on Monday, still no tracking number & the app says "processing". '
        "Can you check order 58213?"
    )
    assert (igor.external_id, igor.kind, igor.in_reply_to, igor.author_handle, igor.author_followers) == (
        "1861234567890124100",
        "reply",
        "1861234567890123999",
        "@igor_m",
        4310,
    )
    assert igor.created_at.isoformat() == "2026-11-20T10:05:12+00:00"
    assert "skipped tweet 1861234567890124111: written by our own account" in caplog.text


def test_account_activity_direct_messages_become_private_messages(x: Channel) -> None:
    body = (FIXTURES / "account_activity_dm.json").read_bytes()

    assert _deliver("x", body, _sign(body)).json()["created"] == 1

    dm = Message.objects.get()
    assert (dm.external_id, dm.kind, dm.public, dm.conversation_key) == (
        "1861234567890124200",
        "direct",
        False,
        "dm:1791985417",
    )
    assert (dm.author_handle, dm.author_name, dm.author_followers) == ("@dana_rides", "Dana Levi", 1200)
    assert dm.text == "Hi, my order number is 58190. The battery died after two weeks."


@pytest.mark.parametrize("signature", [None, "sha256=Zm9yZ2Vk", "forged"])
def test_a_forged_account_activity_delivery_is_refused_whole(x: Channel, signature: str | None) -> None:
    body = (FIXTURES / "account_activity_tweets.json").read_bytes()

    answer = _deliver("x", body, signature)

    assert answer.status_code == 403
    assert Message.objects.count() == 0
    assert DeadLetter.objects.count() == 0


def test_a_tampered_delivery_is_refused(x: Channel) -> None:
    body = (FIXTURES / "account_activity_tweets.json").read_bytes()
    signature = _sign(body)

    assert _deliver("x", body.replace(b"58213", b"00000"), signature).status_code == 403
    assert Message.objects.count() == 0


def _reply(
    text: str = "Sorry to hear that, Dana! We have sent you a DM to sort out the refund.",
) -> OutboundReply:
    return OutboundReply(
        channel="x",
        text=text,
        in_reply_to="1861234567890123461",
        thread_key="1861234567890123461",
        recipient_external_id="1791985417",
        public=True,
        reply_id=42,
        kind="post",
    )


def test_a_public_reply_is_posted_in_reply_to_the_customers_post(api: str) -> None:
    result = TwitterAdapter().send(_reply(), CREDENTIALS)

    assert (result.external_id, result.url) == (
        "1861234567890123999",
        "https://x.com/i/web/status/1861234567890123999",
    )
    method, path, _, headers, body = _X.requests[-1]
    assert (method, path) == ("POST", "/2/tweets")
    assert body == {
        "text": "Sorry to hear that, Dana! We have sent you a DM to sort out the refund.",
        "reply": {"in_reply_to_tweet_id": "1861234567890123461"},
    }
    assert headers["Authorization"].startswith("OAuth ")


def test_a_direct_message_is_answered_in_the_dm_conversation(api: str) -> None:
    reply = OutboundReply(
        channel="x",
        text="Thanks Dana — the replacement battery ships today.",
        in_reply_to="1861234567890124200",
        thread_key=None,
        recipient_external_id="1791985417",
        public=False,
        reply_id=43,
        kind="direct",
    )

    result = TwitterAdapter().send(reply, CREDENTIALS)

    assert result.external_id == "1861234567890124001"
    method, path, _, _, body = _X.requests[-1]
    assert (method, path) == ("POST", "/2/dm_conversations/with/1791985417/messages")
    assert body == {"text": "Thanks Dana — the replacement battery ships today."}


def test_an_over_long_reply_is_refused_before_anything_is_sent(api: str) -> None:
    # X counts a link as 23 and a Hebrew letter as 1: 257 + 1 + 23 = 281.
    text = "א" * 257 + " https://volta.example/help/battery-replacement-programme"

    with pytest.raises(ChannelError) as caught:
        TwitterAdapter().send(_reply(text), CREDENTIALS)

    assert str(caught.value) == "X allows 280 characters in a post; this reply has 281"
    assert caught.value.permanent is True
    assert _X.requests == []


def test_a_duplicate_post_is_a_permanent_refusal(api: str) -> None:
    _X.failure = (403, "error_403_duplicate.json")

    with pytest.raises(ChannelError) as caught:
        TwitterAdapter().send(_reply(), CREDENTIALS)

    assert (caught.value.permanent, caught.value.auth) == (True, False)
    assert "duplicate content" in str(caught.value)


def test_check_says_which_account_is_connected(api: str) -> None:
    assert TwitterAdapter().check(config={}, credentials=CREDENTIALS) == (
        "connected as @volta (id 1450000000000000001)"
    )


def test_a_dead_lettered_tweet_is_parsed_again(api: str) -> None:
    page = _fixture("mentions_page2.json")
    item = {"tweet": page["data"][0], "author": page["includes"]["users"][0]}

    message = TwitterAdapter().parse_item(channel="x", item=item)

    assert (message.external_id, message.author.handle, message.thread_key) == (
        "1861234567890123455",
        "@kyiv_cyclist",
        "1861234567890123455",
    )


def test_without_a_user_id_the_account_is_looked_up_once(api: str) -> None:
    first = TwitterAdapter().poll(channel="x", config={}, credentials=CREDENTIALS, state={})
    TwitterAdapter().poll(channel="x", config={}, credentials=CREDENTIALS, state=first.state)

    assert first.state["user_id"] == OURS
    assert [p for _, p, *_ in _X.requests].count("/2/users/me") == 1


def test_a_bearer_token_alone_cannot_post(api: str) -> None:
    with pytest.raises(ChannelError, match="a bearer token can only read") as caught:
        TwitterAdapter().send(_reply(), {"bearer_token": "AAAA-app-only"})

    assert caught.value.permanent is True
    assert _X.requests == []
