"""Read the support mailbox over IMAP with imapclient, by UID, without marking mail read.

The cursor is (UIDVALIDITY, last UID seen): UIDs only mean something
within one UIDVALIDITY, so when the server changes it (folder rebuilt,
migrated) the whole folder is read again, and the Message-ID external id
makes every message already stored a no-op. ``BODY.PEEK[]`` leaves the
``\\Seen`` flag alone, so the mailbox still shows people what is unread.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from imapclient import SEEN, IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.imapclient import SENT

from lara.channels.base import ChannelError

from .settings import TIMEOUT_SECONDS, MailSettings, Server

log = logging.getLogger(__name__)


@contextmanager
def imap_session(server: Server) -> Iterator[IMAPClient]:
    """Log in; say exactly what failed (refused login = auth, unreachable = retry later)."""
    context = ssl.create_default_context()
    try:
        client = IMAPClient(
            server.host,
            port=server.port,
            ssl=server.security == "ssl",
            ssl_context=context,
            timeout=TIMEOUT_SECONDS,
        )
        client.normalise_times = False  # INTERNALDATE with its zone, not naive local time
        if server.security == "starttls":
            client.starttls(context)
        client.login(server.username, server.password)
    except LoginError as exc:
        raise ChannelError(f"IMAP refused the login for {server.username}: {_said(exc)}", auth=True) from exc
    except ssl.SSLError as exc:
        raise ChannelError(f"{server.describe()}: TLS failed: {exc}", permanent=True) from exc
    except (OSError, IMAPClientError) as exc:
        raise ChannelError(f"{server.describe()} unreachable: {_said(exc)}") from exc
    try:
        yield client
    finally:
        with suppress(OSError, IMAPClientError):
            client.logout()


def _said(exc: BaseException) -> str:
    text = str(exc)
    return text.removeprefix("b'").removeprefix('b"').rstrip("'\"") or type(exc).__name__


def folder_open(client: IMAPClient, folder: str, *, readonly: bool) -> dict[bytes, object]:
    try:
        return client.select_folder(folder, readonly=readonly)
    except IMAPClientError as exc:
        raise ChannelError(f"IMAP folder {folder!r} cannot be opened: {_said(exc)}", permanent=True) from exc


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    received: datetime | None


@dataclass(frozen=True)
class Batch:
    uidvalidity: int
    messages: tuple[Fetched, ...]
    remaining: int


def batch_fetch(settings: MailSettings, *, uidvalidity: int | None, last_uid: int) -> Batch:
    """The next ``batch_size`` messages after ``last_uid``, oldest first.

    After a UIDVALIDITY change the folder is read again from the start.
    """
    with imap_session(settings.imap) as client:
        status = folder_open(client, settings.folder, readonly=not settings.mark_seen)
        current = int(status.get(b"UIDVALIDITY") or 0)  # type: ignore[call-overload]
        start = last_uid if uidvalidity == current else 0
        try:
            # "N:*" also returns the newest message when N is past the end: filter.
            uids = sorted(u for u in client.search(["UID", f"{start + 1}:*"]) if u > start)
            chosen = uids[: settings.batch_size]
            fetched = client.fetch(chosen, ["BODY.PEEK[]", "INTERNALDATE"]) if chosen else {}
            if settings.mark_seen and chosen:
                client.add_flags(chosen, [SEEN])
        except (OSError, IMAPClientError) as exc:
            raise ChannelError(f"IMAP fetch from {settings.folder!r} failed: {_said(exc)}") from exc
    messages = tuple(
        Fetched(uid=uid, raw=bytes(fetched[uid].get(b"BODY[]") or b""), received=_received(fetched[uid]))
        for uid in chosen
        if uid in fetched
    )
    return Batch(uidvalidity=current, messages=messages, remaining=len(uids) - len(chosen))


def _received(data: dict[bytes, object]) -> datetime | None:
    value = data.get(b"INTERNALDATE")
    return value if isinstance(value, datetime) else None


def folder_count(settings: MailSettings) -> int:
    """Log in, open the folder read-only, and count its messages (the "test connection" check)."""
    with imap_session(settings.imap) as client:
        status = folder_open(client, settings.folder, readonly=True)
        return int(status.get(b"EXISTS") or 0)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Original:
    """What a reply needs from the message it answers and the mailbox still holds."""

    subject: str
    references: str


def original_find(settings: MailSettings, message_id: str) -> Original | None:
    """Look the answered message up by Message-ID for its Subject and References; None if gone.

    The outbox hands adapters ids, not stored rows, and the mailbox is the
    record of the thread; an IMAP failure here must not stop the reply, so
    it is logged and the reply goes out with what is known.
    """
    try:
        with imap_session(settings.imap) as client:
            folder_open(client, settings.folder, readonly=True)
            uids = client.search(["HEADER", "Message-ID", message_id])
            if not uids:
                return None
            data = client.fetch(uids[-1:], ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT REFERENCES)]"])
    except (ChannelError, OSError, IMAPClientError) as exc:
        log.warning("could not look up %s for the reply's subject: %s", message_id, exc)
        return None
    for item in data.values():
        header_bytes = next((v for k, v in item.items() if k.startswith(b"BODY[HEADER")), b"")
        headers = BytesHeaderParser(policy=default_policy).parsebytes(bytes(header_bytes))
        if str(headers.get("Message-ID", "")).strip() == message_id:
            return Original(
                subject=str(headers.get("Subject", "")), references=str(headers.get("References", ""))
            )
    return None


def sent_save(settings: MailSettings, message: bytes) -> None:
    """Put a copy of a sent reply in the Sent folder; a failure is logged, never raised.

    The mail has already gone out: raising would make the outbox retry and
    send it twice.
    """
    try:
        with imap_session(settings.imap) as client:
            folder = settings.sent_folder or client.find_special_folder(SENT) or "Sent"
            client.append(folder, message, flags=[SEEN])
    except (ChannelError, OSError, IMAPClientError) as exc:
        log.warning("reply sent but not copied to the Sent folder: %s", exc)
