"""Bluesky: notifications and searches polled over XRPC, the session kept, replies posted in thread.

A loopback HTTP server answers the XRPC endpoints like a PDS, with the
recorded lexicon JSON under channels/bluesky/fixtures/; the atproto SDK's
``Client(base_url=…)`` points at it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from lara.channels.base import ChannelError, OutboundReply
from lara.channels.bluesky import adapter as bluesky
from lara.channels.bluesky.adapter import BlueskyAdapter
from lara.channels.models import Channel
from lara.core.crypto import decrypt_json
from lara.mentions.models import Message, MonitoringQuery
from lara.mentions.polling import channel_poll

from ..factories import ChannelFactory
from ..loopback import QuietHandler, serving

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/bluesky/fixtures"
OURS = "did:plc:voltabikes7cargo2kick3qa"
PASSWORD = "abcd-efgh-ijkl-mnop"
CREDENTIALS = {"handle": "volta.bsky.social", "app_password": PASSWORD}
ROOT = "at://did:plc:voltabikes7cargo2kick3qa/app.bsky.feed.post/3lbyroot2k4xa"
SHIRA = "at://did:plc:shiracohen3haifa5mnbvcxz/app.bsky.feed.post/3lbz5ab7cd2ke"
DANA = "at://did:plc:danalevi2rides4tlv6qwxyz/app.bsky.feed.post/3lbz7x2kq4s2c"
MARCO = "at://did:plc:marcobikes4milano6ptrsua/app.bsky.feed.post/3lbz7zz2m2c2k"


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _jwt(scope: str) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"scope": scope, "sub": OURS, "iat": now, "exp": now + 7200, "jti": str(time.monotonic_ns())}
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.c2lnbmF0dXJl"


class _Pds(QuietHandler):
    requests: list[tuple[str, str, dict[str, list[str]], dict[str, str], Any]] = []
    issued: list[str] = []
    expired: set[str] = set()
    rate_limited = False

    def _auth_error(self, path: str) -> bool:
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if _Pds.rate_limited:
            reset = str(int(time.time()) + 300)
            headers = {"ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": reset}
            self.send_json(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, headers)
        elif token in _Pds.expired:
            self.send_json(400, {"error": "ExpiredToken", "message": "Token has expired"})
        elif token not in _Pds.issued:
            self.send_json(401, {"error": "AuthenticationRequired", "message": "Authentication Required"})
        else:
            return False
        return True

    def do_GET(self) -> None:
        path, query = urlsplit(self.path).path, parse_qs(urlsplit(self.path).query)
        _Pds.requests.append(("GET", path, query, dict(self.headers), None))
        if self._auth_error(path):
            return
        if path == "/xrpc/app.bsky.notification.listNotifications":
            self.send_json(200, _fixture("list_notifications.json"))
        elif path == "/xrpc/app.bsky.feed.searchPosts":
            self.send_json(200, _fixture("search_posts.json"))
        elif path == "/xrpc/app.bsky.actor.getProfiles":
            wanted = set(query.get("actors", []))
            profiles = [p for p in _fixture("get_profiles.json")["profiles"] if p["did"] in wanted]
            self.send_json(200, {"profiles": profiles})
        elif path == "/xrpc/app.bsky.feed.getPosts":
            notes = _fixture("list_notifications.json")["notifications"]
            keys = ("uri", "cid", "author", "record", "indexedAt")
            posts = [{k: n[k] for k in keys} for n in notes if n["uri"] in query.get("uris", [])]
            self.send_json(200, {"posts": posts})
        else:
            self.send_json(400, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
        _Pds.requests.append(("POST", path, {}, dict(self.headers), body))
        if path == "/xrpc/com.atproto.server.createSession":
            if body != {"identifier": "volta.bsky.social", "password": PASSWORD}:
                self.send_json(
                    401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
                )
                return
            session = _fixture("create_session.json")
            session["accessJwt"], session["refreshJwt"] = (
                _jwt("com.atproto.appPass"),
                _jwt("com.atproto.refresh"),
            )
            _Pds.issued.append(session["accessJwt"])
            self.send_json(200, session)
        elif self._auth_error(path):
            return
        elif path == "/xrpc/com.atproto.repo.createRecord":
            self.send_json(200, _fixture("create_record.json"))
        else:
            self.send_json(400, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})


@pytest.fixture
def pds() -> Iterator[str]:
    _Pds.requests, _Pds.issued, _Pds.expired, _Pds.rate_limited = [], [], set(), False
    bluesky._sessions.clear()
    with serving(_Pds) as base:
        yield base


@pytest.fixture
def sky(org: dict[str, Any], pds: str) -> Channel:
    channel: Channel = ChannelFactory(slug="sky", network="bluesky", name="Volta on Bluesky")
    channel.config = {"service_url": pds}
    channel.credentials = CREDENTIALS
    channel.save()
    return channel


def _calls(path: str) -> list[tuple[str, str, dict[str, list[str]], dict[str, str], Any]]:
    return [r for r in _Pds.requests if r[1] == path]


def test_mentions_and_replies_are_polled_once_and_the_session_is_kept(sky: Channel) -> None:
    first = channel_poll(sky.pk)
    second = channel_poll(sky.pk)

    assert [r.outcome for r in first] == ["created", "created"]
    assert second == []
    assert len(_calls("/xrpc/com.atproto.server.createSession")) == 1  # the second poll reused the session
    notes = _calls("/xrpc/app.bsky.notification.listNotifications")
    assert notes[0][2] == {"limit": ["50"], "reasons": ["mention", "reply", "quote"]}
    assert notes[1][3]["Authorization"] == f"Bearer {_Pds.issued[0]}"
    dana = Message.objects.get(external_id=DANA)
    assert dana.text == "@volta.bsky.social my Volta Cargo battery died after 2 weeks. Is there a recall?"
    assert (dana.kind, dana.public, dana.thread_key, dana.in_reply_to, dana.url) == (
        "post",
        True,
        DANA,
        "",
        "https://bsky.app/profile/dana.bsky.social/post/3lbz7x2kq4s2c",
    )
    assert (dana.author_external_id, dana.author_handle, dana.author_name, dana.author_followers) == (
        "did:plc:danalevi2rides4tlv6qwxyz",
        "@dana.bsky.social",
        "Dana Levi",
        1200,
    )
    assert dana.created_at.isoformat() == "2026-11-20T09:14:00+00:00"
    shira = Message.objects.get(external_id=SHIRA)
    assert (shira.kind, shira.text, shira.thread_key, shira.in_reply_to, shira.author_followers) == (
        "reply",
        "מתי הדגם החדש מגיע לישראל?",
        ROOT,
        ROOT,
        48210,
    )
    assert Message.objects.count() == 2  # the like is not a message
    profiles = _calls("/xrpc/app.bsky.actor.getProfiles")[0][2]
    assert profiles == {"actors": ["did:plc:danalevi2rides4tlv6qwxyz", "did:plc:shiracohen3haifa5mnbvcxz"]}
    sky.refresh_from_db()
    assert sky.poll_state["notifications"] == {"seen": "2026-11-20T09:14:01.312Z"}
    saved = decrypt_json(sky.poll_state["session"])["session"]
    assert saved.startswith(f"volta.bsky.social:::{OURS}:::{_Pds.issued[0]}:::")
    assert _Pds.issued[0] not in json.dumps(sky.poll_state)  # the session is encrypted at rest


def test_an_expired_session_logs_in_again_once(sky: Channel) -> None:
    channel_poll(sky.pk)
    _Pds.expired.add(_Pds.issued[0])

    channel_poll(sky.pk)

    sky.refresh_from_db()
    assert len(_calls("/xrpc/com.atproto.server.createSession")) == 2
    assert sky.auth_failed_at is None and sky.last_error == ""
    assert decrypt_json(sky.poll_state["session"])["session"].split(":::")[2] == _Pds.issued[1]


def test_a_monitoring_query_searches_posts_and_tags_what_it_found(sky: Channel) -> None:
    cargo = MonitoringQuery.objects.create(name="Cargo", query="volta cargo", languages=["en"])
    cargo.channels.add(sky)

    channel_poll(sky.pk)
    channel_poll(sky.pk)

    searches = [r[2] for r in _calls("/xrpc/app.bsky.feed.searchPosts")]
    assert searches[0] == {"q": ["volta cargo"], "sort": ["latest"], "limit": ["50"], "lang": ["en"]}
    assert searches[1]["since"] == ["2026-11-20T09:20:46.118Z"]
    marco = Message.objects.get(external_id=MARCO)
    assert (marco.author_handle, marco.author_followers) == ("@marco.bsky.social", 230)
    assert list(marco.queries.values_list("name", flat=True)) == ["Cargo"]
    assert Message.objects.count() == 3  # two notifications and Marco's post; our own post is skipped
    sky.refresh_from_db()
    assert sky.poll_state["queries"] == {str(cargo.pk): {"seen": "2026-11-20T09:20:46.118Z"}}


def test_search_results_carry_the_query_ids_that_found_them(pds: str) -> None:
    config = {"service_url": pds, "queries": [{"id": 4, "name": "Cargo", "query": "cargo", "languages": []}]}

    result = BlueskyAdapter().poll(channel="sky", config=config, credentials=CREDENTIALS, state={})

    assert {m.external_id: m.query_ids for m in result.messages} == {DANA: (), SHIRA: (), MARCO: (4,)}


def test_each_alternative_is_a_plain_search_and_exclusions_are_checked_on_the_hits(pds: str) -> None:
    queries = [
        {"id": 4, "name": "Cargo bikes", "query": "cargo OR bakfiets", "languages": []},
        {"id": 5, "name": "Not Müller", "query": "cargo -muller", "languages": []},
    ]
    config = {"service_url": pds, "queries": queries}

    result = BlueskyAdapter().poll(channel="sky", config=config, credentials=CREDENTIALS, state={})

    searches = [r[2]["q"] for r in _calls("/xrpc/app.bsky.feed.searchPosts")]
    assert searches == [["cargo"], ["bakfiets"], ["cargo"]]
    assert {m.external_id: m.query_ids for m in result.messages}[MARCO] == (4,)  # "Müller" excluded it from 5
    assert sorted(result.state["queries"]) == ["4", "4/2", "5"]


def test_a_rate_limit_sets_the_next_poll_time_from_ratelimit_reset(sky: Channel) -> None:
    _Pds.rate_limited = True

    assert channel_poll(sky.pk) == []

    sky.refresh_from_db()
    assert sky.next_poll_at is not None
    assert 280 < (sky.next_poll_at - timezone.now()).total_seconds() <= 300
    assert sky.last_error.startswith("Bluesky rate limit reached: 429 RateLimitExceeded")
    assert sky.auth_failed_at is None


def test_a_revoked_app_password_raises_the_alert_on_the_channel(sky: Channel) -> None:
    sky.credentials = {**CREDENTIALS, "app_password": "revoked-0000"}
    sky.save()

    assert channel_poll(sky.pk) == []

    sky.refresh_from_db()
    assert sky.auth_failed_at is not None
    assert sky.last_error == (
        "Bluesky refused the login (app password revoked or wrong?): "
        "401 AuthenticationRequired: Invalid identifier or password"
    )


def _reply(text: str) -> OutboundReply:
    return OutboundReply(
        channel="sky",
        text=text,
        in_reply_to=SHIRA,
        thread_key=ROOT,
        recipient_external_id="did:plc:shiracohen3haifa5mnbvcxz",
        public=True,
        reply_id=51,
        kind="reply",
        config={"service_url": ""},
    )


def test_a_reply_is_posted_in_the_customers_thread_with_root_and_parent_refs(pds: str) -> None:
    reply = _reply("שירה, הדגם מגיע בדצמבר! פרטים: https://volta.example/il")
    reply = OutboundReply(**{**reply.__dict__, "config": {"service_url": pds}})

    result = BlueskyAdapter().send(reply, CREDENTIALS)

    assert (result.external_id, result.url) == (
        "at://did:plc:voltabikes7cargo2kick3qa/app.bsky.feed.post/3lbz8qq2w4e6r",
        "https://bsky.app/profile/volta.bsky.social/post/3lbz8qq2w4e6r",
    )
    _, _, _, headers, body = _calls("/xrpc/com.atproto.repo.createRecord")[-1]
    assert headers["Authorization"] == f"Bearer {_Pds.issued[0]}"
    created_at = body["record"].pop("createdAt")
    assert created_at.startswith(str(timezone.now().year))
    link = "https://volta.example/il"
    start = len("שירה, הדגם מגיע בדצמבר! פרטים: ".encode())
    assert body == {
        "repo": OURS,
        "collection": "app.bsky.feed.post",
        "validate": True,
        "record": {
            "$type": "app.bsky.feed.post",
            "text": "שירה, הדגם מגיע בדצמבר! פרטים: https://volta.example/il",
            "reply": {
                "$type": "app.bsky.feed.post#replyRef",
                "root": {
                    "$type": "com.atproto.repo.strongRef",
                    "uri": ROOT,
                    "cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
                },
                "parent": {
                    "$type": "com.atproto.repo.strongRef",
                    "uri": SHIRA,
                    "cid": "bafyreicv2ojsvwn3ihxhk3h2j3e3qckgezmixfxycx4vgqk5vyrzr2ks5u",
                },
            },
            "langs": ["he"],
            "facets": [
                {
                    "$type": "app.bsky.richtext.facet",
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": link}],
                    "index": {
                        "$type": "app.bsky.richtext.facet#byteSlice",
                        "byteStart": start,
                        "byteEnd": start + len(link),
                    },
                }
            ],
        },
    }


def test_an_over_long_reply_is_refused_before_anything_is_sent(pds: str) -> None:
    # 301 graphemes, though far more code points: each flag is two, each family emoji seven.
    text = "👨‍👩‍👧‍👦" * 100 + "🇮🇱" * 100 + "a" * 101

    with pytest.raises(ChannelError) as caught:
        BlueskyAdapter().send(_reply(text), CREDENTIALS)

    assert str(caught.value) == "Bluesky allows 300 characters in a post; this reply has 301"
    assert caught.value.permanent is True
    assert _Pds.requests == []


def test_check_logs_in_and_names_the_account(pds: str) -> None:
    assert BlueskyAdapter().check(config={"service_url": pds}, credentials=CREDENTIALS) == (
        "connected as @volta.bsky.social"
    )


def test_check_says_when_the_app_password_is_wrong(pds: str) -> None:
    with pytest.raises(ChannelError) as caught:
        BlueskyAdapter().check(config={"service_url": pds}, credentials={**CREDENTIALS, "app_password": "x"})

    assert caught.value.auth is True


def test_a_dead_lettered_post_is_parsed_again(pds: str) -> None:
    note = _fixture("list_notifications.json")["notifications"][2]

    message = BlueskyAdapter().parse_item(channel="sky", item={"post": note, "followers": 48210})

    assert (message.external_id, message.thread_key, message.author.followers) == (SHIRA, ROOT, 48210)
    with pytest.raises(ValueError, match=r"record\.createdAt"):
        BlueskyAdapter().parse_item(channel="sky", item={"post": {**note, "record": {"text": "hi"}}})
