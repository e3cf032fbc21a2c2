"""Turn X payloads into InboundMessages: API v2 tweets (polling) and Account Activity events (webhooks).

Each payload is validated with pydantic first, so a malformed item is refused
with the field that was wrong instead of being half-stored. X escapes ``&``,
``<`` and ``>`` in tweet text (both API versions), so the text is unescaped
once here.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lara.channels.base import Author, InboundMessage

WEB = "https://x.com"
URL = re.compile(r"(https?://\S+)")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PublicMetrics(_Loose):
    followers_count: int | None = None


class User(_Loose):
    """An API v2 user object (``includes.users``)."""

    id: str
    username: str
    name: str = ""
    verified: bool = False
    public_metrics: PublicMetrics | None = None


class ReferencedTweet(_Loose):
    type: str
    id: str


class NoteTweet(_Loose):
    text: str


class Tweet(_Loose):
    """An API v2 tweet object with the fields Lara asks for."""

    id: str
    text: str
    author_id: str
    created_at: datetime
    conversation_id: str | None = None
    in_reply_to_user_id: str | None = None
    referenced_tweets: list[ReferencedTweet] = Field(default_factory=list)
    note_tweet: NoteTweet | None = None  # the full text of a post longer than 280 characters


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "item"
    return f"{where}: {first['msg']}"


def tweet_to_message(
    channel: str, item: dict[str, Any], *, query_ids: tuple[int, ...] = ()
) -> InboundMessage:
    """Parse one polled item ``{"tweet": <v2 tweet>, "author": <v2 user>}``; ValueError says what is wrong."""
    try:
        tweet = Tweet.model_validate(item.get("tweet"))
    except ValidationError as exc:
        raise ValueError(f"not an X tweet: {_reason(exc)}") from exc
    if item.get("author") is None:
        raise ValueError(f"author {tweet.author_id} of tweet {tweet.id} is not in the response's includes")
    try:
        user = User.model_validate(item["author"])
    except ValidationError as exc:
        raise ValueError(f"not an X user: {_reason(exc)}") from exc
    replied_to = next((r.id for r in tweet.referenced_tweets if r.type == "replied_to"), None)
    return InboundMessage(
        channel=channel,
        external_id=tweet.id,
        kind="reply" if replied_to else "post",
        text=html.unescape(tweet.note_tweet.text if tweet.note_tweet else tweet.text),
        created_at=_utc(tweet.created_at),
        author=Author(
            external_id=user.id,
            handle="@" + user.username,
            name=user.name or user.username,
            followers=user.public_metrics.followers_count if user.public_metrics else None,
            verified=user.verified,
        ),
        url=f"{WEB}/{user.username}/status/{tweet.id}",
        in_reply_to=replied_to,
        thread_key=tweet.conversation_id,
        public=True,
        raw=item,
        query_ids=query_ids,
    )


# --- Account Activity API (webhooks): v1.1-shaped objects -------------------------------------


class LegacyUser(_Loose):
    id_str: str
    screen_name: str
    name: str = ""
    followers_count: int | None = None
    verified: bool = False


class ExtendedTweet(_Loose):
    full_text: str


class LegacyTweet(_Loose):
    id_str: str
    created_at: str
    user: LegacyUser
    text: str = ""
    full_text: str | None = None
    truncated: bool = False
    extended_tweet: ExtendedTweet | None = None
    in_reply_to_status_id_str: str | None = None
    retweeted_status: dict[str, Any] | None = None


LEGACY_TIME = "%a %b %d %H:%M:%S %z %Y"  # "Wed Oct 10 20:19:24 +0000 2018"


def legacy_tweet_to_message(channel: str, event: dict[str, Any]) -> InboundMessage:
    """Parse one ``tweet_create_events`` entry; ValueError says what is wrong."""
    try:
        tweet = LegacyTweet.model_validate(event)
        created = datetime.strptime(tweet.created_at, LEGACY_TIME)
    except ValidationError as exc:
        raise ValueError(f"not an X tweet event: {_reason(exc)}") from exc
    except ValueError as exc:
        raise ValueError(f"created_at: not an X timestamp: {event.get('created_at')!r}") from exc
    text = tweet.extended_tweet.full_text if tweet.extended_tweet else (tweet.full_text or tweet.text)
    user = tweet.user
    return InboundMessage(
        channel=channel,
        external_id=tweet.id_str,
        kind="reply" if tweet.in_reply_to_status_id_str else "post",
        text=html.unescape(text),
        created_at=_utc(created),
        author=Author(
            external_id=user.id_str,
            handle="@" + user.screen_name,
            name=user.name or user.screen_name,
            followers=user.followers_count,
            verified=user.verified,
        ),
        url=f"{WEB}/{user.screen_name}/status/{tweet.id_str}",
        in_reply_to=tweet.in_reply_to_status_id_str,
        # v1.1 objects carry no conversation_id: a reply joins its parent's conversation at ingest.
        thread_key=None,
        public=True,
        raw=event,
    )


class MessageData(_Loose):
    text: str


class MessageCreate(_Loose):
    sender_id: str
    message_data: MessageData


class DirectMessageEvent(_Loose):
    type: str
    id: str
    created_timestamp: str
    message_create: MessageCreate


def dm_event_sender(event: dict[str, Any]) -> str | None:
    """The sender id of a ``message_create`` event, or None for other event types."""
    if event.get("type") != "message_create":
        return None
    return str((event.get("message_create") or {}).get("sender_id") or "") or None


def dm_to_message(channel: str, event: dict[str, Any], users: dict[str, Any]) -> InboundMessage:
    """Parse one ``direct_message_events`` entry, taking the sender from the delivery's ``users`` map."""
    try:
        dm = DirectMessageEvent.model_validate(event)
        created = datetime.fromtimestamp(int(dm.created_timestamp) / 1000, tz=UTC)
    except ValidationError as exc:
        raise ValueError(f"not an X direct message event: {_reason(exc)}") from exc
    except ValueError as exc:
        raise ValueError(f"created_timestamp: not a time: {event.get('created_timestamp')!r}") from exc
    sender_id = dm.message_create.sender_id
    raw_user = users.get(sender_id)
    if raw_user is None:
        raise ValueError(f"sender {sender_id} of direct message {dm.id} is not in the delivery's users")
    try:
        sender = LegacyUser.model_validate({"id_str": sender_id, **raw_user})
    except ValidationError as exc:
        raise ValueError(f"not an X user: {_reason(exc)}") from exc
    return InboundMessage(
        channel=channel,
        external_id=dm.id,
        kind="direct",
        text=dm.message_create.message_data.text,
        created_at=created,
        author=Author(
            external_id=sender.id_str,
            handle="@" + sender.screen_name,
            name=sender.name or sender.screen_name,
            followers=sender.followers_count,
            verified=sender.verified,
        ),
        public=False,
        raw={"event": event, "sender": raw_user},
    )


def weighted_length(text: str) -> int:
    """Count ``text`` the way X does (twitter-text v3): most scripts 1, CJK and emoji 2, any URL 23.

    Latin, Hebrew, Cyrillic and Arabic count one per character, so Lara's
    languages are counted exactly; the UI shows this number beside the limit.
    """
    text = unicodedata.normalize("NFC", text)
    total = 0
    for part in URL.split(text):
        if part.startswith(("http://", "https://")):
            total += 23
            continue
        for char in part:
            code = ord(char)
            light = code <= 4351 or 8192 <= code <= 8205 or 8208 <= code <= 8223 or 8242 <= code <= 8247
            total += 1 if light else 2
    return total
