"""Consent links: the customer proves two accounts are theirs, and Lara links them on that proof."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lara.cases.models import Case, Reply
from lara.core.jobs import jobs_run_pending
from lara.core.services import api_token_create
from lara.customers.models import ConsentLink, ContactPoint, Customer, CustomerAuditEvent, SocialProfile
from lara.customers.services import customer_upsert_by_crm_id
from lara.mentions.services import message_ingest_json

from ..factories import inbound


def _api(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


def _case_from_x(text: str = "האופניים הגיעו broken") -> Case:
    message_ingest_json(
        data=inbound(text=text, author={"external_id": "dana-x", "handle": "@dana", "name": "Dana"})
    )
    jobs_run_pending()
    return Case.objects.get(customer__profiles__external_id="dana-x")


def _send_link(org: dict[str, Any], case: Case) -> tuple[ConsentLink, str]:
    response = _api(org["alice"]).post(f"/api/cases/{case.reference}/connect-link")
    assert response.status_code == 201, response.content
    link = ConsentLink.objects.get(pk=response.json()["link"])
    reply = Reply.objects.get(pk=response.json()["reply"])
    url = re.search(r"https?://\S+/connect/\S+/", reply.text)
    assert url is not None, reply.text
    return link, url.group(0).split("testserver", 1)[1]


def _write_from_email(text: str) -> None:
    message_ingest_json(
        data=inbound(
            channel="email",
            kind="email",
            text=text,
            author={
                "external_id": "dana@example.org",
                "handle": "dana@example.org",
                "name": "D. L.",
                "email": "dana@example.org",
            },
        )
    )
    jobs_run_pending()


def test_an_agent_sends_the_link_as_a_reply_in_the_customers_language(org: dict[str, Any]) -> None:
    case = _case_from_x()

    link, _path = _send_link(org, case)

    reply = Reply.objects.get(case=case)
    assert reply.text.startswith("כדי לחבר את החשבונות שלך אצלנו, פתחו את הקישור: http://testserver/connect/")
    assert reply.text.endswith("(בתוקף 72 שעות).")
    assert (reply.status, reply.author) == ("queued", org["alice"])
    assert (link.customer_id, link.case_ref, link.language) == (case.customer_id, case.pk, "he")
    assert re.fullmatch(r"LARA-[2-9A-HJ-NP-Z]{6}", link.code)
    assert timedelta(hours=71, minutes=59) < link.expires_at - link.created_at <= timedelta(hours=72)
    assert (
        _api(org["bob"]).post(f"/api/cases/{case.reference}/connect-link").status_code == 404
    )  # not his team


def test_the_customer_sends_the_code_from_another_account_and_the_records_are_linked(
    org: dict[str, Any],
) -> None:
    case = _case_from_x()
    link, path = _send_link(org, case)

    page = Client().get(path)  # no login
    assert page.status_code == 200
    html = page.content.decode()
    assert link.code in html and 'lang="he" dir="rtl"' in html
    assert "שלחו לנו את הקוד הזה מהחשבון השני שלכם" in html

    _write_from_email(f"Hi, this is Dana, my code is {link.code.lower()}")

    x_profile = SocialProfile.objects.get(external_id="dana-x")
    mail_profile = SocialProfile.objects.get(external_id="dana@example.org")
    assert x_profile.customer_id == mail_profile.customer_id == case.customer_id
    link.refresh_from_db()
    assert (link.used_via, link.used_at is not None) == ("code", True)
    merge_event = CustomerAuditEvent.objects.get(action="merge")
    assert merge_event.reason.startswith("linked by the customer's consent (code sent from email message ")
    consent_event = CustomerAuditEvent.objects.get(action="consent_link")
    assert consent_event.data["via"] == "code" and consent_event.customer_id == case.customer_id

    again = Client().get(path)
    assert again.status_code == 410
    assert "כבר השתמשו בקישור הזה." in again.content.decode()


def test_a_used_expired_or_unknown_code_links_nothing(org: dict[str, Any]) -> None:
    case = _case_from_x()
    link, path = _send_link(org, case)
    ConsentLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    _write_from_email(f"code {link.code}")
    _write_from_email("code LARA-ZZZZZZ")

    assert SocialProfile.objects.get(external_id="dana@example.org").customer_id != case.customer_id
    assert CustomerAuditEvent.objects.filter(action__in=["merge", "consent_link"]).count() == 0
    expired = Client().get(path)
    assert expired.status_code == 410
    assert "תוקף הקישור פג. בקשו מאיתנו קישור חדש." in expired.content.decode()


def test_a_forged_link_does_nothing_and_says_so_in_the_asked_language(org: dict[str, Any]) -> None:
    case = _case_from_x()
    _link, path = _send_link(org, case)
    forged = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]

    response = Client().get(forged + "?lang=ru")
    posted = Client().post(forged, {"email": "x@example.org"})

    assert response.status_code == 404
    assert "Эта ссылка недействительна." in response.content.decode()
    assert posted.status_code == 404 and mail.outbox == []


def test_messages_without_a_code_cost_no_consent_query(org: dict[str, Any]) -> None:
    with CaptureQueriesContext(connection) as queries:
        _case_from_x("Where can I buy the Volta City?")
    assert not [q for q in queries.captured_queries if "customers_consentlink" in q["sql"]]


def test_the_customer_confirms_an_email_and_joins_the_crm_record_that_holds_it(org: dict[str, Any]) -> None:
    crm, _ = customer_upsert_by_crm_id(
        external_id="CRM-7", fields={"name": "Dana Levi"}, emails=["dana@example.org"]
    )
    case = _case_from_x()
    _link, path = _send_link(org, case)

    bad = Client().post(path, {"email": "not an address"})
    sent = Client().post(path, {"email": "Dana@Example.org"})

    assert bad.status_code == 422 and "כתובת הדוא״ל אינה תקינה." in bad.content.decode()
    assert sent.status_code == 200 and "שלחנו קישור אישור אל dana@example.org." in sent.content.decode()
    (message,) = mail.outbox
    assert (message.to, message.subject) == (["dana@example.org"], "אישור כתובת הדוא״ל שלך")
    confirm = re.search(r"http://testserver(/connect/confirm/\S+/)", message.body).group(1)  # type: ignore[union-attr]

    shown = Client().get(confirm)  # a mail scanner may follow the link: nothing happens on GET
    assert shown.status_code == 200 and Customer.objects.get(pk=case.customer_id).merged_into_id is None
    done = Client().post(confirm)

    assert done.status_code == 200 and "החשבונות שלך מחוברים עכשיו. תודה!" in done.content.decode()
    x_customer = Customer.objects.get(pk=case.customer_id)
    assert x_customer.merged_into_id == crm.pk  # the record the CRM knows stays the active one
    point = ContactPoint.objects.get(value="dana@example.org")
    assert (point.customer_id, point.verified) == (crm.pk, True)
    assert CustomerAuditEvent.objects.get(action="merge").reason == (
        "linked by the customer's consent (e-mail dana@example.org confirmed)"
    )
    assert Client().post(confirm).status_code == 410  # one time only


def test_a_lead_sends_the_link_from_the_customer_page(org: dict[str, Any]) -> None:
    case = _case_from_x("My bike arrived broken")
    client = Client()
    client.force_login(org["lena"])

    page = client.get(f"/customers/{case.customer_id}/").content.decode()
    response = client.post(f"/customers/{case.customer_id}/connect-link", {"case": case.reference})

    assert 'Send a "connect your accounts" link' in page
    assert response.status_code == 302
    reply = Reply.objects.get(case=case)
    assert reply.text.startswith(
        "To connect your accounts with us, open this link: http://testserver/connect/"
    )
    assert client.post(f"/customers/{case.customer_id}/connect-link", {"case": "C-NOPE"}).status_code == 404
