"""Turn a Bluesky post (a notification or a search hit) into an InboundMessage.

Items are the lexicon JSON (``uri``, ``cid``, ``author``, ``record``,
``indexedAt``) plus the author's follower count looked up in one batch; they
are validated with pydantic so a malformed post is refused with the field
that was wrong, and kept whole for ``lara replay``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lara.channels.base import Author, InboundMessage

WEB = "https://bsky.app"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class StrongRef(_Loose):
    uri: str
    cid: str


class ReplyRef(_Loose):
    root: StrongRef
    parent: StrongRef


class PostRecord(_Loose):
    text: str
    created_at: datetime = Field(alias="createdAt")
    reply: ReplyRef | None = None
    langs: list[str] = Field(default_factory=list)


class Profile(_Loose):
    did: str
    handle: str
    display_name: str | None = Field(default=None, alias="displayName")


class Post(_Loose):
    uri: str
    cid: str
    author: Profile
    record: PostRecord
    indexed_at: datetime = Field(alias="indexedAt")


def _reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc']) or 'item'}: {first['msg']}"


def rkey(uri: str) -> str:
    """The record key, last part of ``at://did/app.bsky.feed.post/<rkey>``."""
    return uri.rsplit("/", 1)[-1]


def post_url(handle: str, uri: str) -> str:
    return f"{WEB}/profile/{handle}/post/{rkey(uri)}"


def post_to_message(channel: str, item: dict[str, Any], *, query_ids: tuple[int, ...] = ()) -> InboundMessage:
    """Parse ``{"post": <post JSON>, "followers": n}``; ValueError says what is wrong."""
    try:
        post = Post.model_validate(item.get("post"))
    except ValidationError as exc:
        raise ValueError(f"not a Bluesky post: {_reason(exc)}") from exc
    record = post.record
    created = record.created_at
    followers = item.get("followers")
    return InboundMessage(
        channel=channel,
        external_id=post.uri,
        kind="reply" if record.reply else "post",
        text=record.text,
        created_at=created.astimezone(UTC) if created.tzinfo else created.replace(tzinfo=UTC),
        author=Author(
            external_id=post.author.did,
            handle="@" + post.author.handle,
            name=post.author.display_name or post.author.handle,
            followers=int(followers) if isinstance(followers, int) else None,
        ),
        url=post_url(post.author.handle, post.uri),
        in_reply_to=record.reply.parent.uri if record.reply else None,
        thread_key=record.reply.root.uri if record.reply else post.uri,
        public=True,
        raw=item,
        query_ids=query_ids,
    )


def indexed_at(item: dict[str, Any]) -> str:
    """The post's ``indexedAt`` as sent (ISO 8601, UTC), or "" when missing."""
    return str((item.get("post") or {}).get("indexedAt") or "")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
