"""Mastodon: mentions polled with since_id, replies keep the original's visibility.

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

from lara.channels.base import ChannelError, OutboundReply
from lara.channels.mastodon.adapter import MastodonAdapter
from lara.mentions.models import Message
from lara.mentions.polling import channel_poll

from ..factories import ChannelFactory
from ..loopback import QuietHandler, serving

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/mastodon/fixtures"


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class _Instance(QuietHandler):
    requests: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []
    unauthorized = False

    def _record(self, params: dict[str, Any]) -> str:
        path = urlsplit(self.path).path
        _Instance.requests.append((self.command, path, params, dict(self.headers)))
        return path

    def do_GET(self) -> None:
        path = self._record({k: v for k, v in parse_qs(urlsplit(self.path).query).items()})
        if _Instance.unauthorized:
            self.send_json(401, {"error": "The access token is invalid"})
        elif path == "/api/v1/accounts/verify_credentials":
            self.send_json(200, _fixture("verify_credentials.json"))
        elif path == "/api/v1/notifications":
            since = parse_qs(urlsplit(self.path).query).get("since_id", ["0"])[0]
            self.send_json(
                200, [n for n in _fixture("notifications_mentions.json") if int(n["id"]) > int(since)]
            )
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
    assert polls[1]["since_id"] == ["90212"]
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
