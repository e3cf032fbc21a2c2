"""Hear and answer customers on Bluesky with the atproto SDK.

Logging in costs a ``createSession`` call that Bluesky limits per handle
(30 per 5 minutes, 300 a day), so the session string is kept (encrypted) in
the poll state and reused; the SDK refreshes it, and when it has expired for
good Lara logs in again with the app password once. Notifications (mentions,
replies, quotes) and each monitoring query's search are read newest first
down to the newest post seen before, so nothing is read twice; a backlog
longer than ``max_pages`` pages is finished on the next polls before the
mark moves. A reply carries the root and parent strong refs so it lands in
the customer's thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import regex
from atproto import Client, models
from atproto_client.exceptions import (
    AtProtocolError,
    BadRequestError,
    LoginRequiredError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.models.utils import get_model_as_dict
from atproto_client.utils.facet_detection import detect_facets

from lara.channels.base import ChannelError, InboundMessage, OutboundReply, PollResult, SendResult
from lara.channels.query_syntax import clauses, matches, network_exact, plain_searches
from lara.core.crypto import decrypt_json, encrypt_json

from .parsing import indexed_at, parse_time, post_to_message, post_url

log = logging.getLogger(__name__)

DEFAULT_SERVICE = "https://bsky.social"
POST_LIMIT = 300  # graphemes
PAGE_SIZE = 50
DEFAULT_MAX_PAGES = 3
PROFILES_BATCH = 25  # app.bsky.actor.getProfiles takes at most 25 actors
REASONS = ["mention", "reply", "quote"]
#: XRPC error names that mean the session or the password is no good.
AUTH_ERRORS = ("ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown")

T = TypeVar("T")
Page = tuple[list[dict[str, Any]], str | None]
#: Sessions of this process for sending (send has no poll state), keyed by service and handle.
_sessions: dict[tuple[str, str], str] = {}


def _error_name(exc: RequestErrorBase) -> str:
    content = exc.response.content if exc.response is not None else None
    if isinstance(content, dict):
        return str(content.get("error") or "")
    return str(getattr(content, "error", "") or "")


def _expired(exc: Exception) -> bool:
    """Whether a saved session stopped working (so a fresh login may help)."""
    if isinstance(exc, LoginRequiredError):
        return True
    return isinstance(exc, UnauthorizedError | BadRequestError) and _error_name(exc) in AUTH_ERRORS


def _error(exc: Exception) -> ChannelError:
    """Map the SDK's failures to what the outbox and the channel page need to know."""
    if isinstance(exc, RateLimitExceededError):
        reset = exc.reset_at
        wait = max(1.0, reset.timestamp() - time.time()) if reset else exc.retry_after
        return ChannelError(f"Bluesky rate limit reached: {exc}", retry_after=wait)
    if isinstance(exc, UnauthorizedError) or (
        isinstance(exc, BadRequestError) and _error_name(exc) in AUTH_ERRORS
    ):
        return ChannelError(f"Bluesky refused the login (app password revoked or wrong?): {exc}", auth=True)
    if isinstance(exc, BadRequestError):
        return ChannelError(f"Bluesky rejected the request: {exc}", permanent=True)
    if isinstance(exc, NetworkError):
        return ChannelError(f"Bluesky unreachable: {exc.__class__.__name__}")
    return ChannelError(f"Bluesky error: {exc}")


def graphemes(text: str) -> int:
    """What Bluesky counts: user-perceived characters (an emoji with modifiers is one)."""
    return len(regex.findall(r"\X", text))


class _Session:
    """A logged-in client that reuses a saved session and logs in again once when it expired."""

    def __init__(self, service: str, credentials: dict[str, Any], saved: str | None) -> None:
        self.handle = str(credentials.get("handle") or "").lstrip("@")
        self.password = str(credentials.get("app_password") or "")
        if not self.handle or not self.password:
            raise ChannelError("this Bluesky channel needs its handle and an app_password", permanent=True)
        self.service = service
        self.client = Client(base_url=service)
        self.saved = saved
        self.logins = 0

    def _login(self) -> None:
        self.client = Client(base_url=self.service)
        self.client.login(self.handle, self.password, fetch_bsky_profile=False)
        self.logins += 1

    def run(self, work: Callable[[Client], T]) -> T:
        """Run ``work`` on a logged-in client; raise ChannelError on failure."""
        try:
            if self.saved:
                self.client.login(session_string=self.saved, fetch_bsky_profile=False)
            else:
                self._login()
            try:
                return work(self.client)
            except AtProtocolError as exc:
                if not (self.saved and self.logins == 0 and _expired(exc)):
                    raise
                log.info("Bluesky session of %s expired; logging in again", self.handle)
                self._login()
                return work(self.client)
        except AtProtocolError as exc:
            raise _error(exc) from exc

    @property
    def did(self) -> str:
        session = self.client._session  # the SDK keeps the session's DID and handle here
        return session.did if session else ""

    def export(self) -> str:
        return self.client.export_session_string()


def _read(
    fetch: Callable[[str | None], Page], cursor: dict[str, Any], max_pages: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Read newest first down to the mark ``seen`` (an indexedAt); return items and the next cursor."""
    seen = cursor.get("seen")
    mark = parse_time(seen) if seen else None
    page_cursor, newest = cursor.get("cursor"), cursor.get("newest")
    items: list[dict[str, Any]] = []
    for _ in range(max_pages):
        page, page_cursor = fetch(page_cursor)
        fresh = [i for i in page if indexed_at(i) and (mark is None or parse_time(indexed_at(i)) > mark)]
        items += fresh
        stamps = [indexed_at(i) for i in fresh]
        if stamps and (newest is None or parse_time(max(stamps, key=parse_time)) > parse_time(newest)):
            newest = max(stamps, key=parse_time)
        if not page_cursor or len(fresh) < len(page):
            page_cursor = None  # reached what an earlier poll read, or the end
            break
    if page_cursor and mark is not None:  # more left since the last poll: finish it first
        return items, {"seen": seen, "cursor": page_cursor, "newest": newest}
    top = newest or seen
    return items, {"seen": top} if top else {}


def _dicts(posts: list[Any]) -> list[dict[str, Any]]:
    return [{"post": get_model_as_dict(p)} for p in posts]


class BlueskyAdapter:
    network = "bluesky"
    credential_fields = ("handle", "app_password")
    config_fields = ("service_url", "max_pages")
    field_help = {
        "handle": "the brand's handle, e.g. volta.bsky.social",
        "app_password": "an app password (Settings → Privacy and security → App passwords), not the main one",
        "service_url": f"the account's PDS or entryway (default {DEFAULT_SERVICE})",
        "max_pages": f"pages of {PAGE_SIZE} read per stream and poll (default {DEFAULT_MAX_PAGES})",
    }

    # --- polling -------------------------------------------------------------------------------

    def poll(
        self, *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
    ) -> PollResult:
        saved = decrypt_json(state["session"]).get("session") if state.get("session") else None
        session = _Session(config.get("service_url") or DEFAULT_SERVICE, credentials, saved)
        max_pages = _max_pages(config)
        queries = list(config.get("queries") or [])

        def work(client: Client) -> tuple[list[tuple[dict[str, Any], tuple[int, ...]]], dict[str, Any]]:
            def notifications(cursor: str | None) -> Page:
                answer = client.app.bsky.notification.list_notifications(
                    {"limit": PAGE_SIZE, "reasons": REASONS, "cursor": cursor}
                )
                found = [n for n in answer.notifications if n.reason in REASONS]
                return [{"post": get_model_as_dict(n)} for n in found], answer.cursor

            heard, mentions_cursor = _read(notifications, state.get("notifications") or {}, max_pages)
            found: list[tuple[dict[str, Any], tuple[int, ...]]] = [(item, ()) for item in heard]
            cursors: dict[str, Any] = {}
            old = state.get("queries") or {}
            for query in queries:
                items = _search(client, query, old, cursors, max_pages)
                langs = set(query.get("languages") or [])
                if len(langs) > 1:  # searchPosts filters one language; keep any of several here
                    items = [i for i in items if _langs(i) & langs or not _langs(i)]
                found += [(item, (int(query["id"]),)) for item in items]
            self._add_followers(client, [item for item, _ in found])
            return found, {"notifications": mentions_cursor, "queries": cursors}

        found, cursors = session.run(work)
        messages, rejected = self._parse(channel, session.did, found)
        state = {**cursors, "session": encrypt_json({"session": session.export()})}
        return PollResult(messages=messages, state=state, rejected=rejected)

    @staticmethod
    def _add_followers(client: Client, items: list[dict[str, Any]]) -> None:
        """Look the authors up in batches: notifications and search hits carry no follower count."""
        dids = sorted({str(i["post"]["author"]["did"]) for i in items if i["post"].get("author")})
        followers: dict[str, int | None] = {}
        for start in range(0, len(dids), PROFILES_BATCH):
            answer = client.app.bsky.actor.get_profiles({"actors": dids[start : start + PROFILES_BATCH]})
            followers.update({p.did: p.followers_count for p in answer.profiles})
        for item in items:
            item["followers"] = followers.get(str((item["post"].get("author") or {}).get("did")))

    @staticmethod
    def _parse(
        channel: str, ours: str, found: list[tuple[dict[str, Any], tuple[int, ...]]]
    ) -> tuple[tuple[InboundMessage, ...], tuple[tuple[dict[str, Any], str], ...]]:
        by_uri: dict[str, InboundMessage] = {}
        rejected: list[tuple[dict[str, Any], str]] = []
        for item, query_ids in found:
            if ((item["post"].get("author") or {}).get("did")) == ours:
                continue  # our own posts are stored as outbound replies, not heard as mentions
            try:
                seen = by_uri.get(str(item["post"].get("uri")))
                ids = tuple(sorted(set(seen.query_ids) | set(query_ids))) if seen else query_ids
                message = post_to_message(channel, item, query_ids=ids)
            except ValueError as exc:
                rejected.append((item, str(exc)))
                continue
            by_uri[message.external_id] = message
        return tuple(by_uri.values()), tuple(rejected)

    def parse_item(self, *, channel: str, item: dict[str, Any]) -> InboundMessage:
        return post_to_message(channel, item)

    # --- outbound ------------------------------------------------------------------------------

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        count = graphemes(reply.text)
        if count > POST_LIMIT:
            raise ChannelError(
                f"Bluesky allows {POST_LIMIT} characters in a post; this reply has {count}", permanent=True
            )
        if not reply.in_reply_to or not reply.in_reply_to.startswith("at://"):
            raise ChannelError("no Bluesky post to reply to", permanent=True)
        parent_uri = reply.in_reply_to
        service = reply.config.get("service_url") or DEFAULT_SERVICE
        key = (service, str(credentials.get("handle") or "").lstrip("@"))
        session = _Session(service, credentials, _sessions.get(key))

        def work(client: Client) -> models.AppBskyFeedPost.CreateRecordResponse:
            found = client.app.bsky.feed.get_posts({"uris": [parent_uri]}).posts
            if not found:
                raise ChannelError("the Bluesky post was deleted; nothing to reply to", permanent=True)
            parent = found[0]
            record = parent.record
            parent_ref = models.ComAtprotoRepoStrongRef.Main(uri=parent.uri, cid=parent.cid)
            root_ref = record.reply.root if getattr(record, "reply", None) else parent_ref
            return client.send_post(
                reply.text,
                profile_identify=session.did,
                reply_to=models.AppBskyFeedPost.ReplyRef(root=root_ref, parent=parent_ref),
                langs=list(getattr(record, "langs", None) or []) or None,
                facets=detect_facets(reply.text) or None,
            )

        posted = session.run(work)
        _sessions[key] = session.export()
        return SendResult(external_id=posted.uri, url=post_url(session.handle, posted.uri))

    # --- test connection -----------------------------------------------------------------------

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        session = _Session(config.get("service_url") or DEFAULT_SERVICE, credentials, None)
        handle = session.run(lambda client: client._session.handle if client._session else session.handle)
        return f"connected as @{handle}"


def _search(
    client: Client, query: dict[str, Any], old: dict[str, Any], cursors: dict[str, Any], max_pages: int
) -> list[dict[str, Any]]:
    """Run one monitoring query as one plain search per alternative (each with its own cursor).

    searchPosts takes plain words and "phrases"; exclusions and NEAR/n are
    checked here on the hits. The first alternative keeps the query id as
    its cursor key, the others ``<id>/<n>``.
    """
    qid, text = str(query["id"]), str(query.get("query") or "")
    try:
        searches = plain_searches(text)
        exact = network_exact(text) and not any(excluded for _, excluded in clauses(text))
    except ValueError as exc:  # refused when saved; one bad query must not stop the channel
        log.warning("Bluesky query %s skipped: %s", qid, exc)
        cursors.update({k: v for k, v in old.items() if k == qid or k.startswith(f"{qid}/")})
        return []
    items: list[dict[str, Any]] = []
    for n, search in enumerate(searches, start=1):
        key = qid if n == 1 else f"{qid}/{n}"
        found, cursors[key] = _read(
            _searcher(client, {**query, "query": search}, old.get(key) or {}), old.get(key) or {}, max_pages
        )
        items += found
    if exact:
        return items
    return [
        i for i in items if matches(text, str(((i.get("post") or {}).get("record") or {}).get("text") or ""))
    ]


def _langs(item: dict[str, Any]) -> set[str]:
    return set(((item.get("post") or {}).get("record") or {}).get("langs") or [])


def _searcher(client: Client, query: dict[str, Any], cursor: dict[str, Any]) -> Callable[[str | None], Page]:
    langs = list(query.get("languages") or [])
    since = cursor.get("seen")

    def fetch(page_cursor: str | None) -> Page:
        params: dict[str, Any] = {"q": query["query"], "sort": "latest", "limit": PAGE_SIZE}
        if len(langs) == 1:
            params["lang"] = langs[0]
        if since:
            params["since"] = since
        if page_cursor:
            params["cursor"] = page_cursor
        answer = client.app.bsky.feed.search_posts(params)
        return _dicts(answer.posts), answer.cursor

    return fetch


def _max_pages(config: dict[str, Any]) -> int:
    """The page cap from the channel settings (the settings form stores text)."""
    raw = config.get("max_pages") or DEFAULT_MAX_PAGES
    try:
        pages = int(raw)
    except (TypeError, ValueError):
        raise ChannelError(f"max_pages must be a whole number, not {raw!r}", permanent=True) from None
    if pages < 1:
        raise ChannelError(f"max_pages must be at least 1, not {pages}", permanent=True)
    return pages
