"""The "test connection" button of the api, webhook and feed adapters, against loopback servers."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lara.channels.api.adapter import ApiAdapter
from lara.channels.base import ChannelError
from lara.channels.rss.adapter import RssAdapter
from lara.channels.webhook.adapter import WebhookAdapter

from ..loopback import QuietHandler, serving

FEEDS = Path(__file__).resolve().parents[2] / "src/lara/channels/rss/fixtures"


class _Site(QuietHandler):
    """Plays both an API client's callback (POST) and a forum's feed (GET)."""

    status = 200
    posted: list[tuple[dict[str, Any], str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Site.posted.append((json.loads(body), self.headers.get("X-Lara-Signature", "")))
        self.send_json(_Site.status, {"ok": True})

    def do_GET(self) -> None:
        if _Site.status != 200:
            self.send_response(_Site.status)
            self.end_headers()
            return
        body = (FEEDS / "forum_atom.xml").read_bytes() if self.path.endswith(".atom") else b"<html>hi</html>"
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site() -> Iterator[str]:
    _Site.status, _Site.posted = 200, []
    with serving(_Site) as base:
        yield base


def test_the_api_check_posts_a_signed_ping_to_the_callback(site: str) -> None:
    said = ApiAdapter().check(config={}, credentials={"callback_url": f"{site}/hook", "secret": "s3cret"})

    assert said == "callback reachable: HTTP 200"
    body, signature = _Site.posted[-1]
    assert body == {"type": "ping"}
    raw = json.dumps({"type": "ping"}, sort_keys=True).encode()
    assert signature == "sha256=" + hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()


def test_the_api_check_reports_a_refusing_callback(site: str) -> None:
    _Site.status = 401

    with pytest.raises(ChannelError, match=r"^callback refused the ping: HTTP 401$"):
        ApiAdapter().check(config={}, credentials={"callback_url": f"{site}/hook", "secret": "wrong"})


def test_the_api_check_reports_an_unreachable_callback() -> None:
    with pytest.raises(ChannelError, match=r"^callback unreachable: "):
        ApiAdapter().check(config={}, credentials={"callback_url": "http://127.0.0.1:9/hook"})


def test_an_api_channel_without_callback_only_receives() -> None:
    said = ApiAdapter().check(config={}, credentials={})

    assert said == "no callback_url: messages can be posted in, replies are not delivered"


def test_the_webhook_check_says_whether_signed_deliveries_can_get_in() -> None:
    assert WebhookAdapter().check(config={}, credentials={"secret": "whsec"}) == (
        "ready: deliveries signed with the channel's secret are accepted"
    )
    with pytest.raises(ChannelError, match=r"^no secret set: every delivery is refused until one is$"):
        WebhookAdapter().check(config={}, credentials={})


def test_the_feed_check_reads_the_feed_once(site: str) -> None:
    said = RssAdapter().check(config={"feed_url": f"{site}/c/volta.atom"}, credentials={})

    assert said == "feed readable: eBikers forum — Volta (2 entries)"


def test_the_feed_check_reports_a_gone_feed_and_a_page_that_is_not_a_feed(site: str) -> None:
    with pytest.raises(ChannelError, match=r"^not a readable feed: no RSS or Atom document at this address$"):
        RssAdapter().check(config={"feed_url": f"{site}/about.html"}, credentials={})
    _Site.status = 410
    with pytest.raises(ChannelError, match=r"^feed refused: HTTP 410$"):
        RssAdapter().check(config={"feed_url": f"{site}/c/volta.atom"}, credentials={})
