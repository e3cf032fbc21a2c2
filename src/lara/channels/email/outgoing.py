"""Compose a reply that mail clients thread under the customer's message, and send it over SMTP.

``In-Reply-To`` names the message answered and ``References`` carries the
whole chain (RFC 5322 §3.6.4), so the customer's client and Lara's own
threading both put it in the same conversation. The Message-ID is derived
from the reply id and content: a retry after a crash between SMTP and the
database sends the same id, which receiving systems de-duplicate.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from lara.channels.base import ChannelError, OutboundReply

from .parsing import message_ids
from .settings import TIMEOUT_SECONDS, MailSettings, Server

REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|antw|réf|ответ|תגובה)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def reply_subject(original: str) -> str:
    """``Re: <subject>``, never ``Re: Re:`` (nor the German, Nordic, Russian or Hebrew variants)."""
    bare = REPLY_PREFIX.sub("", " ".join(original.split()))
    return f"Re: {bare}" if bare else "Re: your message"


def reply_message_id(reply: OutboundReply, domain: str) -> str:
    digest = hashlib.sha256(f"{reply.channel}|{reply.in_reply_to}|{reply.text}".encode()).hexdigest()[:16]
    return f"<lara.{reply.reply_id}.{digest}@{domain}>"


def reply_compose(
    reply: OutboundReply, settings: MailSettings, *, subject: str, references: str
) -> EmailMessage:
    """Build the reply; ``references`` is the answered message's own References header, if known."""
    recipient = parseaddr(reply.recipient_external_id or "")[1]
    if "@" not in recipient:
        raise ChannelError(f"no e-mail address to reply to: {reply.recipient_external_id!r}", permanent=True)
    parent = message_ids(reply.in_reply_to)
    chain = message_ids(references) or message_ids(reply.thread_key)
    chain = [i for i in chain if i not in parent] + parent
    msg = EmailMessage()
    msg["From"] = (
        formataddr((settings.from_name, settings.address)) if settings.from_name else settings.address
    )
    msg["To"] = recipient
    msg["Subject"] = reply_subject(subject)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = reply_message_id(reply, settings.address.rpartition("@")[2])
    if parent:
        msg["In-Reply-To"] = parent[0]
    if chain:
        msg["References"] = " ".join(chain)
    msg.set_content(reply.text)
    return msg


def _smtp_open(server: Server) -> smtplib.SMTP:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if server.security == "ssl":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
    try:
        client.ehlo()
        if server.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if server.password:
            client.login(server.username, server.password)
    except BaseException:
        client.close()
        raise
    return client


def _by_code(code: int, text: str) -> ChannelError:
    """5xx is the server's final word; 4xx (greylisting, full queue) is worth another try."""
    return ChannelError(text, permanent=500 <= code < 600)


def _reason(raw: bytes | str) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


def smtp_call(server: Server, action: str, work: Callable[[smtplib.SMTP], object]) -> None:
    """Connect, log in, run ``work(client)``, and turn every SMTP failure into a ChannelError."""
    try:
        client = _smtp_open(server)
        try:
            work(client)
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    except smtplib.SMTPAuthenticationError as exc:
        refused = f"SMTP refused the login for {server.username}: {exc.smtp_code} {_reason(exc.smtp_error)}"
        if exc.smtp_code >= 500:  # 535 bad credentials; 454 is a temporary failure of the server
            raise ChannelError(refused, auth=True) from exc
        raise ChannelError(refused) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        code, answer = next(iter(exc.recipients.values()))
        who = ", ".join(exc.recipients)
        raise _by_code(code, f"SMTP refused the recipient {who}: {code} {_reason(answer)}") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise ChannelError(f"{server.describe()} cannot {action}: {exc}", permanent=True) from exc
    except smtplib.SMTPResponseException as exc:
        raise _by_code(
            exc.smtp_code, f"SMTP refused to {action}: {exc.smtp_code} {_reason(exc.smtp_error)}"
        ) from exc
    except ssl.SSLError as exc:
        raise ChannelError(f"{server.describe()}: TLS failed: {exc}", permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise ChannelError(f"{server.describe()} unreachable: {exc}") from exc


def reply_deliver(settings: MailSettings, msg: EmailMessage) -> None:
    recipient = str(msg["To"])
    smtp_call(
        settings.smtp,
        "send the reply",
        lambda client: client.send_message(msg, from_addr=settings.address, to_addrs=[recipient]),
    )
