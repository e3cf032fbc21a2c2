"""Say how long a reply may be on each network, in one table the composer and the server share.

The numbers are the networks' documented maxima for the kind of message we
answer. They are counted in Unicode code points (what ``len`` and the
composer's JavaScript ``[...text].length`` both count); X's weighted count
(URLs as 23, some scripts as 2) can make a tweet that passes here fail there,
and that failure then shows on the case like any refused reply.
"""

from __future__ import annotations

#: network → {message kind or "*": maximum characters}. A network not listed has no limit.
REPLY_LIMITS: dict[str, dict[str, int]] = {
    "twitter": {"direct": 10_000, "*": 280},
    "bluesky": {"*": 300},
    "mastodon": {"*": 500},
    "facebook": {"direct": 2_000, "*": 8_000},
    "instagram": {"direct": 1_000, "*": 2_200},
    "whatsapp": {"*": 4_096},
    "telegram": {"*": 4_096},
    "reddit": {"*": 10_000},
    "reviews": {"*": 5_000},
    "discourse": {"*": 32_000},
    "chat": {"*": 4_000},  # the widget's own limit on a visitor's message
    "email": {"*": 100_000},
}


class ReplyTooLong(ValueError):
    """The reply does not fit the network's limit; the message says by how much."""


def reply_limit(*, network: str, kind: str = "") -> int | None:
    """The maximum length of a reply to a message of ``kind`` on ``network`` (None = no limit)."""
    table = REPLY_LIMITS.get(network)
    if table is None:
        return None
    return table.get(kind, table.get("*"))


def reply_check_length(*, text: str, network: str, kind: str = "") -> None:
    """Refuse a reply longer than the network takes, before it becomes an outbox row."""
    limit = reply_limit(network=network, kind=kind)
    if limit is not None and len(text) > limit:
        raise ReplyTooLong(
            f"this reply has {len(text)} characters; {network} takes at most {limit} "
            f"— shorten it by {len(text) - limit}"
        )
