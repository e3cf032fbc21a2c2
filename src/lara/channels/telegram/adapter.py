"""Talk to customers through a Telegram bot: webhook updates in, sendMessage out.

Updates are parsed with python-telegram-bot's own ``Update`` so field changes
in the Bot API are the SDK's to follow; the webhook is authenticated by the
secret token Telegram echoes in ``X-Telegram-Bot-Api-Secret-Token`` (set with
``setWebhook(secret_token=…)``). Replies go back with ``reply_to_message_id``
so the customer sees which message was answered.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from datetime import UTC
from typing import Any

import telegram
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError

from lara.channels.base import (
    Author,
    ChannelError,
    InboundMessage,
    OutboundReply,
    SendResult,
    WebhookRejected,
    WebhookRequest,
    WebhookResult,
)

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
DEFAULT_API = "https://api.telegram.org/bot"
# The SDK's InvalidToken message quotes the token itself; this one never does.
TOKEN_REFUSED = "Telegram refused the bot token: it was revoked, or is mistyped"  # noqa: S105


def message_id(chat_id: int, msg_id: int) -> str:
    """Telegram numbers messages per chat, so the chat is part of the id."""
    return f"{chat_id}:{msg_id}"


def update_to_message(channel: str, data: dict[str, Any]) -> InboundMessage | None:
    """Turn one Update into an InboundMessage; updates without text (joins, reactions…) give None.

    ``edited_message`` / ``edited_channel_post`` carry the whole message as
    it now reads, with its ``edit_date``: an ``event="edit"`` of the same id.
    (The Bot API reports no deletions in chats.)
    """
    update = telegram.Update.de_json(data, None)
    edited = update.edited_message or update.edited_channel_post
    msg = update.message or update.channel_post or edited
    if msg is None or not (msg.text or msg.caption):
        return None
    chat = msg.chat
    sender = msg.from_user
    private = chat.type == chat.PRIVATE
    author = Author(
        external_id=str(sender.id if sender else chat.id),
        handle=f"@{sender.username}" if sender and sender.username else "",
        name=(sender.full_name if sender else chat.title) or "",
    )
    reply_to = msg.reply_to_message
    url = f"https://t.me/{chat.username}/{msg.message_id}" if chat.username else ""
    return InboundMessage(
        channel=channel,
        external_id=message_id(chat.id, msg.message_id),
        kind="direct"
        if private
        else ("post" if update.channel_post or update.edited_channel_post else "comment"),
        text=msg.text or msg.caption or "",
        created_at=((edited and edited.edit_date) or msg.date).astimezone(UTC),
        author=author,
        url=url,
        in_reply_to=message_id(chat.id, reply_to.message_id) if reply_to else None,
        thread_key=None if private else f"chat:{chat.id}",
        public=not private and bool(chat.username),
        raw=data,
        event="edit" if edited else "message",
    )


class TelegramAdapter:
    network = "telegram"
    credential_fields = ("bot_token", "webhook_secret")
    config_fields = ("api_base_url",)
    field_help = {
        "bot_token": "the token @BotFather gave the bot, e.g. 123456:ABC-DEF…",
        "webhook_secret": "any random string; pass it to setWebhook as secret_token",
        "api_base_url": "only for a self-hosted Bot API server; empty = https://api.telegram.org/bot",
    }

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        """Call getMe: it proves the token and names the bot the customers talk to."""
        token = credentials.get("bot_token")
        if not token:
            raise ChannelError("this Telegram channel has no bot_token", permanent=True)
        base = config.get("api_base_url") or credentials.get("api_base_url") or DEFAULT_API
        try:
            me = asyncio.run(_get_me(telegram.Bot(token, base_url=base)))
        except InvalidToken as exc:
            raise ChannelError(TOKEN_REFUSED, auth=True) from exc
        except Forbidden as exc:
            raise ChannelError(f"Telegram refused: {exc}", auth=True) from exc
        except (NetworkError, TelegramError) as exc:
            raise ChannelError(f"Telegram unreachable: {exc}") from exc
        missing = "" if credentials.get("webhook_secret") else " (no webhook_secret yet: updates are refused)"
        return f"connected as @{me.username}{missing}"

    def receive(self, request: WebhookRequest, *, channel: str, credentials: dict[str, Any]) -> WebhookResult:
        secret = credentials.get("webhook_secret")
        if not secret:
            raise WebhookRejected("this Telegram channel has no webhook_secret configured", status=403)
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            raise WebhookRejected("secret token missing or wrong", status=403)
        try:
            data = json.loads(request.body)
            message = update_to_message(channel, data)
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected(f"not a Telegram update: {exc}") from exc
        return WebhookResult(messages=(message,) if message else ())

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        token = credentials.get("bot_token")
        if not token:
            raise ChannelError("this Telegram channel has no bot_token", permanent=True)
        if not reply.in_reply_to or ":" not in reply.in_reply_to:
            raise ChannelError("no Telegram message to reply to", permanent=True)
        chat_id, _, msg_id = reply.in_reply_to.rpartition(":")
        base = credentials.get("api_base_url") or reply.config.get("api_base_url") or DEFAULT_API
        bot = telegram.Bot(token, base_url=base)
        try:
            sent = asyncio.run(_send(bot, int(chat_id), int(msg_id), reply.text))
        except InvalidToken as exc:
            raise ChannelError(TOKEN_REFUSED, auth=True) from exc
        except Forbidden as exc:
            raise ChannelError(f"Telegram refused: {exc}", permanent=True) from exc
        except BadRequest as exc:
            raise ChannelError(f"Telegram rejected the message: {exc}", permanent=True) from exc
        except (NetworkError, TelegramError) as exc:
            raise ChannelError(f"Telegram unreachable: {exc}") from exc
        return SendResult(external_id=message_id(sent.chat.id, sent.message_id))


async def _send(bot: telegram.Bot, chat_id: int, reply_to: int, text: str) -> telegram.Message:
    async with bot:
        return await bot.send_message(
            chat_id=chat_id, text=text, reply_parameters=telegram.ReplyParameters(message_id=reply_to)
        )


async def _get_me(bot: telegram.Bot) -> telegram.User:
    async with bot:
        return await bot.get_me()
