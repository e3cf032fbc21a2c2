"""Turn Mastodon statuses into InboundMessages, from the SDK's objects or a dead letter's JSON.

Mastodon.py hands back its own dict subclasses with ``datetime`` values;
``status_plain`` reduces one to the JSON the instance sent (minus the empty
fields the SDK fills in), so a status that cannot be parsed is kept in the
dead-letter list as data and ``lara replay`` parses that same JSON again
through ``status_to_message``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lara.channels.base import Author, InboundMessage

BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)
TAGS = re.compile(r"<[^>]+>")
PUBLIC = ("public", "unlisted")
# The monitoring queries that found a status, kept with a dead-lettered one so a replay files it under them.
QUERY_IDS_KEY = "_query_ids"


def status_text(content: str) -> str:
    """Turn a status's HTML into plain text, keeping paragraph breaks."""
    return html.unescape(TAGS.sub("", BREAKS.sub("\n", content))).strip()


def status_plain(value: Any) -> Any:
    """The JSON-safe form of an SDK value: dicts and lists copied, datetimes as ISO text, nulls dropped."""
    if isinstance(value, Mapping):
        return {str(k): status_plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [status_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _created(status: Mapping[str, Any], status_id: str) -> datetime:
    created = status.get("created_at")
    if isinstance(created, str):
        try:
            created = datetime.fromisoformat(created)
        except ValueError:
            created = None
    if not isinstance(created, datetime):
        raise ValueError(f"status {status_id} has no readable created_at")
    return created.astimezone(UTC) if created.tzinfo else created.replace(tzinfo=UTC)


def status_to_message(
    channel: str, status: Mapping[str, Any], *, query_ids: tuple[int, ...] = ()
) -> InboundMessage:
    """Parse one status; raise ValueError naming what is missing (the item is then dead-lettered)."""
    status_id = str(status.get("id") or "")
    if not status_id:
        raise ValueError("status has no id")
    account = status.get("account")
    if not isinstance(account, Mapping) or not account.get("id") or not account.get("acct"):
        raise ValueError(f"status {status_id} has no account (id and acct)")
    visibility = status.get("visibility") or "public"
    in_reply_to = status.get("in_reply_to_id")
    kind = "direct" if visibility == "direct" else ("reply" if in_reply_to else "post")
    return InboundMessage(
        channel=channel,
        external_id=status_id,
        kind=kind,
        text=status_text(status.get("content") or ""),
        created_at=_created(status, status_id),
        author=Author(
            external_id=str(account["id"]),
            handle="@" + str(account["acct"]),
            name=account.get("display_name") or str(account["acct"]),
            followers=account.get("followers_count"),
            verified=False,
        ),
        url=status.get("url") or status.get("uri") or "",
        in_reply_to=str(in_reply_to) if in_reply_to else None,
        public=visibility in PUBLIC,
        raw={"visibility": visibility},
        query_ids=query_ids,
    )
