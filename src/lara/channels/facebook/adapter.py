"""Hear a Facebook Page (feed and Messenger) through Graph webhooks and answer where people spoke.

The page's ``feed`` webhook brings visitor posts, the page's own posts and
comments; ``messaging`` brings Messenger conversations. Comments reply with
``POST /{comment-or-post-id}/comments``; Messenger replies go to
``/me/messages`` and only inside Meta's 24-hour window, which Lara checks
before calling so the agent gets the reason and the alternatives at once.
Stored messages are never deleted because Facebook says a post was removed:
the conversation is the brand's record of what was said.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from lara.channels.base import (
    Author,
    ChannelError,
    InboundMessage,
    OutboundReply,
    SendResult,
)

from . import graph
from .graph import Batch, GraphClient, GraphWebhooks, Ignored, ItemOutcome, PayloadModel
from .messaging import direct_send, messaging_to_message

NETWORK = "Facebook"
POST_ITEMS = ("post", "status", "photo", "video", "share")


class FeedAuthor(PayloadModel):
    id: str = Field(min_length=1)
    name: str = ""


class FeedValue(PayloadModel):
    """A ``feed`` change as Meta documents it (Page webhooks reference, field ``feed``)."""

    item: str
    verb: str
    author: FeedAuthor | None = Field(default=None, alias="from")
    post_id: str | None = None
    comment_id: str | None = None
    parent_id: str | None = None
    message: str = ""
    created_time: int | str | None = None
    post: dict[str, Any] | None = None
    photo: str | None = None
    video: str | None = None
    link: str | None = None


def feed_to_message(channel: str, page_id: str, value_data: dict[str, Any], entry_time: Any) -> ItemOutcome:
    """Turn one page-feed change into a post or a comment, or an edit or removal of one; likes are skipped.

    ``verb: edited`` carries the new text (an ``event="edit"`` of the same
    id); ``verb: remove`` (``event="delete"``) marks the stored message
    deleted, it never removes it. A removal may come without text or author.
    """
    value = FeedValue.model_validate(value_data)
    if value.item not in ("comment", *POST_ITEMS):
        return Ignored(f"a {value.item} {value.verb}, not a post or a comment")
    event = {"add": "message", "edited": "edit", "remove": "delete"}.get(value.verb)
    if event is None:
        return Ignored(f"verb {value.verb!r} on a {value.item}")
    if value.author is None and event != "delete":
        raise ValueError(
            f"the {value.item} came without its author ('from'); the app needs the "
            "pages_read_user_content permission to see who wrote it"
        )
    media = "[photo] " if value.photo else "[video] " if value.video else ""
    text = (media + value.message).strip() or (f"[link] {value.link}" if value.link else "")
    if not text and event != "delete":
        raise ValueError(f"a {value.item} with no text")
    created = graph.timestamp(value.created_time if value.created_time is not None else entry_time)
    author = Author(
        external_id=value.author.id if value.author else page_id,
        name=value.author.name if value.author else "",
        followers=None,
    )
    if value.item == "comment":
        if not value.comment_id or not value.post_id:
            raise ValueError("a comment needs comment_id and post_id")
        if value.author is not None and value.author.id == page_id:
            return Ignored("a comment written by the page itself (our own reply)")
        return InboundMessage(
            channel=channel,
            external_id=value.comment_id,
            kind="comment",
            text=text,
            created_at=created,
            author=author,
            url=f"https://www.facebook.com/{value.post_id}?comment_id={value.comment_id}",
            in_reply_to=value.parent_id or value.post_id,
            thread_key=value.post_id,
            public=True,
            raw=value_data,
            event=event,
        )
    if not value.post_id:
        raise ValueError(f"a {value.item} needs a post_id")
    permalink = (value.post or {}).get("permalink_url") or f"https://www.facebook.com/{value.post_id}"
    return InboundMessage(
        channel=channel,
        external_id=value.post_id,
        kind="post",
        text=text,
        created_at=created,
        author=author,
        url=str(permalink),
        thread_key=value.post_id,
        public=True,
        raw=value_data,
        event=event,
    )


def parse_delivery(
    channel: str, entries: list[dict[str, Any]], credentials: dict[str, Any] | None = None
) -> Batch:
    """Parse every feed change and Messenger event of a verified delivery, item by item."""
    batch = Batch(NETWORK)
    for e, entry in enumerate(entries):
        page_id = str(entry.get("id", ""))
        for c, change in enumerate(entry.get("changes") or []):
            where = f"entry {e} change {c}"
            if not isinstance(change, dict) or change.get("field") != "feed":
                field = change.get("field") if isinstance(change, dict) else None
                batch.add(where, Ignored, f"field {field!r} is not the page feed")
                continue
            batch.add(where, feed_to_message, channel, page_id, change.get("value"), entry.get("time"))
        for m, event in enumerate(entry.get("messaging") or []):
            batch.add(
                f"entry {e} messaging {m}",
                messaging_to_message,
                channel,
                event,
                network=NETWORK,
                thread_prefix="messenger",
            )
    return batch


class FacebookAdapter(GraphWebhooks):
    network = "facebook"
    network_name = NETWORK
    expected_object = "page"
    parse = staticmethod(parse_delivery)
    outbound = True
    credential_fields = ("page_access_token", "app_secret", "verify_token", "api_base_url")
    config_fields = ("page_id", "human_agent_tag")
    field_help = {
        "page_access_token": "A long-lived Page access token with pages_manage_engagement, "
        "pages_read_user_content, pages_messaging and pages_manage_metadata.",
        "app_secret": "The Meta app's secret: every webhook delivery is checked against it "
        "(X-Hub-Signature-256) and API calls carry its appsecret_proof.",
        "verify_token": "Any random string; enter the same one as the webhook's Verify Token in the "
        "Meta app dashboard (callback URL: https://<your Lara>/hooks/<channel slug>).",
        "api_base_url": "Optional: another Graph API root (default https://graph.facebook.com/v21.0).",
        "page_id": "The Page's numeric id; the connection test checks the token belongs to it.",
        "human_agent_tag": "true if the app has Meta's Human Agent permission: Messenger replies may "
        "then be sent up to 7 days after the customer's last message instead of 24 hours.",
    }

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        client = _client(credentials, reply.config)
        if reply.kind == "direct" or not reply.public:
            return direct_send(
                client,
                path="me/messages",
                reply=reply,
                network="Messenger",
                human_agent_tag=bool(reply.config.get("human_agent_tag")),
            )
        if not reply.in_reply_to:
            raise ChannelError("no Facebook post or comment to reply to", permanent=True)
        answer = client.post(f"{reply.in_reply_to}/comments", {"message": reply.text})
        comment_id = str(answer.get("id") or "")
        if not comment_id:
            raise ChannelError(f"Facebook accepted the comment but returned no id: {answer}"[:300])
        post_id = reply.thread_key or reply.in_reply_to
        return SendResult(
            external_id=comment_id, url=f"https://www.facebook.com/{post_id}?comment_id={comment_id}"
        )

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        me = _client(credentials, config).get("me", {"fields": "id,name"})
        page_id = str(config.get("page_id") or "")
        if page_id and str(me.get("id")) != page_id:
            raise ChannelError(
                f"the token belongs to {me.get('name')} ({me.get('id')}), not the configured page {page_id}",
                permanent=True,
            )
        return f"connected as {me.get('name')} (page {me.get('id')})"


def _client(credentials: dict[str, Any], config: dict[str, Any]) -> GraphClient:
    return GraphClient(
        network=NETWORK,
        token=credentials.get("page_access_token"),
        base=graph.base_url(credentials, config),
        app_secret=credentials.get("app_secret"),
    )
