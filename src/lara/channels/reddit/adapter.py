"""Hear Reddit (username mentions, searches, watched subreddits) and answer with a comment.

praw does the OAuth dance, rate-limit bookkeeping and listing pagination.
Each poll reads four kinds of listing, newest first: the inbox's username
mentions, a Lucene search per monitoring query in the watched subreddits
(``config["subreddits"]``, e.g. ``VoltaRide+ebikes``; all of Reddit when
none are set), and the subreddits' newest posts and comments, kept when a
query matches (Reddit's search index lags behind and finds no comments).
Every listing keeps its own cursor in the state: the newest ``created_utc``
seen and the fullnames at that second, so nothing is read twice even when
two items share a timestamp.

Authors are Reddit usernames (``u/name``); ``followers`` is left empty
because Reddit has no follower count for users in its API short of one
``/user/<name>/about`` call per author, which the rate limit cannot afford.
A post's thread key is its submission id, shared by every comment under it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import praw
import prawcore
from praw.exceptions import PRAWException, RedditAPIException
from pydantic import BaseModel, ConfigDict, ValidationError

from lara.channels.base import (
    Author,
    ChannelError,
    InboundMessage,
    OutboundReply,
    PollResult,
    SendResult,
)
from lara.channels.query_syntax import lucene, matches

WEB = "https://www.reddit.com"
LIMIT = 100
#: The fields kept from a praw object; the rest are lazy praw objects or noise.
FIELDS = (
    "id",
    "name",
    "author",
    "author_fullname",
    "body",
    "title",
    "selftext",
    "permalink",
    "context",
    "created_utc",
    "subreddit",
    "link_id",
    "parent_id",
    "link_title",
    "url",
    "is_self",
    "score",
    "num_comments",
    "over_18",
    "distinguished",
)
WAIT = re.compile(r"(\d+)\s*(milliseconds?|seconds?|minutes?|hours?)")
UNITS = {"millisecond": 0.001, "second": 1, "minute": 60, "hour": 3600}


class Thing(BaseModel):
    """A Reddit comment (``t1``) or post (``t3``) as its listing JSON holds it."""

    model_config = ConfigDict(extra="allow")

    kind: str
    id: str
    name: str
    author: str | None = None
    created_utc: float
    subreddit: str = ""
    body: str = ""
    title: str = ""
    selftext: str = ""
    permalink: str = ""
    context: str = ""
    link_id: str = ""
    parent_id: str = ""
    url: str = ""


def thing_item(obj: Any) -> dict[str, Any]:
    """Reduce a praw Comment or Submission to JSON-safe listing fields (no lazy fetches)."""
    data = vars(obj)
    item: dict[str, Any] = {"kind": "t1" if isinstance(obj, praw.models.Comment) else "t3"}
    for key in FIELDS:
        if key not in data:
            continue
        value = data[key]
        if key in ("author", "subreddit"):
            value = str(value) if value is not None else None
        item[key] = value
    return item


def _submission_id(thing: Thing) -> str:
    if thing.kind == "t3":
        return thing.id
    if thing.link_id:
        return thing.link_id.split("_", 1)[1]
    # Inbox mentions carry no link_id; the context path names the submission.
    parts = thing.context.split("/")
    if len(parts) > 4 and parts[3] == "comments":
        return parts[4]
    raise ValueError("a comment without link_id or context: its post is unknown")


def _url(thing: Thing) -> str:
    path = thing.permalink or thing.context.split("?", 1)[0]
    return WEB + path if path.startswith("/") else path


def item_to_message(channel: str, item: dict[str, Any], query_ids: tuple[int, ...] = ()) -> InboundMessage:
    """Turn one listing item into an InboundMessage; raise ValueError when it is not a post or comment."""
    thing = Thing.model_validate(item)
    if thing.kind not in ("t1", "t3"):
        raise ValueError(f"not a post or comment: kind {thing.kind!r}")
    post = thing.kind == "t3"
    text = thing.body
    if post:
        text = f"{thing.title}\n\n{thing.selftext}".strip() if thing.selftext else thing.title
    username = thing.author or "[deleted]"
    raw = {k: v for k, v in item.items() if k in ("kind", "subreddit", "score", "num_comments", "url")}
    return InboundMessage(
        channel=channel,
        external_id=thing.name,
        kind="post" if post else "comment",
        text=text,
        created_at=datetime.fromtimestamp(thing.created_utc, tz=UTC),
        author=Author(external_id=username, handle=f"u/{username}", name=username),
        url=_url(thing),
        in_reply_to=None if post else (thing.parent_id or None),
        thread_key=_submission_id(thing),
        public=True,
        raw=raw,
        query_ids=query_ids,
        subject=thing.title if post else "",
    )


def _fresh(
    items: list[dict[str, Any]], cursor: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Keep the items newer than the cursor; return them and the cursor after them."""
    since = float(cursor.get("created_utc") or 0)
    seen = set(cursor.get("names") or ())
    fresh = [
        i
        for i in items
        if float(i.get("created_utc") or 0) > since
        or (float(i.get("created_utc") or 0) == since and i.get("name") not in seen)
    ]
    newest = max([since, *(float(i.get("created_utc") or 0) for i in items)])
    names = sorted({str(i.get("name")) for i in items if float(i.get("created_utc") or 0) == newest})
    if newest == since:
        names = sorted(seen | set(names))
    return fresh, {"created_utc": newest, "names": names} if newest else {}


def _always(ids: set[int]) -> Callable[[dict[str, Any]], set[int] | None]:
    """Tag every item of a listing with ``ids`` (a search found them all)."""
    return lambda item: ids


def client(config: dict[str, Any], credentials: dict[str, Any]) -> praw.Reddit:
    """A praw client for a script app (username/password) or an installed one (refresh token)."""
    client_id = credentials.get("client_id")
    if not client_id:
        raise ChannelError("this Reddit channel needs a client_id", permanent=True)
    auth: dict[str, Any]
    if credentials.get("refresh_token"):
        auth = {"refresh_token": credentials["refresh_token"]}
    elif (login := credentials.get("username") or config.get("username")) and credentials.get("password"):
        auth = {"username": login, "password": credentials["password"]}
    else:
        raise ChannelError(
            "this Reddit channel needs a refresh_token, or the username and password of a script app",
            permanent=True,
        )
    username = credentials.get("username") or config.get("username") or "volta_support"
    endpoints = {k: config[k] for k in ("oauth_url", "reddit_url") if config.get(k)}
    return praw.Reddit(
        client_id=client_id,
        client_secret=credentials.get("client_secret") or None,
        user_agent=config.get("user_agent") or f"python:lara-social-crm:0.1 (by /u/{username})",
        check_for_updates=False,
        ratelimit_seconds=0,  # never sleep inside a worker: say how long to wait instead
        timeout=20,
        **auth,
        **endpoints,
    )


def _wait_seconds(text: str) -> float | None:
    found = WAIT.search(text)
    if not found:
        return None
    unit = found.group(2).rstrip("s")
    return int(found.group(1)) * UNITS[unit]


def error(exc: Exception) -> ChannelError:
    """Translate praw's and prawcore's exceptions into a ChannelError that says what to do."""
    if isinstance(exc, RedditAPIException):
        for item in exc.items:
            if item.error_type == "RATELIMIT":
                wait = _wait_seconds(item.message or "") or 60.0
                return ChannelError(f"Reddit rate limit: {item.message}", retry_after=wait)
        return ChannelError(f"Reddit refused: {exc}", permanent=True)
    if isinstance(exc, prawcore.OAuthException):
        return ChannelError(f"Reddit refused the credentials: {exc.error}", auth=True)
    if isinstance(exc, prawcore.InvalidToken | prawcore.InsufficientScope):
        return ChannelError(f"Reddit refused the token: {exc}", auth=True)
    if isinstance(exc, prawcore.TooManyRequests):
        headers = exc.response.headers
        reset = headers.get("x-ratelimit-reset") or headers.get("retry-after") or "60"
        return ChannelError("Reddit rate limit (HTTP 429)", retry_after=float(reset))
    if isinstance(exc, prawcore.Forbidden):
        return ChannelError(
            "Reddit refused (403): the account is banned there, or the subreddit is private", permanent=True
        )
    if isinstance(exc, prawcore.NotFound):
        return ChannelError("Reddit: not found (deleted, or a subreddit that does not exist)", permanent=True)
    if isinstance(exc, prawcore.ResponseException):
        status = exc.response.status_code
        if "/api/v1/access_token" in (exc.response.url or "") and status in (400, 401):
            try:
                reason = str(exc.response.json().get("error") or status)
            except ValueError:
                reason = f"HTTP {status}"
            return ChannelError(f"Reddit refused the app's credentials: {reason}", auth=True)
        return ChannelError(f"Reddit error: HTTP {status}", permanent=400 <= status < 500)
    if isinstance(exc, prawcore.RequestException):
        return ChannelError(f"Reddit unreachable: {exc.original_exception}")
    return ChannelError(f"Reddit error: {exc}", permanent=True)


class RedditAdapter:
    network = "reddit"
    outbound = True
    credential_fields = ("client_id", "client_secret", "refresh_token", "password")
    config_fields = ("username", "subreddits", "user_agent")
    field_help = {
        "client_id": "the app's id from reddit.com/prefs/apps (under the app's name)",
        "client_secret": "the app's secret (empty for an installed app)",
        "refresh_token": "a permanent OAuth refresh token of the brand's account (scopes: identity, "
        "privatemessages, read, submit); or leave it empty and use a script app's username and password",
        "username": "the brand's Reddit account, e.g. volta_support: its own comments are never taken "
        "for customers', and a script app logs in with it",
        "password": "that account's password (script apps only)",
        "subreddits": "the subreddits to watch with the monitoring queries, joined by +, "
        "e.g. VoltaRide+ebikes; empty = search all of Reddit",
        "user_agent": "optional; Reddit asks for <platform>:<app id>:<version> (by /u/<name>)",
    }

    def parse_item(self, *, channel: str, item: dict[str, Any]) -> InboundMessage:
        return item_to_message(channel, item, tuple(item.get("query_ids") or ()))

    def poll(
        self, *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
    ) -> PollResult:
        reddit = client(config, credentials)
        subs = str(config.get("subreddits") or "").strip()
        queries = [q for q in config.get("queries") or () if q.get("query")]
        new_state = dict(state)
        found: dict[str, tuple[dict[str, Any], set[int]]] = {}

        # The brand's own comments (Lara's replies) match its queries too: never hear them as customers.
        own = str(credentials.get("username") or config.get("username") or "").casefold()

        def keep(key: str, listing: Any, query_of: Callable[[dict[str, Any]], set[int] | None]) -> None:
            items = [thing_item(obj) for obj in listing]
            fresh, new_state[key] = _fresh(items, state.get(key) or {})
            for item in fresh:
                if own and str(item.get("author") or "").casefold() == own:
                    continue
                ids = query_of(item)
                if ids is None:
                    continue
                _, known = found.setdefault(str(item.get("name")), (item, set()))
                known.update(ids)

        try:
            keep("mentions", reddit.inbox.mentions(limit=LIMIT), _always(set()))
            for q in queries:
                where = reddit.subreddit(subs or "all")
                listing = where.search(lucene(q["query"]), sort="new", syntax="lucene", limit=LIMIT)
                keep(f"query:{q['id']}", listing, _always({int(q["id"])}))
            if subs and queries:
                watched = reddit.subreddit(subs)

                def matching(item: dict[str, Any]) -> set[int] | None:
                    text = f"{item.get('title', '')}\n{item.get('selftext', '')}\n{item.get('body', '')}"
                    ids = {q["id"] for q in queries if matches(q["query"], text)}
                    return ids or None

                keep("new", watched.new(limit=LIMIT), matching)
                keep("comments", watched.comments(limit=LIMIT), matching)
        except ValueError as exc:  # an unreadable query: the admin must fix it
            raise ChannelError(f"a monitoring query cannot run on Reddit: {exc}", permanent=True) from exc
        except (PRAWException, prawcore.PrawcoreException) as exc:
            raise error(exc) from exc
        messages: list[InboundMessage] = []
        rejected: list[tuple[dict[str, Any], str]] = []
        for item, ids in found.values():
            try:
                messages.append(item_to_message(channel, item, tuple(sorted(ids))))
            except (ValidationError, ValueError) as exc:
                rejected.append(({**item, "query_ids": sorted(ids)}, f"not a Reddit post or comment: {exc}"))
        messages.sort(key=lambda m: m.created_at)
        return PollResult(messages=tuple(messages), state=new_state, rejected=tuple(rejected))

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        target = reply.in_reply_to or ""
        if not target.startswith(("t1_", "t3_")):
            raise ChannelError(f"no Reddit post or comment to reply to: {target!r}", permanent=True)
        reddit = client(reply.config, credentials)
        kind, _, thing_id = target.partition("_")
        thing = reddit.comment(id=thing_id) if kind == "t1" else reddit.submission(id=thing_id)
        try:
            posted = thing.reply(reply.text)
        except (PRAWException, prawcore.PrawcoreException) as exc:
            raise error(exc) from exc
        if posted is None:
            raise ChannelError("Reddit accepted the reply but returned no comment")
        data = vars(posted)
        permalink = str(data.get("permalink") or "")
        return SendResult(
            external_id=str(data.get("name") or f"t1_{posted.id}"), url=WEB + permalink if permalink else ""
        )

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        reddit = client(config, credentials)
        try:
            me = reddit.user.me()
        except (PRAWException, prawcore.PrawcoreException) as exc:
            raise error(exc) from exc
        if me is None:
            raise ChannelError("Reddit answered without an account: the token is read-only", auth=True)
        return f"connected as u/{me.name}"
