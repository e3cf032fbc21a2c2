"""Poll forum, blog and news feeds (RSS 2.0 / Atom) with conditional GETs.

feedparser reads every feed dialect and sanitises entry HTML; the ETag and
Last-Modified of the previous answer go back as If-None-Match /
If-Modified-Since so an unchanged feed costs one 304 and nothing else.
Entries are posts the brand cannot answer in place: a reply becomes a task
with the link (the Act side decides that). An entry Lara cannot file (no id
and no link to tell it by) is kept as plain JSON in the dead-letter list;
``parse_item`` reads that same JSON, so ``lara replay`` can try it again.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
import time
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


def entry_plain(value: Any) -> Any:
    """The JSON-safe form of a feedparser value: dicts and lists copied, parsed dates as lists."""
    if isinstance(value, dict):  # FeedParserDict is a dict
        return {str(k): entry_plain(v) for k, v in value.items()}
    if isinstance(value, time.struct_time):
        return list(value)
    if isinstance(value, list | tuple):
        return [entry_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def entry_to_message(channel: str, entry: dict[str, Any]) -> InboundMessage:
    """Turn one entry (as ``entry_plain`` gives it) into an InboundMessage; ValueError says why not."""
    external_id = entry.get("id") or entry.get("link")
    if not external_id:
        raise ValueError("the entry has neither an id nor a link to tell it by")
    author_name = str(entry.get("author") or "").strip()
    return InboundMessage(
        channel=channel,
        external_id=str(external_id)[:255],
        kind="post",
        text=_text(entry),
        created_at=_when(entry),
        author=Author(external_id=(author_name or "anonymous")[:200], name=author_name[:300]),
        url=str(entry.get("link") or "")[:2000],
        public=True,
    )


def _fingerprint(item: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:16]


def entries_to_messages(
    channel: str, feed: Any
) -> tuple[tuple[InboundMessage, ...], tuple[tuple[dict[str, Any], str], ...]]:
    """The feed's entries as messages, and the ones that cannot be filed with the reason."""
    messages, rejected = [], []
    for entry in feed.entries:
        item = entry_plain(entry)
        try:
            messages.append(entry_to_message(channel, item))
        except ValueError as exc:
            rejected.append((item, str(exc)))
    return tuple(messages), tuple(rejected)


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
        new_state: dict[str, Any] = {
            "etag": response.headers.get("ETag", ""),
            "last_modified": response.headers.get("Last-Modified", ""),
        }
        messages, rejected = entries_to_messages(channel, feed)
        # A feed repeats its entries on every change; an entry without an id cannot be told
        # apart by the store, so the ones already dead-lettered are remembered here instead.
        marks = [_fingerprint(item) for item, _ in rejected]
        filed = set(state.get("rejected") or ())
        fresh = tuple(r for r, mark in zip(rejected, marks, strict=True) if mark not in filed)
        if marks:
            new_state["rejected"] = marks
        return PollResult(messages=messages, state=new_state, rejected=fresh)

    def parse_item(self, *, channel: str, item: dict[str, Any]) -> InboundMessage:
        """Parse a dead-lettered entry (the JSON ``poll`` kept) again."""
        return entry_to_message(channel, item)

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        raise ChannelError("feeds cannot be answered in place; reply on the forum itself", permanent=True)
