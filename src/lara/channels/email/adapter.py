"""Hear customers in a support mailbox (IMAP) and answer them in the same thread (SMTP).

Polling, not IMAP IDLE: Lara's poller runs each channel as a short durable
job every ``poll_interval_seconds``; IDLE would need one long-lived
connection per mailbox held by a process of its own, which the embedded
mode does not have. A few minutes' delay is normal for e-mail.

Machine mail (out-of-office replies, bounces) is not a customer speaking:
it is counted in the poll state, not stored and not dead-lettered. Mail
that cannot be parsed at all goes to the dead-letter list whole (base64),
so ``lara replay`` can parse it again after a fix.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from lara.channels.base import InboundMessage, OutboundReply, PollResult, SendResult

from .mailbox import batch_fetch, folder_count, original_find, sent_save
from .outgoing import reply_compose, reply_deliver, smtp_call
from .parsing import AutoReply, inbound_from_bytes, message_ids
from .settings import FIELD_HELP, mail_settings


def dead_letter_item(
    *, uid: int, folder: str, uidvalidity: int, raw: bytes, received: datetime | None
) -> dict[str, Any]:
    return {
        "uid": uid,
        "folder": folder,
        "uidvalidity": uidvalidity,
        "received": received.isoformat() if received else None,
        "message_base64": base64.b64encode(raw).decode("ascii"),
    }


class EmailAdapter:
    network = "email"
    credential_fields = ("password", "smtp_password")
    config_fields = (
        "address",
        "from_name",
        "username",
        "imap_host",
        "imap_port",
        "imap_security",
        "folder",
        "mark_seen",
        "batch_size",
        "smtp_host",
        "smtp_port",
        "smtp_security",
        "smtp_username",
        "save_sent",
        "sent_folder",
    )
    field_help = FIELD_HELP

    def poll(
        self, *, channel: str, config: dict[str, Any], credentials: dict[str, Any], state: dict[str, Any]
    ) -> PollResult:
        settings = mail_settings(config, credentials)
        same_folder = state.get("folder", settings.folder) == settings.folder
        batch = batch_fetch(
            settings,
            uidvalidity=state.get("uidvalidity") if same_folder else None,
            last_uid=int(state.get("last_uid") or 0) if same_folder else 0,
        )
        messages: list[InboundMessage] = []
        rejected: list[tuple[dict[str, Any], str]] = []
        skipped = int(state.get("auto_replies_skipped") or 0)
        cursor_valid = same_folder and batch.uidvalidity == state.get("uidvalidity")
        last_uid = int(state.get("last_uid") or 0) if cursor_valid else 0
        for fetched in batch.messages:
            last_uid = max(last_uid, fetched.uid)
            try:
                messages.append(inbound_from_bytes(channel, fetched.raw, received=fetched.received))
            except AutoReply:
                skipped += 1
            except Exception as exc:  # one poisonous mail must never block the mailbox behind it
                item = dead_letter_item(
                    uid=fetched.uid,
                    folder=settings.folder,
                    uidvalidity=batch.uidvalidity,
                    raw=fetched.raw,
                    received=fetched.received,
                )
                rejected.append((item, str(exc)))
        state = {
            "folder": settings.folder,
            "uidvalidity": batch.uidvalidity,
            "last_uid": last_uid,
            "auto_replies_skipped": skipped,
            "backlog": batch.remaining,
        }
        return PollResult(messages=tuple(messages), state=state, rejected=tuple(rejected))

    def parse_item(self, *, channel: str, item: dict[str, Any]) -> InboundMessage:
        """Parse a dead-lettered message again; raise ValueError when it still cannot be read."""
        try:
            raw = base64.b64decode(item["message_base64"], validate=True)
            received = datetime.fromisoformat(item["received"]) if item.get("received") else None
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise ValueError(f"not a dead-lettered e-mail item: {exc}") from exc
        return inbound_from_bytes(channel, raw, received=received)

    def send(self, reply: OutboundReply, credentials: dict[str, Any]) -> SendResult:
        settings = mail_settings(reply.config, credentials)
        parent = message_ids(reply.in_reply_to)
        original = original_find(settings, parent[0]) if parent else None
        msg = reply_compose(
            reply,
            settings,
            subject=original.subject if original else "",
            references=original.references if original else "",
        )
        reply_deliver(settings, msg)
        if settings.save_sent:
            sent_save(settings, msg.as_bytes())
        return SendResult(external_id=str(msg["Message-ID"]))

    def check(self, *, config: dict[str, Any], credentials: dict[str, Any]) -> str:
        settings = mail_settings(config, credentials)
        count = folder_count(settings)
        smtp_call(settings.smtp, "log in", lambda client: None)
        return (
            f"IMAP ok ({settings.folder}, {count} message{'s' if count != 1 else ''}), "
            f"SMTP ok as {settings.smtp.username}"
        )
