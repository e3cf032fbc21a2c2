"""The outbox: a reply is a row first; the adapter's answer decides sent, retry or failed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lara.cases.models import Case, Reply
from lara.cases.services import reply_create
from lara.channels.models import Channel
from lara.channels.registry import adapter_for
from lara.core.jobs import jobs_run_pending
from lara.core.models import Job, Notification
from lara.mentions.models import Message
from lara.mentions.services import message_ingest_json

from ..factories import inbound
from ..loopback import QuietHandler, serving


class _Receiver(QuietHandler):
    received: list[tuple[dict[str, Any], str]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((json.loads(body), self.headers.get("X-Lara-Signature", "")))
        self.send_json(_Receiver.status, {"id": "cb-1"})


@pytest.fixture
def callback() -> Any:
    """A real HTTP server on loopback that plays the API client receiving replies."""
    _Receiver.received, _Receiver.status = [], 200
    with serving(_Receiver) as base:
        yield f"{base}/hook"


def _api_case(org: dict[str, Any], callback_url: str | None) -> Case:
    org["api"].credentials = {"callback_url": callback_url, "secret": "s3cret"} if callback_url else {}
    org["api"].save()
    adapter_for.cache_clear()
    message_ingest_json(data=inbound(channel="api", external_id="q1", text="Is it broken?"))
    jobs_run_pending()
    return Case.objects.get()


def test_a_reply_is_delivered_signed_and_stored_as_an_outbound_message(
    org: dict[str, Any], callback: str
) -> None:
    case = _api_case(org, callback)

    reply_create(case=case, author=org["alice"], text="We are on it")
    jobs_run_pending()

    reply = Reply.objects.get()
    assert (reply.status, reply.external_id, reply.attempts) == ("sent", "cb-1", 1)
    payload, signature = _Receiver.received[0]
    assert (payload["text"], payload["in_reply_to"]) == ("We are on it", "q1")
    assert signature.startswith("sha256=") and len(signature) == 71
    out = Message.objects.get(direction="out")
    assert (out.external_id, out.conversation_key) == ("cb-1", case.conversation_key)
    assert list(case.events.values_list("kind", flat=True))[-2:] == ["reply_queued", "message_out"]


def test_a_refused_reply_fails_at_once_and_shows_on_the_case(org: dict[str, Any], callback: str) -> None:
    case = _api_case(org, callback)
    _Receiver.status = 401

    reply_create(case=case, author=org["alice"], text="We are on it")
    jobs_run_pending()

    reply = Reply.objects.get()
    assert (reply.status, reply.last_error) == ("failed", "callback refused the reply: HTTP 401")
    assert case.events.filter(kind="reply_failed").count() == 1
    org["api"].refresh_from_db()
    assert org["api"].last_error == "callback refused the reply: HTTP 401"
    told = Notification.objects.get(user=org["alice"])
    assert (told.text, told.url) == (
        f"Your reply on {case.reference} was not delivered: callback refused the reply: HTTP 401",
        f"/cases/{case.reference}/",
    )


def test_a_server_error_is_retried(org: dict[str, Any], callback: str) -> None:
    case = _api_case(org, callback)
    _Receiver.status = 503

    reply_create(case=case, author=org["alice"], text="We are on it")
    jobs_run_pending()

    assert Reply.objects.get().status == "queued"
    job = Job.objects.get(task="lara.cases.tasks.send_reply_task")
    assert (job.status, job.attempts) == ("queued", 1)


def test_a_network_without_a_connector_fails_the_reply_honestly(org: dict[str, Any], settings: Any) -> None:
    settings.LARA_NETWORKS = {k: v for k, v in settings.LARA_NETWORKS.items() if k != "twitter"}
    adapter_for.cache_clear()
    try:
        message_ingest_json(data=inbound(text="Is it broken?"))
        jobs_run_pending()

        reply_create(case=Case.objects.get(), author=org["alice"], text="Hi")
        jobs_run_pending()
    finally:
        adapter_for.cache_clear()

    assert Reply.objects.get().last_error == "no outbound connector is installed for network 'twitter'"


def test_an_empty_reply_is_refused(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(text="Is it broken?"))
    jobs_run_pending()

    with pytest.raises(ValueError, match="a reply needs some text"):
        reply_create(case=Case.objects.get(), author=org["alice"], text="  ")


def test_credentials_that_cannot_be_decrypted_fail_the_reply_at_once(org: dict[str, Any]) -> None:
    case = _api_case(org, None)
    Channel.objects.filter(slug="api").update(credentials_encrypted="gAAAAA-not-a-token")

    reply_create(case=case, author=org["alice"], text="Hi")
    jobs_run_pending()

    reply = Reply.objects.get()
    assert (reply.status, reply.last_error) == (
        "failed",
        "credentials cannot be decrypted with the configured key",
    )
