"""Hear mentions, hashtags and keywords on Mastodon and answer with the same visibility.

Mastodon.py does the HTTP. Each poll asks for what is new since the last one:
mention notifications, then every monitoring query attached to the channel,
each with its own cursor: a ``#hashtag`` reads the instance's hashtag
timeline, other words use ``/api/v2/search``. Timelines and notifications
are read with ``min_id`` rather than ``since_id``: both return only what is
newer than the cursor, but ``since_id`` gives the newest page and silently
skips the rest of a burst bigger than a page, while ``min_id`` gives the
page right after the cursor, so the next poll carries on where this one
stopped. The search takes no cursor (Mastodon orders its results newest
first), so its results are cut at the cursor here. Mastodon's search knows
neither ``OR`` nor ``-word``, so every result is matched locally with Lara's
query syntax, and one status found several ways is one message carrying
every query id.

Why polling and not the streaming API: Lara's embedded mode runs jobs in a
small shared worker pool, with no long-lived process per channel. A stream
would either hold a worker for as long as it is open (starving every other
job on a two-core machine) or be cut after N seconds, in which case what
arrived between two such windows must be fetched by cursor anyway; the
poll is the part that can never miss a status, so the poll is what Lara does,
every ``poll_interval_seconds``. Mastodon.py's ``stream_user`` ``timeout`` is
a read time-out, not a duration, and the server's heartbeats keep it from
ever firing, so even a bounded stream would need a thread and a timer.

A reply keeps the visibility of the status it answers (a direct message stays
direct) and starts with the author's handle, as Mastodon only notifies
people mentioned.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from lara.channels.base import ChannelError, InboundMessage, OutboundReply, PollResult, SendResult
from lara.channels.query_syntax import clauses, matches

from .parsing import QUERY_IDS_KEY, status_plain, status_text, status_to_message

log = logging.getLogger(__name__)

PAGE = 40  # the most Mastodon returns per request


def _client(credentials: dict[str, Any], config: dict[str, Any] | None = None) -> Mastodon:
    # The instance URL is not a secret (config); older channels kept it with the token.
    base = (config or {}).get("api_base_url") or credentials.get("api_base_url")
    token = credentials.get("access_token")
    if not base or not token:
        raise ChannelError("this Mastodon channel needs its api_base_url and an access_token", permanent=True)
    # "throw": a 429 must reach Lara (which reschedules the poll), not sleep in a worker for minutes.
    return Mastodon(
        api_base_url=base,
        access_token=token,
        request_timeout=20,
        version_check_mode="none",
        ratelimit_method="throw",
    )


def _http_status(exc: MastodonAPIError) -> int | None:
    # Mastodon.py raises with args (text, status code, reason, error message).
    return exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None


def _describe(exc: MastodonError) -> str:
    if isinstance(exc, MastodonAPIError) and len(exc.args) > 3:
        return f"HTTP {exc.args[1]}: {exc.args[3] or exc.args[2]}"
    return str(exc)


def _error(exc: MastodonError, client: Mastodon | None = None) -> ChannelError:
    if isinstance(exc, MastodonRatelimitError):
        # Mastodon.py read X-RateLimit-Reset (corrected by the server's Date) before raising.
        reset = getattr(client, "ratelimit_reset", None)
        wait = max(1.0, float(reset) - time.time()) if reset else None
        return ChannelError(
            "Mastodon rate limit reached; waiting until the instance's reset time", retry_after=wait
        )
    if isinstance(exc, MastodonUnauthorizedError):
        return ChannelError(f"Mastodon refused the token: {_describe(exc)}", auth=True)
    if isinstance(exc, MastodonNotFoundError):
        return ChannelError(f"Mastodon status not found: {_describe(exc)}", permanent=True)
    if isinstance(exc, MastodonNetworkError | MastodonServerError):
        return ChannelError(f"Mastodon unreachable: {_describe(exc)}")
    if isinstance(exc, MastodonAPIError) and _http_status(exc) == 403:
        return ChannelError(f"Mastodon refused the token's permission: {_describe(exc)}", auth=True)
    if isinstance(exc, MastodonAPIError) and (_http_status(exc) or 0) in range(400, 500):
        return ChannelError(f"Mastodon refused the request: {_describe(exc)}", permanent=True)
    return ChannelError(f"Mastodon error: {_describe(exc)}")


def _id_key(status_id: str) -> tuple[int, str]:
    # Mastodon ids are numeric strings, GoToSocial's are ULIDs: both sort by (length, text).
    return (len(status_id), status_id)


def _newest(ids: list[str], cursor: str | None) -> str | None:
    known = [i for i in ids if i] + ([cursor] if cursor else [])
    return max(known, key=_id_key) if known else None


def _is_tag(term: str) -> bool:
    return term.startswith("#") and len(term) > 1 and " " not in term


def _search_terms(required: list[str]) -> str:
    return " ".join(f'"{t}"' if " " in t else t for t in required)


def _query_statuses(
    client: Mastodon, query: Mapping[str, Any], cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Run one monitoring query: what it matches newer than ``cursor``, and the new cursor."""
    text = str(query.get("query") or "")
    try:
        parts = clauses(text)
    except ValueError as exc:  # refused when saved; never let one bad query stop the channel
        log.warning("Mastodon query %s skipped: %s", query.get("id"), exc)
        return [], cursor
    fetched: list[Any] = []
    for required, _excluded in parts:
        tags = [t for t in required if _is_tag(t)]
        if tags:
            fetched += client.timeline_hashtag(tags[0][1:], min_id=cursor, limit=PAGE)
            continue
        try:
            found = client.search_v2(
                _search_terms(required),
                resolve=False,
                result_type="statuses",
                exclude_unreviewed=False,
                limit=PAGE,
            )
        except MastodonAPIError as exc:
            if isinstance(exc, MastodonUnauthorizedError | MastodonServerError) or _http_status(exc) is None:
                raise
            # Full-text search is off on some instances and answers 4xx on some forks: the
            # notifications and the other queries still count, so this clause is skipped.
            log.warning("Mastodon search for query %s refused: %s", query.get("id"), _describe(exc))
            continue
        fetched += found.get("statuses") or []
    plain = [status_plain(s) for s in fetched]
    fresh = [s for s in plain if not cursor or not s.get("id") or _id_key(str(s["id"])) > _id_key(cursor)]
    newest = _newest([str(s.get("id") or "") for s in fresh], cursor)
    languages = set(query.get("languages") or [])
    kept = [
        s
        for s in fresh
        if not s.get("reblog")
        and (not languages or not s.get("language") or s["language"] in languages)
        and matches(text, status_text(s.get("content") or ""))
    ]
    return kept, newest


def _parse(
    channel: str, found: list[tuple[dict[str, Any], tuple[int, ...]]]
) -> tuple[tuple[InboundMessage, ...], tuple[tuple[dict[str, Any], str], ...]]:
    """One message per status with every query id that found it; unparseable statuses kept with why."""
    messages: dict[str, InboundMessage] = {}
    rejected: dict[str, tuple[dict[str, Any], str]] = {}
    for item, query_ids in found:
        key = str(item.get("id") or f"#{len(rejected)}")
        earlier = messages.get(key)
        ids = tuple(sorted(set(earlier.query_ids if earlier else ()) | set(query_ids)))
        try:
            messages[key] = status_to_message(channel, item, query_ids=ids)
        except ValueError as exc:
            before = rejected.get(key, ({}, ""))[0].get(QUERY_IDS_KEY) or []
            ids = tuple(sorted(set(before) | set(query_ids)))
            rejected[key] = ({**item, QUERY_IDS_KEY: list(ids)} if ids else item, str(exc))
    # Oldest first, so a reply is stored after the status it answers and threads onto it.
    in_order = sorted(messages.values(), key=lambda m: _id_key(m.external_id))
    return tuple(in_order), tuple(rejected.values())


class MastodonAdapter:
    network = "mastodon"
    credential_fields = ("access_token",)
    config_fields = ("api_base_url",)
    field_help = {
        "access_token": (
            "from Preferences → Development → New application, scopes read and write "
            "(read covers mentions and search)"
        ),
        "api_base_url": (
            "the instance the account lives on, e.g. https://mastodon.social. Monitoring queries: "
            "#hashtags read the instance's hashtag timeline; other words use its full-text search, "
            "which many instances limit to posts the account wrote, favourited or was mentioned in, "
            "and some have switched off (those queries then find nothing)"
        ),
    }

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        """Call verify_credentials: it proves the token and names the account replies come from."""
        client = _client(credentials, config)
        try:
            account = client.account_verify_credentials()
        except MastodonError as exc:
            raise _error(exc, client) from exc
        return f"connected as @{account['acct']}"

    def poll(
        self, *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
    ) -> PollResult:
        client = _client(credentials, config)
        queries = [q for q in config.get("queries") or [] if q.get("query")]
        old = state.get("queries") or {}
        cursors: dict[str, str | None] = {}  # a query detached from the channel loses its cursor
        me = state.get("account_id")
        try:
            notes = client.notifications(types=["mention"], min_id=state.get("since_id"), limit=PAGE)
            found: list[tuple[dict[str, Any], tuple[int, ...]]] = [
                (status_plain(n["status"]), ()) for n in notes if n.get("status")
            ]
            since = _newest([str(n["id"]) for n in notes], state.get("since_id"))
            if queries and not me:  # our own posts carry our hashtags too; they are not mentions
                me = str(client.account_verify_credentials()["id"])
            for query in queries:
                key = str(query["id"])
                statuses, cursors[key] = _query_statuses(client, query, old.get(key))
                found += [
                    (s, (int(query["id"]),))
                    for s in statuses
                    if str((s.get("account") or {}).get("id")) != me
                ]
        except MastodonError as exc:
            raise _error(exc, client) from exc
        messages, rejected = _parse(channel, found)
        # "since_id" names the newest mention seen; the key predates the switch to min_id.
        kept = {"since_id": since, "account_id": me, "queries": {k: v for k, v in cursors.items() if v}}
        return PollResult(messages=messages, state={k: v for k, v in kept.items() if v}, rejected=rejected)

    def parse_item(self, *, channel: str, item: dict[str, Any]) -> InboundMessage:
        """Parse a dead-lettered status (the JSON ``poll`` kept) again, under the queries that found it."""
        query_ids = tuple(int(i) for i in item.get(QUERY_IDS_KEY) or ())
        return status_to_message(channel, item, query_ids=query_ids)

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        client = _client(credentials, reply.config)
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
            raise _error(exc, client) from exc
        return SendResult(external_id=str(posted["id"]), url=posted.get("url") or "")
