"""Poll forum, blog and news feeds (RSS 2.0 / Atom) with conditional GETs.

feedparser reads every feed dialect and sanitises entry HTML; the ETag and
Last-Modified of the previous answer go back as If-None-Match /
If-Modified-Since so an unchanged feed costs one 304 and nothing else.
Entries are posts the brand cannot answer in place: a reply becomes a task
with the link (the Act side decides that).
"""

from __future__ import annotations

import calendar
import html
import re
from datetime import UTC, datetime
from typing import Any

import feedparser
import httpx

from lara.channels.base import Author, ChannelError, InboundMessage, OutboundReply, PollResult, SendResult

TAGS = re.compile(r"<[^>]+>")
SPACES = re.compile(r"[ \t\r\f\v]+")


def _text(entry: Any) -> str:
    title = (entry.get("title") or "").strip()
    summary = entry.get("summary") or ""
    if entry.get("content"):
        summary = entry["content"][0].get("value") or summary
    body = html.unescape(TAGS.sub(" ", summary))
    body = "\n".join(SPACES.sub(" ", line).strip() for line in body.splitlines() if line.strip())
    return f"{title}\n\n{body}".strip() if body else title


def _when(entry: Any) -> datetime:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    return datetime.now(tz=UTC)


def entries_to_messages(channel: str, feed: Any) -> tuple[InboundMessage, ...]:
    """Turn parsed feed entries into InboundMessages; entries without id or link are skipped."""
    messages = []
    for entry in feed.entries:
        external_id = entry.get("id") or entry.get("link")
        if not external_id:
            continue
        author_name = (entry.get("author") or "").strip()
        messages.append(
            InboundMessage(
                channel=channel,
                external_id=external_id[:255],
                kind="post",
                text=_text(entry),
                created_at=_when(entry),
                author=Author(external_id=(author_name or "anonymous")[:200], name=author_name[:300]),
                url=(entry.get("link") or "")[:2000],
                public=True,
            )
        )
    return tuple(messages)


class RssAdapter:
    network = "rss"
    outbound = False  # feeds are answered on the site: the Act side makes a task with the link
    timeout = 20.0
    credential_fields: tuple[str, ...] = ()
    config_fields = ("feed_url",)
    field_help = {
        "feed_url": "the forum's or blog's RSS or Atom address, e.g. https://forum.example/c/volta.atom"
    }

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        """Fetch and parse the feed once, without keeping anything."""
        url = config.get("feed_url")
        if not url:
            raise ChannelError("this feed channel has no feed_url configured", permanent=True)
        response = self._get(url, {"User-Agent": "Lara feed reader"})
        feed = feedparser.parse(response.content)
        if not feed.entries and (feed.bozo or not feed.version):
            reason = feed.get("bozo_exception") or "no RSS or Atom document at this address"
            raise ChannelError(f"not a readable feed: {reason}", permanent=True)
        title = (feed.feed.get("title") or url).strip()
        return f"feed readable: {title} ({len(feed.entries)} entries)"

    def _get(self, url: str, headers: dict[str, str]) -> httpx.Response:
        try:
            response = httpx.get(url, headers=headers, timeout=self.timeout, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise ChannelError(f"feed unreachable: {exc}") from exc
        if response.status_code in (401, 403, 404, 410):
            raise ChannelError(f"feed refused: HTTP {response.status_code}", permanent=True)
        if response.status_code >= 300 and response.status_code != 304:
            raise ChannelError(f"feed failed: HTTP {response.status_code}")
        return response

    def poll(
        self, *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
    ) -> PollResult:
        url = config.get("feed_url")
        if not url:
            raise ChannelError("this feed channel has no feed_url configured", permanent=True)
        headers = {"User-Agent": "Lara feed reader"}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        response = self._get(url, headers)
        if response.status_code == 304:
            return PollResult(messages=(), state=state)
        feed = feedparser.parse(response.content)
        if feed.bozo and not feed.entries:
            raise ChannelError(f"not a readable feed: {feed.get('bozo_exception')}")
        new_state = {
            "etag": response.headers.get("ETag", ""),
            "last_modified": response.headers.get("Last-Modified", ""),
        }
        return PollResult(messages=entries_to_messages(channel, feed), state=new_state)

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        raise ChannelError("feeds cannot be answered in place; reply on the forum itself", permanent=True)
