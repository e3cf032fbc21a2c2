"""Hear an Instagram professional account (comments, @mentions, Direct) and answer in place.

Instagram webhooks share the Graph envelope and signature with Facebook
(``facebook/graph.py``). Comments arrive whole; @mentions arrive as bare ids
(Instagram only says *where* the account was named), so the text is fetched
with ``mentioned_comment`` / ``mentioned_media`` using the channel's token —
a failed fetch rejects just that item, kept in the dead-letter list for a
replay. Replies: ``/{comment-id}/replies`` under a comment,
``/{ig-user-id}/mentions`` under someone else's post that named us, and
Direct messages inside the 24-hour window like Messenger.
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
from lara.channels.facebook import graph
from lara.channels.facebook.graph import Batch, GraphClient, GraphWebhooks, Ignored, ItemOutcome, PayloadModel
from lara.channels.facebook.messaging import direct_send, messaging_to_message

NETWORK = "Instagram"
MENTION = "mention:"
MEDIA_FIELDS = "id,caption,media_type,permalink,timestamp,username"
COMMENT_FIELDS = "id,text,timestamp,username,media{id,permalink}"


class IgUser(PayloadModel):
    id: str = Field(min_length=1)
    username: str = ""


class IgMedia(PayloadModel):
    id: str = Field(min_length=1)
    media_product_type: str = ""


class IgComment(PayloadModel):
    """A ``comments`` / ``live_comments`` change value (Instagram webhooks reference)."""

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    author: IgUser = Field(alias="from")
    media: IgMedia
    parent_id: str | None = None


class IgMention(PayloadModel):
    media_id: str = Field(min_length=1)
    comment_id: str | None = None


def comment_to_message(channel: str, account_id: str, value: dict[str, Any], entry_time: Any) -> ItemOutcome:
    comment = IgComment.model_validate(value)
    if comment.author.id == account_id:
        return Ignored("a comment by our own Instagram account (our reply)")
    username = comment.author.username
    return InboundMessage(
        channel=channel,
        external_id=comment.id,
        kind="comment",
        text=comment.text,
        created_at=graph.timestamp(entry_time),
        author=Author(
            external_id=comment.author.id, handle=f"@{username}" if username else "", name=username
        ),
        in_reply_to=comment.parent_id or comment.media.id,
        thread_key=comment.media.id,
        public=True,
        raw=value,
    )


def mention_to_message(
    channel: str, account_id: str, value: dict[str, Any], entry_time: Any, client: GraphClient
) -> ItemOutcome:
    """Fetch what the mention webhook only points at: the comment or the caption that named us."""
    mention = IgMention.model_validate(value)
    if mention.comment_id:
        found = client.get(
            account_id, {"fields": f"mentioned_comment.comment_id({mention.comment_id}){{{COMMENT_FIELDS}}}"}
        ).get("mentioned_comment")
        kind, external_id, text_key = "comment", mention.comment_id, "text"
    else:
        found = client.get(
            account_id, {"fields": f"mentioned_media.media_id({mention.media_id}){{{MEDIA_FIELDS}}}"}
        ).get("mentioned_media")
        kind, external_id, text_key = "post", mention.media_id, "caption"
    if not isinstance(found, dict):
        raise ValueError(f"Instagram returned no mentioned {kind} for {external_id}")
    text = str(found.get(text_key) or "").strip()
    if not text:
        raise ValueError(f"the mentioned {kind} {external_id} has no text")
    username = str(found.get("username") or "")
    nested = found.get("media")
    media: dict[str, Any] = nested if isinstance(nested, dict) else found
    return InboundMessage(
        channel=channel,
        external_id=external_id,
        kind=kind,
        text=text,
        created_at=graph.timestamp(found.get("timestamp") or entry_time),
        # The mention lookups give the author's username but not their id.
        author=Author(
            external_id=username or f"unknown-{external_id}", handle=f"@{username}" if username else ""
        ),
        url=str(media.get("permalink") or ""),
        thread_key=MENTION + mention.media_id,
        public=True,
        raw={"webhook": value, "fetched": found},
    )


def parse_delivery(channel: str, entries: list[dict[str, Any]], credentials: dict[str, Any]) -> Batch:
    batch = Batch(NETWORK)
    client: GraphClient | None = None
    for e, entry in enumerate(entries):
        account_id = str(entry.get("id", ""))
        for c, change in enumerate(entry.get("changes") or []):
            where = f"entry {e} change {c}"
            field = change.get("field") if isinstance(change, dict) else None
            value = change.get("value") if isinstance(change, dict) else None
            if field in ("comments", "live_comments"):
                batch.add(where, comment_to_message, channel, account_id, value, entry.get("time"))
            elif field == "mentions":
                if client is None:
                    client = _client_or_none(credentials)
                if client is None:
                    batch.add(where, _no_token)
                    continue
                batch.add(where, mention_to_message, channel, account_id, value, entry.get("time"), client)
            else:
                batch.add(where, Ignored, f"field {field!r} is not a comment or a mention")
        for m, event in enumerate(entry.get("messaging") or []):
            batch.add(
                f"entry {e} messaging {m}",
                messaging_to_message,
                channel,
                event,
                network=NETWORK,
                thread_prefix="instagram-dm",
            )
    return batch


def _no_token() -> ItemOutcome:
    raise ValueError("cannot fetch the mention's text: this Instagram channel has no access_token")


def _client_or_none(credentials: dict[str, Any]) -> GraphClient | None:
    if not credentials.get("access_token"):
        return None
    return _client(credentials, {})


def _client(credentials: dict[str, Any], config: dict[str, Any]) -> GraphClient:
    return GraphClient(
        network=NETWORK,
        token=credentials.get("access_token"),
        base=graph.base_url(credentials, config),
        app_secret=credentials.get("app_secret"),
    )


class InstagramAdapter(GraphWebhooks):
    network = "instagram"
    network_name = NETWORK
    expected_object = "instagram"
    parse = staticmethod(parse_delivery)
    outbound = True
    credential_fields = ("access_token", "app_secret", "verify_token", "api_base_url")
    config_fields = ("ig_user_id", "human_agent_tag")
    field_help = {
        "access_token": "The Page access token of the Facebook Page linked to the Instagram professional "
        "account, with instagram_basic, instagram_manage_comments and instagram_manage_messages.",
        "app_secret": "The Meta app's secret: webhook deliveries are checked against it "
        "(X-Hub-Signature-256).",
        "verify_token": "Any random string; the same one as the Verify Token of the app's Instagram "
        "webhook (callback URL: https://<your Lara>/hooks/<channel slug>).",
        "api_base_url": "Optional: another Graph API root (default https://graph.facebook.com/v21.0).",
        "ig_user_id": "The Instagram professional account's id (e.g. 17841405309211844); needed to "
        "answer mentions and to test the connection.",
        "human_agent_tag": "true if the app has Meta's Human Agent permission: Direct replies may then "
        "be sent up to 7 days after the customer's last message.",
    }

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        client = _client(credentials, reply.config)
        account = str(reply.config.get("ig_user_id") or "")
        if reply.kind == "direct" or not reply.public:
            return direct_send(
                client,
                path=f"{account or 'me'}/messages",
                reply=reply,
                network="Instagram Direct",
                human_agent_tag=bool(reply.config.get("human_agent_tag")),
            )
        if not reply.in_reply_to:
            raise ChannelError("no Instagram comment or post to reply to", permanent=True)
        if reply.thread_key and reply.thread_key.startswith(MENTION):
            if not account:
                raise ChannelError(
                    "answering a mention needs the channel's ig_user_id (Settings → Channels)", permanent=True
                )
            body = {"media_id": reply.thread_key.removeprefix(MENTION), "message": reply.text}
            if reply.kind == "comment":
                body["comment_id"] = reply.in_reply_to
            answer = client.post(f"{account}/mentions", body)
        else:
            answer = client.post(f"{reply.in_reply_to}/replies", {"message": reply.text})
        if not answer.get("id"):
            raise ChannelError(f"Instagram accepted the reply but returned no id: {answer}"[:300])
        return SendResult(external_id=str(answer["id"]))

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        account = str(config.get("ig_user_id") or "")
        if not account:
            raise ChannelError(
                "set the Instagram account's ig_user_id in the channel's settings", permanent=True
            )
        me = _client(credentials, config).get(account, {"fields": "id,username,name,followers_count"})
        followers = me.get("followers_count")
        reach = f", {followers} followers" if isinstance(followers, int) else ""
        return f"connected as @{me.get('username')} (Instagram account {me.get('id')}{reach})"
