"""The agent UI: login required, team access, escaped user text, reply and status forms."""

from __future__ import annotations

from typing import Any

from django.test import Client

from lara.cases.models import Case, Reply
from lara.core.jobs import jobs_run_pending
from lara.mentions.services import message_ingest_json

from ..factories import inbound


def _login(user: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _case(org: dict[str, Any], text: str) -> Case:
    message_ingest_json(data=inbound(text=text))
    jobs_run_pending()
    return Case.objects.latest("pk")


def test_pages_need_a_login(org: dict[str, Any]) -> None:
    response = Client().get("/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/")


def test_login_page_logs_in(org: dict[str, Any]) -> None:
    client = Client()
    assert client.get("/login/").status_code == 200

    response = client.post("/login/", {"username": "alice", "password": "correct horse battery"})

    assert (response.status_code, response["Location"]) == (302, "/")


def test_inbox_lists_the_agents_cases_with_filters(org: dict[str, Any]) -> None:
    case = _case(org, "It is broken")

    page = _login(org["alice"]).get("/").content.decode()
    filtered = _login(org["alice"]).get("/", {"status": "closed"}).content.decode()

    assert case.reference in page
    assert case.reference not in filtered


def test_user_text_is_escaped(org: dict[str, Any]) -> None:
    case = _case(org, 'It is broken <script>alert(1)</script><img src=x onerror="alert(2)">')

    page = _login(org["alice"]).get(f"/cases/{case.reference}/").content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page


def test_an_agent_of_sales_cannot_open_a_service_case(org: dict[str, Any]) -> None:
    case = _case(org, "It is broken")

    assert _login(org["bob"]).get(f"/cases/{case.reference}/").status_code == 404
    assert _login(org["lena"]).get(f"/cases/{case.reference}/").status_code == 200


def test_reply_is_queued_and_the_case_moves_to_pending(org: dict[str, Any]) -> None:
    case = _case(org, "It is broken")
    client = _login(org["alice"])
    token = client.get(f"/cases/{case.reference}/").cookies["csrftoken"].value

    response = client.post(
        f"/cases/{case.reference}/reply", {"text": "Sorry! DM us", "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "pending"
    assert Reply.objects.get().text == "Sorry! DM us"


def test_posts_without_csrf_are_refused(org: dict[str, Any]) -> None:
    case = _case(org, "It is broken")

    response = _login(org["alice"]).post(f"/cases/{case.reference}/status", {"status": "closed"})

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "new"


def test_mentions_stream_shows_messages_without_cases(org: dict[str, Any]) -> None:
    message_ingest_json(data=inbound(text="Rode past the Volta shop today"))
    jobs_run_pending()

    page = _login(org["oscar"]).get("/mentions/").content.decode()

    assert "Rode past the Volta shop today" in page


def test_the_default_view_hides_closed_cases_and_all_shows_them(org: dict[str, Any]) -> None:
    case = _case(org, "It is broken")
    Case.objects.filter(pk=case.pk).update(status="closed")
    client = _login(org["alice"])

    default = client.get("/", {"status": ""}, headers={"HX-Request": "true"}).content.decode()
    everything = client.get("/", {"status": "all"}, headers={"HX-Request": "true"}).content.decode()

    assert case.reference not in default
    assert case.reference in everything
    assert "<html" not in everything  # htmx gets the rows fragment only
