"""Run real mail servers on loopback: Dovecot for IMAP, aiosmtpd for SMTP.

Dovecot is Debian's ``dovecot-imapd`` (installed by ``.ci/run``), started in
the foreground from a generated configuration in a throwaway directory:
one listener on 127.0.0.1, users from a static passwd-file, maildirs under
the same directory, no TLS (a loopback-only test server). aiosmtpd records
every message Lara hands it and can refuse chosen recipients.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dovecot_binary() -> str:
    found = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if not found:
        raise RuntimeError("dovecot is not installed: apt-get install dovecot-imapd (as .ci/run does)")
    return found


def _accounts() -> tuple[str, str, str, str]:
    """Who Dovecot's processes run as: its own users when started as root, else the current user."""
    if os.geteuid() == 0:
        return "dovenull", "dovecot", "nobody", "nogroup"
    me = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    return me, me, me, group


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_user}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass(frozen=True)
class Imap:
    host: str
    port: int
    users: dict[str, str]


@contextmanager
def dovecot(users: dict[str, str]) -> Iterator[Imap]:
    """A throwaway Dovecot on a free loopback port with the given users and passwords."""
    binary = _dovecot_binary()
    root = Path(tempfile.mkdtemp(prefix="lara-dovecot-"))
    login_user, internal_user, mail_user, mail_group = _accounts()
    port = free_port()
    try:
        root.chmod(0o755)
        for sub in ("run", "state", "home"):
            (root / sub).mkdir()
        if os.geteuid() == 0:
            shutil.chown(root / "home", mail_user, mail_group)
        (root / "users").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in users.items()))
        config = root / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                root=root,
                port=port,
                login_user=login_user,
                internal_user=internal_user,
                mail_user=mail_user,
                mail_group=mail_group,
            )
        )
        process = subprocess.Popen(
            [binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            _wait_for(port, process, root / "dovecot.log")
            yield Imap("127.0.0.1", port, dict(users))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"dovecot exited with {process.returncode}: {error}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    logged = log.read_text() if log.exists() else ""
    raise RuntimeError(f"dovecot did not listen on {port} within 15 s: {logged}")


@dataclass
class SmtpRecorder:
    """What the SMTP server received, and which recipients it refuses with which answer."""

    login: str
    password: str
    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 Ok: queued"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.login
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535 itself


@contextmanager
def smtp_server(login: str, password: str) -> Iterator[tuple[int, SmtpRecorder]]:
    """aiosmtpd on a free loopback port requiring AUTH (plain text: loopback only)."""
    recorder = SmtpRecorder(login=login, password=password)
    port = free_port()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        authenticator=recorder.authenticate,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        yield port, recorder
    finally:
        controller.stop()
