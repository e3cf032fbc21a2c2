"""Read a mailbox's settings from the channel's config and credentials, with safe defaults.

Hosts, ports and addresses are not secret and live in ``Channel.config``;
only the passwords sit in the encrypted credentials. A password is never
sent in the clear to anything but a loopback host.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from lara.channels.base import ChannelError

SECURITY = ("ssl", "starttls", "none")
DEFAULT_PORTS = {
    "imap": {"ssl": 993, "starttls": 143, "none": 143},
    "smtp": {"ssl": 465, "starttls": 587, "none": 25},
}
BATCH_DEFAULT = 50
BATCH_MAX = 200
TIMEOUT_SECONDS = 30.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Server:
    """One end of the mailbox (IMAP or SMTP): where, how encrypted, who logs in."""

    protocol: str
    host: str
    port: int
    security: str
    username: str
    password: str

    def describe(self) -> str:
        return f"{self.protocol.upper()} {self.host}:{self.port}"


@dataclass(frozen=True)
class MailSettings:
    address: str
    from_name: str
    imap: Server
    smtp: Server
    folder: str
    mark_seen: bool
    batch_size: int
    save_sent: bool
    sent_folder: str


def _server(protocol: str, config: dict[str, Any], username: str, password: str) -> Server:
    host = str(config.get(f"{protocol}_host") or "").strip()
    if not host:
        raise ChannelError(f"this e-mail channel has no {protocol}_host configured", permanent=True)
    default_security = "ssl" if protocol == "imap" else "starttls"
    security = str(config.get(f"{protocol}_security") or default_security).lower()
    if security not in SECURITY:
        raise ChannelError(
            f"{protocol}_security must be one of {', '.join(SECURITY)}, not {security!r}", permanent=True
        )
    if security == "none" and password and not is_loopback(host):
        raise ChannelError(
            f"{protocol.upper()} without TLS would send the password in the clear to {host}; "
            f"set {protocol}_security to ssl or starttls",
            permanent=True,
        )
    try:
        port = int(config.get(f"{protocol}_port") or DEFAULT_PORTS[protocol][security])
    except (TypeError, ValueError) as exc:
        raise ChannelError(f"{protocol}_port must be a number", permanent=True) from exc
    return Server(protocol, host, port, security, username, password)


def mail_settings(config: dict[str, Any], credentials: dict[str, Any]) -> MailSettings:
    """Validate the channel's settings; a missing or wrong one is a permanent, named error."""
    address = str(config.get("address") or "").strip()
    if "@" not in address:
        raise ChannelError("this e-mail channel has no address (the mailbox, e.g. support@…)", permanent=True)
    password = str(credentials.get("password") or "")
    if not password:
        raise ChannelError("this e-mail channel has no password", permanent=True)
    username = str(config.get("username") or address)
    smtp_username = str(config.get("smtp_username") or username)
    smtp_password = str(credentials.get("smtp_password") or password)
    try:
        batch = int(config.get("batch_size") or BATCH_DEFAULT)
    except (TypeError, ValueError) as exc:
        raise ChannelError("batch_size must be a number", permanent=True) from exc
    return MailSettings(
        address=address,
        from_name=str(config.get("from_name") or ""),
        imap=_server("imap", config, username, password),
        smtp=_server("smtp", config, smtp_username, smtp_password),
        folder=str(config.get("folder") or "INBOX"),
        mark_seen=bool(config.get("mark_seen", False)),
        batch_size=max(1, min(batch, BATCH_MAX)),
        save_sent=bool(config.get("save_sent", False)),
        sent_folder=str(config.get("sent_folder") or ""),
    )


FIELD_HELP = {
    "password": "The mailbox password (an app password where the provider offers one).",
    "smtp_password": "Only if SMTP uses a different password than IMAP.",
    "address": "The support address: the From of every reply, e.g. support@volta.example.",
    "from_name": "The name shown with the address, e.g. Volta Support.",
    "username": "The IMAP login; defaults to the address.",
    "smtp_username": "The SMTP login; defaults to the IMAP login.",
    "imap_host": "e.g. imap.volta.example",
    "imap_port": "Defaults to 993 (ssl) or 143 (starttls).",
    "imap_security": "ssl (default), starttls, or none (loopback only when a password is set).",
    "smtp_host": "e.g. smtp.volta.example",
    "smtp_port": "Defaults to 587 (starttls), 465 (ssl) or 25 (none).",
    "smtp_security": "starttls (default), ssl, or none (loopback only when a password is set).",
    "folder": "The IMAP folder to read; INBOX by default.",
    "mark_seen": "true to mark fetched mail as read; by default Lara leaves it unread.",
    "batch_size": f"Messages fetched per poll ({BATCH_DEFAULT} by default, at most {BATCH_MAX}).",
    "save_sent": "true to put a copy of every reply in the Sent folder over IMAP.",
    "sent_folder": "Where the copies go; by default the folder the server marks as Sent.",
}
