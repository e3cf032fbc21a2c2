"""Hear mentions on Mastodon and answer them with the same visibility.

Mastodon.py does the HTTP; the notifications endpoint is polled with
``since_id`` so each poll asks only for what is new. A reply keeps the
visibility of the status it answers (a direct message stays direct) and
starts with the author's handle, as Mastodon only notifies people mentioned.
"""

from __future__ import annotations

import html
import re
from datetime import UTC
from typing import Any

from mastodon import (
    Mastodon,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from lara.channels.base import Author, ChannelError, InboundMessage, OutboundReply, PollResult, SendResult

BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)
TAGS = re.compile(r"<[^>]+>")
PUBLIC = ("public", "unlisted")


def status_text(content: str) -> str:
    """Turn a status's HTML into plain text, keeping paragraph breaks."""
    return html.unescape(TAGS.sub("", BREAKS.sub("\n", content))).strip()


def status_to_message(channel: str, status: Any) -> InboundMessage:
    account = status["account"]
    visibility = status.get("visibility", "public")
    in_reply_to = status.get("in_reply_to_id")
    kind = "direct" if visibility == "direct" else ("reply" if in_reply_to else "post")
    created = status["created_at"]
    return InboundMessage(
        channel=channel,
        external_id=str(status["id"]),
        kind=kind,
        text=status_text(status.get("content") or ""),
        created_at=created.astimezone(UTC),
        author=Author(
            external_id=str(account["id"]),
            handle="@" + account["acct"],
            name=account.get("display_name") or account["acct"],
            followers=account.get("followers_count"),
            verified=False,
        ),
        url=status.get("url") or status.get("uri") or "",
        in_reply_to=str(in_reply_to) if in_reply_to else None,
        public=visibility in PUBLIC,
        raw={"visibility": visibility},
    )


def _client(credentials: dict[str, Any]) -> Mastodon:
    base = credentials.get("api_base_url")
    token = credentials.get("access_token")
    if not base or not token:
        raise ChannelError("this Mastodon channel needs its api_base_url and an access_token", permanent=True)
    return Mastodon(api_base_url=base, access_token=token, request_timeout=20, version_check_mode="none")


def _error(exc: MastodonError) -> ChannelError:
    if isinstance(exc, MastodonUnauthorizedError):
        return ChannelError(f"Mastodon refused the token: {exc}", permanent=True)
    if isinstance(exc, MastodonNotFoundError):
        return ChannelError(f"Mastodon status not found: {exc}", permanent=True)
    if isinstance(exc, MastodonNetworkError | MastodonServerError):
        return ChannelError(f"Mastodon unreachable: {exc}")
    return ChannelError(f"Mastodon error: {exc}")


class MastodonAdapter:
    network = "mastodon"

    def poll(
        self, *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
    ) -> PollResult:
        client = _client(credentials)
        try:
            notes = client.notifications(types=["mention"], since_id=state.get("since_id"), limit=40)
        except MastodonError as exc:
            raise _error(exc) from exc
        messages = tuple(status_to_message(channel, n["status"]) for n in notes if n.get("status"))
        newest = max((int(n["id"]) for n in notes), default=None)
        since = str(newest) if newest is not None else state.get("since_id")
        return PollResult(messages=messages, state={"since_id": since} if since else {})

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        client = _client(credentials)
        if not reply.in_reply_to:
            raise ChannelError("no Mastodon status to reply to", permanent=True)
        try:
            original = client.status(reply.in_reply_to)
            handle = "@" + original["account"]["acct"]
            text = reply.text if reply.text.startswith(handle) else f"{handle} {reply.text}"
            posted = client.status_post(
                text,
                in_reply_to_id=reply.in_reply_to,
                visibility=original["visibility"],
                idempotency_key=f"lara-reply-{reply.reply_id}",
            )
        except MastodonError as exc:
            raise _error(exc) from exc
        return SendResult(external_id=str(posted["id"]), url=posted.get("url") or "")
