"""Mastodon: mentions, hashtags and keywords polled with cursors (min_id); replies keep the visibility.

A loopback HTTP server answers like a Mastodon instance, with the recorded
responses under channels/mastodon/fixtures/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from lara.channels.base import ChannelError, OutboundReply
from lara.channels.mastodon.adapter import MastodonAdapter
from lara.mentions.models import DeadLetter, Message, MonitoringQuery
from lara.mentions.polling import channel_poll
from lara.mentions.replay import dead_letter_replay

from ..factories import ChannelFactory
from ..loopback import QuietHandler, serving

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/mastodon/fixtures"


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _page(items: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    """Page like Mastodon: newest first; min_id gives the page right after it, since_id the newest."""
    limit = int(query.get("limit", "20"))
    newest_first = sorted(items, key=lambda i: int(i["id"]), reverse=True)
    if "min_id" in query:
        return [i for i in newest_first if int(i["id"]) > int(query["min_id"])][-limit:]
    return [i for i in newest_first if int(i["id"]) > int(query.get("since_id", "0"))][:limit]


class _Instance(QuietHandler):
    requests: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []
    unauthorized = False
    rate_limited = False
    search_refused = False

    def _send_recorded(self, recorded: dict[str, Any]) -> None:
        """Answer exactly as recorded, the instance's own Date header included."""
        payload = json.dumps(recorded["body"]).encode()
        self.send_response_only(recorded["status"])
        for name, value in {**recorded["headers"], "Content-Type": "application/json"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _record(self, params: dict[str, Any]) -> str:
        path = urlsplit(self.path).path
        _Instance.requests.append((self.command, path, params, dict(self.headers)))
        return path

    def do_GET(self) -> None:
        path = self._record({k: v for k, v in parse_qs(urlsplit(self.path).query).items()})
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if _Instance.unauthorized:
            self.send_json(401, {"error": "The access token is invalid"})
        elif _Instance.rate_limited:
            self._send_recorded(_fixture("rate_limited.json"))
        elif path == "/api/v1/timelines/tag/voltakick":
            self.send_json(200, _page(_fixture("timeline_tag_voltakick.json"), query))
        elif path == "/api/v2/search":
            if _Instance.search_refused:
                self.send_json(422, {"error": "Validation failed: search is not enabled on this server"})
            elif (query.get("q"), query.get("type")) == ('"Volta Ride"', "statuses"):
                self.send_json(200, _fixture("search_statuses.json"))
            else:
                self.send_json(200, {"accounts": [], "statuses": [], "hashtags": []})
        elif path == "/api/v1/accounts/verify_credentials":
            self.send_json(200, _fixture("verify_credentials.json"))
        elif path == "/api/v1/notifications":
            self.send_json(200, _page(_fixture("notifications_mentions.json"), query))
        elif path.startswith("/api/v1/statuses/"):
            wanted = path.rsplit("/", 1)[-1]
            found = [
                n["status"] for n in _fixture("notifications_mentions.json") if n["status"]["id"] == wanted
            ]
            self.send_json(200 if found else 404, found[0] if found else {"error": "Record not found"})
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        params = {k: v[0] for k, v in parse_qs(raw).items()}
        if "json" in (self.headers.get("Content-Type") or ""):
            params = json.loads(raw)
        self._record(params)
        self.send_json(200, _fixture("status_post_response.json"))


@pytest.fixture
def instance() -> Iterator[str]:
    _Instance.requests, _Instance.unauthorized = [], False
    _Instance.rate_limited, _Instance.search_refused = False, False
    with serving(_Instance) as base:
        yield base


@pytest.fixture
def masto(org: dict[str, Any], instance: str) -> Any:
    channel = ChannelFactory(slug="masto", network="mastodon", name="Volta on Mastodon")
    channel.credentials = {"api_base_url": instance, "access_token": "tok-123"}
    channel.save()
    return channel


def test_mentions_are_polled_once_and_the_cursor_moves_on(masto: Any) -> None:
    first = channel_poll(masto.pk)
    second = channel_poll(masto.pk)

    assert [r.outcome for r in first] == ["created", "created"]
    assert second == []
    polls = [params for method, path, params, _ in _Instance.requests if path == "/api/v1/notifications"]
    assert polls[1]["min_id"] == ["90212"]
    public = Message.objects.get(external_id="113540198765432101")
    assert (
        public.text
        == "@volta is the Volta Ride app down for everyone? Can't unlock my Kick.\nTried twice & rebooted."
    )
    assert (public.kind, public.public, public.author_handle, public.author_followers) == (
        "post",
        True,
        "@pedalpusher@mastodon.example",
        812,
    )
    direct = Message.objects.get(external_id="113540270000000002")
    assert (direct.kind, direct.public, direct.conversation_key) == ("direct", False, "dm:109900")
    assert all(h.get("Authorization") == "Bearer tok-123" for _, _, _, h in _Instance.requests)


def test_a_revoked_token_shows_on_the_channel(masto: Any) -> None:
    _Instance.unauthorized = True

    assert channel_poll(masto.pk) == []

    masto.refresh_from_db()
    assert masto.last_error.startswith("Mastodon refused the token")


def _reply(in_reply_to: str) -> OutboundReply:
    return OutboundReply(
        channel="masto",
        text="בטח! שלחנו לך את החשבונית במייל.",
        in_reply_to=in_reply_to,
        thread_key="dm:109900",
        recipient_external_id="109900",
        public=False,
        reply_id=42,
    )


def test_a_reply_keeps_the_visibility_and_mentions_the_author(instance: str) -> None:
    result = MastodonAdapter().send(
        _reply("113540270000000002"), {"api_base_url": instance, "access_token": "tok-123"}
    )

    assert (result.external_id, result.url) == (
        "113540300000000777",
        "https://social.volta.example/@volta/113540300000000777",
    )
    method, path, params, headers = _Instance.requests[-1]
    assert (method, path) == ("POST", "/api/v1/statuses")
    assert params["status"] == "@rivka בטח! שלחנו לך את החשבונית במייל."
    assert (params["visibility"], params["in_reply_to_id"]) == ("direct", "113540270000000002")
    assert headers["Idempotency-Key"] == "lara-reply-42"


def test_replying_to_a_deleted_status_fails_for_good(instance: str) -> None:
    with pytest.raises(ChannelError, match="not found") as caught:
        MastodonAdapter().send(_reply("999"), {"api_base_url": instance, "access_token": "tok-123"})

    assert caught.value.permanent is True


def test_the_connection_check_names_the_account(instance: str) -> None:
    said = MastodonAdapter().check(config={"api_base_url": instance}, credentials={"access_token": "tok-123"})

    assert said == "connected as @volta"
    method, path, _, headers = _Instance.requests[-1]
    assert (method, path, headers.get("Authorization")) == (
        "GET",
        "/api/v1/accounts/verify_credentials",
        "Bearer tok-123",
    )


def test_the_connection_check_says_the_token_was_refused(instance: str) -> None:
    _Instance.unauthorized = True

    with pytest.raises(ChannelError, match=r"^Mastodon refused the token: ") as caught:
        MastodonAdapter().check(config={"api_base_url": instance}, credentials={"access_token": "revoked"})

    assert caught.value.auth is True


def test_the_connection_check_needs_the_instance_and_a_token() -> None:
    with pytest.raises(ChannelError, match="needs its api_base_url and an access_token"):
        MastodonAdapter().check(config={}, credentials={"access_token": "tok-123"})


# --- monitoring queries ------------------------------------------------------------------------

KICK = {"id": 7, "name": "Kick", "query": "#voltakick -job", "languages": ["en"]}
RIDE = {"id": 8, "name": "Ride app", "query": '"Volta Ride" OR voltaride', "languages": []}


def _poll(instance: str, state: dict[str, Any] | None = None, queries: list[Any] | None = None) -> Any:
    return MastodonAdapter().poll(
        channel="masto",
        config={"api_base_url": instance, "queries": [KICK, RIDE] if queries is None else queries},
        credentials={"access_token": "tok-123"},
        state=state or {},
    )


def _asked(path: str) -> list[dict[str, Any]]:
    return [params for method, p, params, _ in _Instance.requests if p == path]


def test_hashtags_and_keywords_are_searched_and_each_status_found_is_one_message(instance: str) -> None:
    result = _poll(instance)

    assert [(m.external_id, m.query_ids) for m in result.messages] == [
        ("113540198765432101", (8,)),  # a mention the keyword search found too
        ("113540270000000002", ()),
        ("113540350000000005", (8,)),
        ("113540400000000010", (7,)),
    ]  # oldest first
    greta = result.messages[3]
    assert (greta.author.handle, greta.kind, greta.public, greta.url) == (
        "@gravel_greta@fosstodon.example",
        "post",
        True,
        "https://fosstodon.example/@gravel_greta/113540400000000010",
    )
    assert greta.text == "Third flat on my #VoltaKick this month. Are the stock tyres any good?"
    kat = result.messages[2]
    assert (kat.kind, kat.public, kat.in_reply_to) == ("reply", True, "113540340000000004")
    assert _asked("/api/v1/timelines/tag/voltakick") == [{"limit": ["40"]}]
    assert _asked("/api/v2/search") == [
        {"q": ['"Volta Ride"'], "type": ["statuses"], "limit": ["40"]},
        {"q": ["voltaride"], "type": ["statuses"], "limit": ["40"]},
    ]
    assert result.state == {
        "since_id": "90212",
        "account_id": "109001",
        "queries": {"7": "113540440000000014", "8": "113540350000000005"},
    }


def test_what_the_query_excludes_our_own_posts_and_other_languages_are_left_out(instance: str) -> None:
    result = _poll(instance, queries=[KICK])

    found = {m.external_id for m in result.messages}
    assert "113540410000000011" not in found  # "New job: …" and the query says -job
    assert "113540430000000013" not in found  # @volta's own post
    assert "113540440000000014" not in found  # French, the query wants English
    assert found == {"113540198765432101", "113540270000000002", "113540400000000010"}


def test_a_second_poll_asks_each_query_only_for_what_is_new(instance: str) -> None:
    first = _poll(instance)
    _Instance.requests = []

    second = _poll(instance, state=first.state)

    assert second.messages == ()
    assert second.rejected == ()
    assert second.state == first.state
    assert _asked("/api/v1/timelines/tag/voltakick") == [{"min_id": ["113540440000000014"], "limit": ["40"]}]
    assert _asked("/api/v1/notifications")[0]["min_id"] == ["90212"]
    assert _asked("/api/v1/accounts/verify_credentials") == []  # our account id was kept


def test_a_query_taken_off_the_channel_loses_its_cursor(instance: str) -> None:
    first = _poll(instance)

    second = _poll(instance, state=first.state, queries=[RIDE])

    assert second.state["queries"] == {"8": "113540350000000005"}


def test_a_broken_status_is_rejected_with_its_reason_and_the_queries_that_found_it(instance: str) -> None:
    result = _poll(instance)

    [(item, reason)] = result.rejected
    assert reason == "status 113540420000000012 has no account (id and acct)"
    assert (item["id"], item["_query_ids"], item["created_at"]) == (
        "113540420000000012",
        [7],
        "2026-11-21T11:55:00+00:00",
    )
    assert json.loads(json.dumps(item)) == item  # kept as plain JSON in the dead-letter list


def test_an_instance_without_full_text_search_still_gives_mentions_and_hashtags(instance: str) -> None:
    _Instance.search_refused = True

    result = _poll(instance)

    assert [(m.external_id, m.query_ids) for m in result.messages] == [
        ("113540198765432101", ()),
        ("113540270000000002", ()),
        ("113540400000000010", (7,)),
    ]
    assert result.state["queries"] == {"7": "113540440000000014"}


def test_a_rate_limit_waits_as_long_as_the_instance_says(instance: str) -> None:
    _Instance.rate_limited = True

    with pytest.raises(ChannelError, match="rate limit") as caught:
        _poll(instance)

    # X-RateLimit-Reset is 5 minutes after the instance's own Date header.
    assert caught.value.retry_after is not None
    assert 295 <= caught.value.retry_after <= 300
    assert (caught.value.permanent, caught.value.auth) == (False, False)


def test_a_rate_limited_poll_is_put_off_until_the_reset(masto: Any) -> None:
    _Instance.rate_limited = True

    assert channel_poll(masto.pk) == []

    masto.refresh_from_db()
    assert masto.last_error == "Mastodon rate limit reached; waiting until the instance's reset time"
    wait = (masto.next_poll_at - timezone.now()).total_seconds()
    assert 290 <= wait <= 300


def test_polled_queries_are_stored_and_a_broken_status_waits_in_the_dead_letters(masto: Any) -> None:
    kick = MonitoringQuery.objects.create(name="Kick", query="#voltakick -job", languages=["en"])
    kick.channels.add(masto)

    results = channel_poll(masto.pk)

    assert [r.outcome for r in results] == ["created", "created", "created"]
    greta = Message.objects.get(external_id="113540400000000010")
    assert list(greta.queries.values_list("pk", flat=True)) == [kick.pk]
    letter = DeadLetter.objects.get(channel=masto)
    assert (letter.source, letter.error) == ("poll", "status 113540420000000012 has no account (id and acct)")
    assert letter.payload["_query_ids"] == [kick.pk]
    assert channel_poll(masto.pk) == []
    assert DeadLetter.objects.count() == 1


def test_a_dead_lettered_status_is_stored_once_its_json_is_complete(masto: Any) -> None:
    kick = MonitoringQuery.objects.create(name="Kick", query="#voltakick -job", languages=["en"])
    kick.channels.add(masto)
    channel_poll(masto.pk)
    letter = DeadLetter.objects.get(channel=masto)

    unchanged = dead_letter_replay(dead_letter_id=letter.pk)
    letter.refresh_from_db()
    assert unchanged.error == "still unparseable: status 113540420000000012 has no account (id and acct)"
    assert letter.replay_error == unchanged.error

    letter.payload = {**letter.payload, "account": {"id": "110999", "acct": "ghost@chaos.example"}}
    letter.save()
    fixed = dead_letter_replay(dead_letter_id=letter.pk)
    again = dead_letter_replay(dead_letter_id=letter.pk)

    assert (fixed.created, fixed.error, again.duplicate) == (1, "", 1)
    ghost = Message.objects.get(external_id="113540420000000012")
    assert (ghost.author_handle, ghost.text) == (
        "@ghost@chaos.example",
        "Brakes on my #VoltaKick squeal in the rain.",
    )
    assert list(ghost.queries.values_list("pk", flat=True)) == [kick.pk]
    letter.refresh_from_db()
    assert letter.replay_error == ""
