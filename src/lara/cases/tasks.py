"""Job entry points of the Act side: thin, take ids, safe to retry."""

from __future__ import annotations

from .pipeline import message_process
from .services import reply_send


def process_message_task(message_id: int) -> None:
    message_process(message_id=message_id)


def send_reply_task(reply_id: int) -> None:
    reply_send(reply_id=reply_id)
