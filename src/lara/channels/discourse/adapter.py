"""Hear a Discourse forum (every new post, or searches) and answer in the topic when given an API key.

Discourse has no maintained Python SDK, so this speaks its documented JSON
API over httpx. ``/posts.json`` lists the forum's newest posts with their
topic; a cursor on the post id (ids only grow) means each poll reads only
what is new, paging back with ``before=`` when more arrived than one page.
Monitoring queries run ``/search.json?q=… order:latest`` and fetch each new
hit's full post (search answers with a short blurb only); Discourse search
knows no ``OR`` or ``-word``, so each OR-part is searched on its own and
exclusions are applied here. ``/latest.json`` is not read: it lists topics,
not posts, and ``/posts.json`` already carries each post's topic title.

A topic's first post is a ``post``, the others ``comment``s; the topic id is
the thread key. Replies need an API key (``Api-Key`` / ``Api-Username``
headers); without one the forum is read-only and a reply fails with the link
to answer on the site, which the Act side turns into a task.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from lara.channels.base import Author, ChannelError, InboundMessage, OutboundReply, PollResult, SendResult
from lara.channels.query_syntax import clauses, matches, network_exact

from .cooked import cooked_text

REGULAR = 1  # post_type: 2 moderator action, 3 small action ("pinned"), 4 staff whisper
MAX_PAGES = 5


class Post(BaseModel):
    """One post as ``/posts.json`` and ``/posts/{id}.json`` return it."""

    model_config = ConfigDict(extra="allow")

    id: int
    username: str
    name: str | None = None
    user_id: int | None = None
    created_at: datetime
    cooked: str
    post_number: int
    post_type: int = REGULAR
    topic_id: int
    topic_slug: str = ""
    topic_title: str | None = None
    reply_to_post_number: int | None = None


def _base(config: dict[str, Any]) -> str:
    base = str(config.get("base_url") or "").rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ChannelError(
            "this Discourse channel needs its base_url, e.g. https://forum.volta.example", permanent=True
        )
    return base


def post_url(base: str, post: Post) -> str:
    return f"{base}/t/{post.topic_slug or 'topic'}/{post.topic_id}/{post.post_number}"


def item_to_message(
    channel: str, base: str, item: dict[str, Any], query_ids: tuple[int, ...] = ()
) -> InboundMessage:
    """Turn one post into an InboundMessage; raise ValueError (pydantic's) when it is not a post."""
    post = Post.model_validate(item)
    first = post.post_number == 1
    text = cooked_text(post.cooked)
    if first and post.topic_title:
        text = f"{post.topic_title}\n\n{text}" if text else post.topic_title
    return InboundMessage(
        channel=channel,
        external_id=str(post.id),
        kind="post" if first else "comment",
        text=text,
        created_at=post.created_at.astimezone(UTC),
        author=Author(
            external_id=str(post.user_id) if post.user_id is not None else post.username,
            handle=f"@{post.username}",
            name=post.name or post.username,
        ),
        url=post_url(base, post),
        thread_key=str(post.topic_id),
        public=True,
        raw={
            "topic_id": post.topic_id,
            "post_number": post.post_number,
            "reply_to_post_number": post.reply_to_post_number,
        },
        query_ids=query_ids,
        subject=(post.topic_title or "") if first else "",
    )


def _headers(credentials: dict[str, Any]) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": "Lara social CRM"}
    if credentials.get("api_key"):
        headers["Api-Key"] = str(credentials["api_key"])
        headers["Api-Username"] = str(credentials.get("api_username") or "system")
    return headers


def _refusal(response: httpx.Response) -> ChannelError:
    """Say exactly what Discourse answered; 429 carries its own wait."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    errors = body.get("errors")
    detail = (
        "; ".join(str(e) for e in errors)
        if isinstance(errors, list) and errors
        else f"HTTP {response.status_code}"
    )
    status = response.status_code
    if status == 429:
        wait = (body.get("extras") or {}).get("wait_seconds") or response.headers.get("Retry-After") or 60
        return ChannelError(f"Discourse rate limit: {detail}", retry_after=float(wait))
    if status in (401, 403) and body.get("error_type") in ("invalid_access", "not_logged_in"):
        return ChannelError(f"Discourse refused the API key: {detail}", auth=True)
    if status == 404:
        return ChannelError(
            f"Discourse: not found (deleted, or in a category the key cannot see): {detail}", permanent=True
        )
    return ChannelError(f"Discourse refused: {detail}", permanent=400 <= status < 500)


class _Forum:
    """One Discourse site, with the channel's headers, answering JSON or raising ChannelError."""

    def __init__(self, base: str, credentials: dict[str, Any]) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, headers=_headers(credentials), timeout=20.0)

    def __enter__(self) -> _Forum:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ChannelError(f"Discourse unreachable: {exc}") from exc
        if response.status_code >= 300:
            raise _refusal(response)
        try:
            return response.json()
        except ValueError as exc:
            raise ChannelError(f"Discourse answered something other than JSON on {path}") from exc


class DiscourseAdapter:
    network = "discourse"
    outbound = True  # with an api_key; see can_reply
    credential_fields = ("api_key", "api_username")
    config_fields = ("base_url", "follow_all_posts")
    field_help = {
        "base_url": "the forum's address, e.g. https://forum.volta.example",
        "follow_all_posts": "read every new post of the forum (the brand's own community); "
        "off = only what the monitoring queries find",
        "api_key": "optional: a user API key from the forum's admin (Admin → API), so Lara can read private "
        "categories and post replies; without it replies become tasks with the link",
        "api_username": "the forum account replies are posted as, e.g. volta_support",
    }

    def can_reply(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> bool:
        """Replies go through the API only with a key; otherwise they become tasks with the link."""
        return bool(credentials.get("api_key"))

    def parse_item(self, *, channel: str, item: dict[str, Any]) -> InboundMessage:
        base = str(item.get("_base") or "")
        return item_to_message(channel, base, item, tuple(item.get("_query_ids") or ()))

    def poll(
        self, *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
    ) -> PollResult:
        base = _base(config)
        own = str(credentials.get("api_username") or "").casefold()
        new_state = dict(state)
        found: dict[int, tuple[dict[str, Any], set[int]]] = {}

        def keep(item: dict[str, Any], query_id: int | None) -> None:
            if not isinstance(item.get("id"), int) or item.get("post_type", REGULAR) != REGULAR:
                return
            if own and str(item.get("username") or "").casefold() == own:  # our own replies
                return
            _, ids = found.setdefault(item["id"], (item, set()))
            if query_id is not None:
                ids.add(query_id)

        with _Forum(base, credentials) as forum:
            if config.get("follow_all_posts", True):
                last = int(state.get("last_post_id") or 0)
                latest = self._latest(forum, last)
                for item in latest:
                    keep(item, None)
                new_state["last_post_id"] = max([last, *(int(i.get("id") or 0) for i in latest)])
            for query in config.get("queries") or ():
                key = f"query:{query['id']}"
                posts, new_state[key] = self._search(forum, str(query["query"]), int(state.get(key) or 0))
                for item in posts:
                    keep(item, int(query["id"]))
        messages: list[InboundMessage] = []
        rejected: list[tuple[dict[str, Any], str]] = []
        for item, ids in found.values():
            try:
                messages.append(item_to_message(channel, base, item, tuple(sorted(ids))))
            except ValidationError as exc:
                kept = {**item, "_base": base, "_query_ids": sorted(ids)}
                rejected.append(
                    (kept, f"not a Discourse post: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}")
                )
        messages.sort(key=lambda m: m.created_at)
        return PollResult(messages=tuple(messages), state=new_state, rejected=tuple(rejected))

    def _latest(self, forum: _Forum, last: int) -> list[dict[str, Any]]:
        """Posts newer than ``last``: one page on the first poll, back to the cursor afterwards."""
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        for _ in range(MAX_PAGES):
            page = [
                p
                for p in forum.call("GET", "/posts.json", params=params).get("latest_posts") or []
                if isinstance(p, dict)
            ]
            items += [p for p in page if int(p.get("id") or 0) > last]
            oldest = min((int(p.get("id") or 0) for p in page), default=0)
            if not last or not page or oldest <= last + 1:
                break
            params = {"before": oldest}
        return items

    def _search(self, forum: _Forum, query: str, last: int) -> tuple[list[dict[str, Any]], int]:
        """Full posts newer than ``last`` that a forum search finds for ``query``, and the new cursor.

        Hits are kept when the local matcher agrees, or when the forum's
        search said all the query says — it excludes nothing and has no
        NEAR/n, which went out as plain AND — (the forum's stemming finds
        forms a prefix match would miss).
        """
        try:
            parts = clauses(query)
            trusted = network_exact(query) and not any(excluded for _, excluded in parts)
        except ValueError as exc:
            raise ChannelError(f"a monitoring query cannot run on Discourse: {exc}", permanent=True) from exc
        hits: dict[int, dict[str, Any]] = {}
        for required, _ in parts:
            terms = " ".join(f'"{t}"' if " " in t else t for t in required)
            answer = forum.call("GET", "/search.json", params={"q": f"{terms} order:latest"})
            titles = {t.get("id"): t.get("title") for t in answer.get("topics") or [] if isinstance(t, dict)}
            for hit in answer.get("posts") or []:
                if isinstance(hit, dict) and int(hit.get("id") or 0) > last:
                    hits[int(hit["id"])] = {"topic_title": titles.get(hit.get("topic_id"))}
        posts = []
        for post_id, extra in sorted(hits.items()):
            post = forum.call("GET", f"/posts/{post_id}.json")
            post = {**post, "topic_title": post.get("topic_title") or extra["topic_title"]}
            text = f"{post.get('topic_title') or ''}\n{cooked_text(str(post.get('cooked') or ''))}"
            if trusted or matches(query, text):
                posts.append(post)
        return posts, max([last, *hits])

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        base = _base(reply.config)
        if not reply.in_reply_to or not reply.in_reply_to.isdigit():
            raise ChannelError(f"no Discourse post to reply to: {reply.in_reply_to!r}", permanent=True)
        link = f"{base}/p/{reply.in_reply_to}"
        if not self.can_reply(config=reply.config, credentials=credentials):
            raise ChannelError(
                "this Discourse forum takes no replies through its API (no api_key); "
                f"answer on the site: {link}",
                permanent=True,
            )
        with _Forum(base, credentials) as forum:
            try:
                original = Post.model_validate(forum.call("GET", f"/posts/{reply.in_reply_to}.json"))
                body = {
                    "topic_id": original.topic_id,
                    "raw": reply.text,
                    "reply_to_post_number": original.post_number,
                }
                created = Post.model_validate(forum.call("POST", "/posts.json", json=body))
            except ValidationError as exc:
                raise ChannelError(
                    f"Discourse answered an unexpected post: {exc.errors()[0]['msg']}"
                ) from exc
        return SendResult(external_id=str(created.id), url=post_url(base, created))

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        base = _base(config)
        with _Forum(base, credentials) as forum:
            if not credentials.get("api_key"):
                forum.call("GET", "/site.json")
                return f"{base} reachable, read only (no api_key: replies become tasks with the link)"
            me = (forum.call("GET", "/session/current.json") or {}).get("current_user") or {}
        if not me.get("username"):
            raise ChannelError("Discourse accepted the key but names no user: check api_username", auth=True)
        return f"connected to {base} as @{me['username']}"
