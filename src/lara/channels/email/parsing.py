"""Turn one RFC 5322 message into an InboundMessage with the stdlib ``email`` package.

The agent reads what the customer wrote now, not the whole quoted history:
the plain-text part is preferred, HTML-only mail is sanitised with nh3 (so
no script, style or event-handler text can reach the inbox) and flattened
to text, and quoted replies and signatures are trimmed where a client marks
them unambiguously. Only the headers Lara uses are kept in ``raw``; the
full message stays on the mail server.

Threading follows the headers mail clients write: the first id in
``References`` is the conversation's root, so every reply lands in the
case the first message opened.
"""

from __future__ import annotations

import hashlib
import html
import mimetypes
import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

import nh3

from lara.channels.base import Attachment, Author, InboundMessage, MessageKind

MSG_ID = re.compile(r"<[^<>\s]+>")


class AutoReply(ValueError):
    """The message was written by a machine (out-of-office, bounce): not a customer speaking."""


def email_parse(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)  # policy.default always builds EmailMessage
    return parsed


def auto_reply_reason(msg: Message) -> str | None:
    """Why the message is automatic, by the headers RFC 3834 and mail servers set; None for a person."""
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Failed-Recipients"):
        if msg.get(name) is not None:
            return f"{name} header"
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in ("bulk", "auto_reply", "junk"):
        return f"Precedence: {precedence}"
    if msg.get_content_type() == "multipart/report":
        return "multipart/report (delivery or read report)"
    return None


def message_ids(value: object) -> list[str]:
    """The ``<id>``s in a Message-ID, In-Reply-To or References header, in order."""
    return MSG_ID.findall(str(value or ""))


def external_id(msg: Message, raw: bytes) -> str:
    """The Message-ID, so a message seen twice (re-read folder, two polls) is stored once.

    A message without one (rare, broken senders) is named by a hash of its
    bytes, which is just as stable for the same message on the same server.
    """
    ids = message_ids(msg.get("Message-ID"))
    return ids[0] if ids else "sha256:" + hashlib.sha256(raw).hexdigest()


def thread_key(msg: Message, own_id: str) -> str:
    """The conversation's root: first References id, else In-Reply-To, else the message itself."""
    references = message_ids(msg.get("References"))
    if references:
        return references[0]
    parent = message_ids(msg.get("In-Reply-To"))
    return parent[0] if parent else own_id


def _sender(msg: EmailMessage) -> Address:
    header = msg.get("From")
    addresses = getattr(header, "addresses", ()) if header is not None else ()
    for address in addresses:
        if address.addr_spec and "@" in address.addr_spec:
            return address
    raise ValueError(f"no sender address in From: {str(header or '')!r}")


def _created_at(msg: Message, received: datetime | None) -> datetime:
    """The Date header in UTC; the server's arrival time when it is missing or unreadable."""
    try:
        sent = parsedate_to_datetime(str(msg.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        sent = None
    if sent is not None and sent.tzinfo is not None:
        return sent.astimezone(UTC)
    if received is not None:
        return received.astimezone(UTC) if received.tzinfo else received.replace(tzinfo=UTC)
    raise ValueError("the message has no readable Date and no arrival time")


def part_text(part: Message) -> str:
    """Decode a text part in its declared charset; a wrong charset loses characters, not the mail."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeDecodeError):
        pass
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    for charset in (part.get_content_charset(), "utf-8"):
        if charset:
            try:
                return data.decode(charset, errors="replace")
            except LookupError:
                continue
    return data.decode("utf-8", errors="replace")


BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|h[1-6]|blockquote|pre|table|ul|ol)>|<hr\s*/?>", re.I)
TAG = re.compile(r"<[^>]*>")
KEEP_TAGS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
KEEP_TAGS |= {"table", "ul", "ol", "hr"}


def html_to_text(markup: str) -> str:
    """Sanitise with nh3 (script, style and head dropped with their content), then flatten to text.

    nh3 runs first so that what is flattened is already inert: whatever the
    HTML held, only text and a few block tags (turned into line breaks)
    remain, and entities are unescaped last.
    """
    clean = nh3.clean(
        markup,
        tags=KEEP_TAGS,
        attributes={},
        clean_content_tags={"script", "style", "head", "title", "template"},
        link_rel=None,
        strip_comments=True,
    )
    text = html.unescape(TAG.sub("", BLOCK_END.sub("\n", clean)))
    return tidy(text.replace("\xa0", " "))


def tidy(text: str) -> str:
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# "On Mon, 23 Nov 2026 at 10:02, Volta <support@volta.example> wrote:" and its
# usual translations; a line must end with one of these and be followed by
# quoted lines to count as the start of the history.
ATTRIBUTION = re.compile(
    r"^(?:On\s.+wrote|Am\s.+schrieb.*|Le\s.+a\s+écrit|El\s.+escribió|.+\s(?:пишет|написал[аи]?|пише|написав|написала)"
    r"|.+כתב(?:\/ה|ה)?|.+\sschreef|Il\s.+ha\s+scritto)\s*:\s*$",
    re.IGNORECASE,
)
OUTLOOK_SEPARATOR = re.compile(
    r"^-{3,}\s*(?:Original Message|Ursprüngliche Nachricht|Исходное сообщение)\s*-{3,}$", re.I
)
MOBILE_FOOTER = re.compile(r"^(?:Sent from my \w[\w ]*|Get Outlook for \w+)\.?$", re.I)


def trim_reply(text: str) -> str:
    """Drop quoted history and the signature where the mail client marked them unambiguously.

    Marks taken: an attribution line ("On … wrote:") followed by ``>``
    lines, an Outlook "Original Message" separator, a trailing block of
    ``>`` lines, the RFC 3676 signature separator ``-- `` and a mobile
    "Sent from my …" footer. Anything less certain stays; an answer that
    would come out empty keeps the full text.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if OUTLOOK_SEPARATOR.match(stripped):
            cut = i
            break
        joined = stripped if ATTRIBUTION.match(stripped) else ""
        if not joined and i + 1 < len(lines) and ATTRIBUTION.match(f"{stripped} {lines[i + 1].strip()}"):
            joined, i = f"{stripped} {lines[i + 1].strip()}", i + 1  # a wrapped attribution line
        if joined:
            following = [n for n in lines[i + 1 :] if n.strip()]
            if following and following[0].lstrip().startswith(">"):
                cut = i - (1 if joined != stripped else 0)
                break
    lines = lines[:cut]
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i] in ("-- ", "--"):
            lines = lines[:i]
            break
    while lines and (not lines[-1].strip() or MOBILE_FOOTER.match(lines[-1].strip())):
        lines.pop()
    trimmed = "\n".join(lines).strip()
    return trimmed or text.strip()


def _body(msg: EmailMessage) -> tuple[str, set[int]]:
    """The text the customer wrote, and the ids of the parts it came from (not attachments)."""
    plain = msg.get_body(preferencelist=("plain",))
    if plain is not None:
        return trim_reply(tidy(part_text(plain))), {id(plain)}
    rich = msg.get_body(preferencelist=("html",))
    if rich is not None:
        return trim_reply(html_to_text(part_text(rich))), {id(rich)}
    return "", set()


def _attachments(msg: EmailMessage, body_parts: set[int]) -> tuple[Attachment, ...]:
    """Every leaf part that is not the body: files, inline images, forwarded mails."""
    found: list[Attachment] = []

    def visit(part: Message) -> None:
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            for child in part.iter_parts():  # type: ignore[attr-defined]
                visit(child)
            return
        if id(part) in body_parts:
            return
        content_type = part.get_content_type()
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if content_type.startswith("text/") and not filename and disposition != "attachment":
            return  # an alternative body we did not choose, not a file
        if content_type == "message/rfc822":
            inner = part.get_payload()
            inner_msg = inner[0] if isinstance(inner, list) else inner
            data = inner_msg.as_bytes() if isinstance(inner_msg, Message) else b""
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        if not filename:
            extension = mimetypes.guess_extension(content_type) or ".bin"
            filename = (
                f"attachment-{len(found) + 1}{'.eml' if content_type == 'message/rfc822' else extension}"
            )
        found.append(Attachment(filename=filename, content_type=content_type, data=data))

    if msg.is_multipart():
        visit(msg)
    return tuple(found)


def _addresses(value: object) -> list[str]:
    return [addr.lower() for _, addr in getaddresses([str(value)]) if addr] if value else []


def inbound_from_bytes(channel: str, raw: bytes, *, received: datetime | None = None) -> InboundMessage:
    """Parse one message; raise AutoReply for machine mail and ValueError for mail that cannot be read."""
    try:
        msg = email_parse(raw)
    except Exception as exc:  # the parser is lenient; anything it still throws is a broken message
        raise ValueError(f"unreadable message: {exc}") from exc
    reason = auto_reply_reason(msg)
    if reason:
        raise AutoReply(reason)
    try:
        sender = _sender(msg)
        own_id = external_id(msg, raw)
        text, body_parts = _body(msg)
        attachments = _attachments(msg, body_parts)
        subject = " ".join(str(msg.get("Subject", "")).split())
        created = _created_at(msg, received)
    except (ValueError, LookupError, TypeError, AttributeError, IndexError) as exc:
        raise ValueError(f"unreadable message: {exc}") from exc
    parents = message_ids(msg.get("In-Reply-To"))
    raw_headers: dict[str, Any] = {
        "message_id": own_id,
        "in_reply_to": parents[0] if parents else "",
        "references": message_ids(msg.get("References")),
        "to": _addresses(msg.get("To")),
        "cc": _addresses(msg.get("Cc")),
        "date": str(msg.get("Date", "")),
    }
    address = sender.addr_spec.lower()
    return InboundMessage(
        channel=channel,
        external_id=own_id,
        kind=MessageKind.EMAIL,
        text=text,
        created_at=created,
        author=Author(external_id=address, handle=address, name=sender.display_name or "", email=address),
        in_reply_to=parents[0] if parents else None,
        thread_key=thread_key(msg, own_id),
        public=False,
        raw=raw_headers,
        attachments=attachments,
        subject=subject,
    )
