"""E-mail: a support mailbox read over IMAP (a real Dovecot), replies sent over SMTP (aiosmtpd).

The fixtures under channels/email/fixtures/ are RFC 5322 messages as mail
clients write them; they are APPENDed to the Dovecot mailbox and polled
through the same ``channel_poll`` the scheduler runs.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from lara.cases.models import Case, Reply
from lara.cases.services import reply_create
from lara.channels.base import ChannelError, OutboundReply
from lara.channels.email.adapter import EmailAdapter
from lara.channels.email.outgoing import reply_subject
from lara.channels.email.parsing import html_to_text, inbound_from_bytes, trim_reply
from lara.channels.email.settings import mail_settings
from lara.core.jobs import jobs_run_pending
from lara.mentions.models import Attachment, DeadLetter, Message
from lara.mentions.polling import channel_poll

from ..mailservers import Imap, SmtpRecorder, dovecot, smtp_server

# aiosmtpd warns that AUTH without TLS is unsafe: true, and why this server only listens on loopback.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/email/fixtures"
ADDRESS = "support@volta.example"
IMAP_PASSWORD = "imap-s3cret"
SMTP_PASSWORD = "smtp-s3cret"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(scope="module")
def imap_server() -> Iterator[Imap]:
    with dovecot({ADDRESS: IMAP_PASSWORD}) as server:
        yield server


@pytest.fixture
def mailbox(imap_server: Imap) -> Iterator[IMAPClient]:
    """A logged-in IMAP client on an empty INBOX and Sent folder (extra folders removed)."""
    client = IMAPClient(imap_server.host, port=imap_server.port, ssl=False)
    client.login(ADDRESS, IMAP_PASSWORD)
    for _flags, _sep, name in client.list_folders():
        if name in ("INBOX", "Sent"):
            client.select_folder(name)
            client.delete_messages(client.search("ALL"))
            client.expunge()
        else:
            client.delete_folder(name)
    yield client
    client.logout()


@pytest.fixture
def smtp() -> Iterator[tuple[int, SmtpRecorder]]:
    with smtp_server(ADDRESS, SMTP_PASSWORD) as server:
        yield server


def channel_config(imap: Imap, smtp_port: int, **extra: Any) -> dict[str, Any]:
    return {
        "address": ADDRESS,
        "from_name": "Volta Support",
        "imap_host": imap.host,
        "imap_port": imap.port,
        "imap_security": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_security": "none",
        **extra,
    }


@pytest.fixture
def channel(org: dict[str, Any], imap_server: Imap, smtp: tuple[int, SmtpRecorder]) -> Any:
    mailbox_channel = org["email"]
    mailbox_channel.config = channel_config(imap_server, smtp[0])
    mailbox_channel.credentials = {"password": IMAP_PASSWORD, "smtp_password": SMTP_PASSWORD}
    mailbox_channel.account_name = ADDRESS
    mailbox_channel.save()
    return mailbox_channel


def deliver(client: IMAPClient, *names: str, folder: str = "INBOX") -> None:
    for name in names:
        client.append(folder, fixture(name))


ALL_FIXTURES = (
    "plain.eml",
    "html_only.eml",
    "alternative.eml",
    "reply.eml",
    "attachment.eml",
    "hebrew_windows1255.eml",
    "russian_koi8r.eml",
    "auto_reply.eml",
    "bounce.eml",
    "no_sender.eml",
    "no_message_id.eml",
)
ROOT = "<CAF3x9Qk1m2n3@mail.example.org>"


def stored(external_id: str) -> tuple[Any, ...]:
    m = Message.objects.get(external_id=external_id)
    return (
        m.kind,
        m.public,
        m.author_external_id,
        m.author_name,
        m.author_email,
        m.subject,
        m.text,
        m.thread_key,
        m.in_reply_to,
        m.conversation_key,
        m.created_at.isoformat(),
    )


def test_each_fixture_is_stored_once_with_its_author_subject_text_thread_and_files(
    channel: Any, mailbox: IMAPClient
) -> None:
    deliver(mailbox, *ALL_FIXTURES)

    first = channel_poll(channel.pk)
    second = channel_poll(channel.pk)

    assert [r.outcome for r in first] == ["created"] * 8
    assert second == []
    assert Message.objects.count() == 8
    assert stored(ROOT) == (
        "email",
        False,
        "dana.levi@example.org",
        "Dana Levi",
        "dana.levi@example.org",
        "My Volta City won't unlock",
        'Hello,\n\nsince this morning the app says "unlock failed" for my Volta City\n'
        "(frame VC-20419). I have rebooted the phone twice.\n\nThanks,\nDana",
        ROOT,
        "",
        ROOT,
        "2026-11-23T08:14:00+00:00",
    )
    assert stored("<CAF3x9Qk7r8s9@mail.example.org>") == (
        "email",
        False,
        "dana.levi@example.org",
        "Dana Levi",
        "dana.levi@example.org",
        "Re: My Volta City won't unlock",
        "That worked, thank you! It unlocks again.",
        ROOT,
        "<lara.7.0c1d2e3f4a5b6c7d@volta.example>",
        ROOT,
        "2026-11-23T09:41:00+00:00",
    )
    alternative = Message.objects.get(external_id="<a1b2c3d4.5e6f@example.pl>")
    assert (alternative.author_name, alternative.subject, alternative.text) == (
        "Marta Kowalska",
        "Battery range",
        "The battery of my Volta Kick lasts 12 km instead of 30 km.\nIs that covered by the warranty?",
    )
    hebrew = Message.objects.get(external_id="<he.0042@example.co.il>")
    assert (hebrew.author_name, hebrew.subject, hebrew.text) == (
        "רבקה כהן",
        "הקורקינט לא נטען",
        "שלום,\nהקורקינט שלי לא נטען מאז העדכון של אתמול. מה לעשות?\nתודה, רבקה",
    )
    russian = Message.objects.get(external_id="<ru.5511@example.ru>")
    assert (russian.author_name, russian.subject, russian.text) == (
        "Алексей Смирнов",
        "Не могу разблокировать самокат",
        'Здравствуйте!\nНе могу разблокировать самокат через приложение, пишет "ошибка 17".\nАлексей',
    )
    with_pdf = Message.objects.get(external_id="<5f2e9c.jonas@example.de>")
    assert with_pdf.text == "The attached invoice charges me twice for March. Please correct it."
    pdf = Attachment.objects.get(message=with_pdf)
    assert (pdf.filename, pdf.content_type, pdf.size) == ("Rechnung-März.pdf", "application/pdf", 589)
    assert bytes(pdf.data).startswith(b"%PDF-1.4\n") and bytes(pdf.data).endswith(b"%%EOF\n")
    assert Attachment.objects.count() == 1
    no_id = Message.objects.get(author_external_id="noam@example.org")
    assert no_id.external_id.startswith("sha256:") and len(no_id.external_id) == 71
    assert no_id.thread_key == no_id.external_id
    assert Message.objects.get(external_id="<a1b2c3d4.5e6f@example.pl>").raw == {
        "message_id": "<a1b2c3d4.5e6f@example.pl>",
        "in_reply_to": "",
        "references": [],
        "to": ["support@volta.example"],
        "cc": [],
        "date": "Mon, 23 Nov 2026 11:30:00 +0100",
    }


def test_auto_replies_and_bounces_are_counted_not_stored_and_broken_mail_is_dead_lettered(
    channel: Any, mailbox: IMAPClient
) -> None:
    deliver(mailbox, "auto_reply.eml", "bounce.eml", "no_sender.eml", "plain.eml")

    mailbox.select_folder("INBOX")
    uids = mailbox.search("ALL")

    results = channel_poll(channel.pk)

    assert [r.outcome for r in results] == ["created"]
    channel.refresh_from_db()
    assert {k: channel.poll_state[k] for k in ("last_uid", "auto_replies_skipped", "backlog")} == {
        "last_uid": uids[3],
        "auto_replies_skipped": 2,
        "backlog": 0,
    }
    dead = DeadLetter.objects.get()
    assert (dead.source, dead.error) == ("poll", "unreadable message: no sender address in From: ''")
    assert (dead.payload["uid"], dead.payload["folder"]) == (uids[2], "INBOX")
    assert b"Who sent this?" in base64.b64decode(dead.payload["message_base64"])
    with pytest.raises(ValueError, match="no sender address"):
        EmailAdapter().parse_item(channel="email", item=dead.payload)
    assert channel.last_error == ""


def test_polling_leaves_mail_unread_unless_the_channel_says_otherwise(
    channel: Any, mailbox: IMAPClient
) -> None:
    deliver(mailbox, "plain.eml", "alternative.eml")

    channel_poll(channel.pk)
    mailbox.select_folder("INBOX")
    unread_after_default = mailbox.search("UNSEEN")
    channel.config = {**channel.config, "mark_seen": True}
    channel.poll_state = {}
    channel.save()
    channel_poll(channel.pk)
    mailbox.select_folder("INBOX")

    assert len(unread_after_default) == 2
    assert mailbox.search("UNSEEN") == []


def test_a_batch_is_capped_and_the_rest_comes_next_poll(channel: Any, mailbox: IMAPClient) -> None:
    channel.config = {**channel.config, "batch_size": 2}
    channel.save()
    deliver(mailbox, "plain.eml", "alternative.eml", "russian_koi8r.eml")

    first = channel_poll(channel.pk)
    channel.refresh_from_db()
    backlog = channel.poll_state["backlog"]
    second = channel_poll(channel.pk)

    assert (len(first), backlog, len(second)) == (2, 1, 1)
    assert Message.objects.get(external_id="<ru.5511@example.ru>").subject == "Не могу разблокировать самокат"


def test_a_new_uidvalidity_rereads_the_folder_and_stores_only_what_is_new(
    channel: Any, mailbox: IMAPClient
) -> None:
    mailbox.create_folder("Support")
    channel.config = {**channel.config, "folder": "Support"}
    channel.save()
    deliver(mailbox, "plain.eml", folder="Support")
    channel_poll(channel.pk)
    channel.refresh_from_db()
    before = channel.poll_state["uidvalidity"]

    mailbox.delete_folder("Support")  # the server rebuilt the folder: UIDs start again
    mailbox.create_folder("Support")
    deliver(mailbox, "plain.eml", "alternative.eml", folder="Support")
    results = channel_poll(channel.pk)

    channel.refresh_from_db()
    assert channel.poll_state["uidvalidity"] != before
    assert [r.outcome for r in results] == ["duplicate", "created"]
    assert Message.objects.count() == 2


def test_a_customers_reply_joins_the_case_of_the_first_mail(channel: Any, mailbox: IMAPClient) -> None:
    deliver(mailbox, "plain.eml")
    channel_poll(channel.pk)
    jobs_run_pending()
    deliver(mailbox, "reply.eml")
    channel_poll(channel.pk)
    jobs_run_pending()

    case = Case.objects.get()
    assert case.conversation_key == ROOT
    assert sorted(case.case_messages.values_list("message__external_id", flat=True)) == [
        "<CAF3x9Qk1m2n3@mail.example.org>",
        "<CAF3x9Qk7r8s9@mail.example.org>",
    ]


def test_the_html_only_mail_keeps_its_words_and_none_of_its_script(channel: Any, mailbox: IMAPClient) -> None:
    deliver(mailbox, "html_only.eml")

    channel_poll(channel.pk)

    message = Message.objects.get()
    assert message.subject == "Refund for order № 8841"
    assert message.text == (
        "Hi Volta team,\n\nI returned the scooter on Friday & still have no refund for order № 8841.\n"
        "Please check.\n\nOren B."
    )
    for forbidden in ("alert", "script", "onerror", "cookie", "evil", "color", "Newsletter", "<", ">"):
        assert forbidden not in message.text


def test_an_agents_reply_goes_out_in_the_customers_thread(
    org: dict[str, Any], channel: Any, mailbox: IMAPClient, smtp: tuple[int, SmtpRecorder]
) -> None:
    channel.config = {**channel.config, "save_sent": True}
    channel.save()
    deliver(mailbox, "plain.eml")
    channel_poll(channel.pk)
    jobs_run_pending()

    reply_create(
        case=Case.objects.get(), author=org["alice"], text="Hallo Dana, bitte App 4.2.1 installieren."
    )
    jobs_run_pending()

    reply = Reply.objects.get()
    assert (reply.status, reply.last_error) == ("sent", "")
    [(envelope_from, recipients, sent)] = smtp[1].received
    assert (envelope_from, recipients) == (ADDRESS, ["dana.levi@example.org"])
    assert (sent["From"], sent["To"], sent["Subject"]) == (
        "Volta Support <support@volta.example>",
        "dana.levi@example.org",
        "Re: My Volta City won't unlock",
    )
    assert (sent["In-Reply-To"], sent["References"]) == (ROOT, ROOT)
    assert sent["Message-ID"] == reply.external_id
    assert reply.external_id.startswith(f"<lara.{reply.pk}.") and reply.external_id.endswith(
        "@volta.example>"
    )
    assert sent.get_content() == "Hallo Dana, bitte App 4.2.1 installieren.\r\n"  # as sent on the wire
    out = Message.objects.get(direction="out")
    assert (out.external_id, out.conversation_key) == (reply.external_id, ROOT)
    mailbox.select_folder("Sent")
    [uid] = mailbox.search("ALL")
    copy = mailbox.fetch([uid], ["BODY.PEEK[]", "FLAGS"])[uid]
    assert f"Message-ID: {reply.external_id}".encode() in copy[b"BODY[]"]
    assert b"\\Seen" in copy[b"FLAGS"]


def test_answering_a_reply_extends_references_and_never_stacks_re(
    imap_server: Imap, mailbox: IMAPClient, smtp: tuple[int, SmtpRecorder]
) -> None:
    deliver(mailbox, "reply.eml")
    outbound = OutboundReply(
        channel="email",
        text="Glad it works again!",
        in_reply_to="<CAF3x9Qk7r8s9@mail.example.org>",
        thread_key=ROOT,
        recipient_external_id="dana.levi@example.org",
        public=False,
        reply_id=8,
        kind="email",
        config=channel_config(imap_server, smtp[0]),
    )

    result = EmailAdapter().send(outbound, {"password": IMAP_PASSWORD, "smtp_password": SMTP_PASSWORD})

    [(_, _, sent)] = smtp[1].received
    assert sent["Subject"] == "Re: My Volta City won't unlock"
    assert sent["In-Reply-To"] == "<CAF3x9Qk7r8s9@mail.example.org>"
    assert sent["References"] == (
        "<CAF3x9Qk1m2n3@mail.example.org> <lara.7.0c1d2e3f4a5b6c7d@volta.example> "
        "<CAF3x9Qk7r8s9@mail.example.org>"
    )
    assert result.external_id == sent["Message-ID"]
    again = EmailAdapter().send(outbound, {"password": IMAP_PASSWORD, "smtp_password": SMTP_PASSWORD})
    assert again.external_id == result.external_id  # a retried send keeps its Message-ID


def test_a_wrong_smtp_password_fails_the_reply_and_alerts_on_the_channel(
    org: dict[str, Any], channel: Any, mailbox: IMAPClient, smtp: tuple[int, SmtpRecorder]
) -> None:
    deliver(mailbox, "plain.eml")
    channel_poll(channel.pk)
    jobs_run_pending()
    channel.credentials = {"password": IMAP_PASSWORD, "smtp_password": "expired"}
    channel.save()

    reply_create(case=Case.objects.get(), author=org["alice"], text="We are on it")
    jobs_run_pending()

    reply = Reply.objects.get()
    assert reply.status == "failed"
    assert reply.last_error == (
        "SMTP refused the login for support@volta.example: 535 5.7.8 Authentication credentials invalid"
    )
    channel.refresh_from_db()
    assert channel.auth_failed_at is not None
    assert smtp[1].received == []


def _send_to(imap: Imap, smtp_port: int, recipient: str) -> None:
    outbound = OutboundReply(
        channel="email",
        text="Hi",
        in_reply_to=ROOT,
        thread_key=ROOT,
        recipient_external_id=recipient,
        public=False,
        reply_id=9,
        config=channel_config(imap, smtp_port),
    )
    EmailAdapter().send(outbound, {"password": IMAP_PASSWORD, "smtp_password": SMTP_PASSWORD})


def test_a_reply_to_mail_no_longer_in_the_folder_still_threads(
    imap_server: Imap, mailbox: IMAPClient, smtp: tuple[int, SmtpRecorder]
) -> None:
    """Given the customer's mail was moved out of INBOX, the reply keeps the ids it knows."""
    _send_to(imap_server, smtp[0], "dana.levi@example.org")

    [(_, recipients, sent)] = smtp[1].received
    assert recipients == ["dana.levi@example.org"]
    assert (sent["Subject"], sent["In-Reply-To"], sent["References"]) == ("Re: your message", ROOT, ROOT)


def test_a_busy_server_is_retried_and_an_unknown_recipient_is_final(
    imap_server: Imap, mailbox: IMAPClient, smtp: tuple[int, SmtpRecorder]
) -> None:
    port, recorder = smtp
    recorder.refuse = {
        "greylisted@example.org": "451 4.7.1 Greylisted, try again later",
        "gone@example.org": "550 5.1.1 <gone@example.org>: Recipient address rejected",
    }

    with pytest.raises(ChannelError) as busy:
        _send_to(imap_server, port, "greylisted@example.org")
    with pytest.raises(ChannelError) as gone:
        _send_to(imap_server, port, "gone@example.org")

    assert (busy.value.permanent, busy.value.auth) == (False, False)
    assert str(busy.value) == (
        "SMTP refused the recipient greylisted@example.org: 451 4.7.1 Greylisted, try again later"
    )
    assert (gone.value.permanent, gone.value.auth) == (True, False)
    assert str(gone.value).startswith("SMTP refused the recipient gone@example.org: 550 5.1.1")
    assert recorder.received == []


def test_an_unreachable_smtp_server_is_retried(imap_server: Imap, mailbox: IMAPClient) -> None:
    from ..mailservers import free_port

    with pytest.raises(ChannelError, match="unreachable") as caught:
        _send_to(imap_server, free_port(), "dana.levi@example.org")

    assert caught.value.permanent is False


def test_check_reports_both_servers_or_names_the_one_that_refused(
    imap_server: Imap, mailbox: IMAPClient, smtp: tuple[int, SmtpRecorder]
) -> None:
    deliver(mailbox, "plain.eml", "alternative.eml")
    config = channel_config(imap_server, smtp[0])
    adapter = EmailAdapter()

    ok = adapter.check(config=config, credentials={"password": IMAP_PASSWORD, "smtp_password": SMTP_PASSWORD})
    with pytest.raises(ChannelError) as bad_imap:
        adapter.check(config=config, credentials={"password": "nope", "smtp_password": SMTP_PASSWORD})
    with pytest.raises(ChannelError) as bad_smtp:
        adapter.check(config=config, credentials={"password": IMAP_PASSWORD, "smtp_password": "nope"})
    with pytest.raises(ChannelError) as no_folder:
        adapter.check(
            config={**config, "folder": "Archive"},
            credentials={"password": IMAP_PASSWORD, "smtp_password": SMTP_PASSWORD},
        )

    assert ok == "IMAP ok (INBOX, 2 messages), SMTP ok as support@volta.example"
    assert bad_imap.value.auth is True
    assert str(bad_imap.value).startswith("IMAP refused the login for support@volta.example: ")
    assert "Authentication failed" in str(bad_imap.value)
    assert bad_smtp.value.auth is True
    assert str(bad_smtp.value) == (
        "SMTP refused the login for support@volta.example: 535 5.7.8 Authentication credentials invalid"
    )
    assert (no_folder.value.permanent, no_folder.value.auth) == (True, False)
    assert str(no_folder.value).startswith("IMAP folder 'Archive' cannot be opened")
    assert "nope" not in str(bad_imap.value) + str(bad_smtp.value)


def test_a_wrong_imap_password_stops_polling_with_an_alert(channel: Any, mailbox: IMAPClient) -> None:
    channel.credentials = {"password": "rotated", "smtp_password": SMTP_PASSWORD}
    channel.save()
    deliver(mailbox, "plain.eml")

    assert channel_poll(channel.pk) == []

    channel.refresh_from_db()
    assert channel.last_error.startswith("IMAP refused the login for support@volta.example")
    assert channel.auth_failed_at is not None
    assert Message.objects.count() == 0


# Parsing and composing rules that need no server.


def test_quoted_history_and_signatures_are_trimmed_only_where_marked() -> None:
    outlook = (
        "Yes, that is my order.\n\n-----Original Message-----\nFrom: Volta\nSubject: Order\n\nWhich one?"
    )
    german = "Danke!\n\nAm 23.11.2026 um 10:02 schrieb Volta Support <support@volta.example>:\n> Hallo"
    interleaved = "> Which frame?\nVC-20419\n> Which app version?\n4.2.0"
    only_quote = "> forwarded without a word"

    assert trim_reply(outlook) == "Yes, that is my order."
    assert trim_reply(german) == "Danke!"
    assert trim_reply("Thanks\n-- \nDana\n+49 30 1234567") == "Thanks"
    assert trim_reply(interleaved) == interleaved
    assert trim_reply(only_quote) == only_quote
    assert trim_reply("On Monday we wrote: nothing special") == "On Monday we wrote: nothing special"


def test_html_is_sanitised_before_it_is_flattened() -> None:
    markup = (
        "<p>Order&nbsp;8841</p><script>alert(1)</script><style>p{}</style>"
        "<img src=x onerror=alert(2)><a href='javascript:alert(3)'>click</a>&lt;b&gt;"
    )

    assert html_to_text(markup) == "Order 8841\nclick<b>"


def test_reply_subjects_never_stack() -> None:
    assert reply_subject("My Volta City won't unlock") == "Re: My Volta City won't unlock"
    assert reply_subject("Re: RE: Aw: My order") == "Re: My order"
    assert reply_subject("Re[2]: invoice") == "Re: invoice"
    assert reply_subject("") == "Re: your message"


def test_a_password_is_never_sent_in_the_clear_to_another_host() -> None:
    config = {
        "address": ADDRESS,
        "imap_host": "imap.volta.example",
        "imap_security": "none",
        "smtp_host": "x",
    }

    with pytest.raises(ChannelError, match=r"in the clear to imap\.volta\.example") as caught:
        mail_settings(config, {"password": "s3cret"})

    assert caught.value.permanent is True


def test_a_message_without_a_date_takes_the_servers_arrival_time(channel: Any, mailbox: IMAPClient) -> None:
    raw = b"From: a@example.org\r\nSubject: hi\r\nMessage-ID: <d@x>\r\n\r\nhello\r\n"
    arrived = datetime(
        2026, 11, 20, 11, 0, tzinfo=timezone(timedelta(hours=2))
    )  # past: Dovecot ignores future dates
    mailbox.append("INBOX", raw, msg_time=arrived)

    channel_poll(channel.pk)

    with pytest.raises(ValueError, match="no readable Date"):
        inbound_from_bytes("email", raw)
    message = Message.objects.get()
    assert (message.created_at.isoformat(), message.text) == ("2026-11-20T09:00:00+00:00", "hello")
