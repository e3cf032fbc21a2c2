"""The customer page's timeline: keyset pages, kind and channel filters, every kind of interaction."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from lara.cases.models import Case, CaseNote, Task
from lara.core.jobs import jobs_run_pending
from lara.customers.models import Customer
from lara.mentions.models import Message
from lara.mentions.services import message_ingest_json
from lara.web import customer_timeline

from ..factories import inbound


def _dana(org: dict[str, Any], messages: int) -> Customer:
    """Dana writes ``messages`` times on X, a minute apart; the first opens a case."""
    start = timezone.now() - timedelta(days=1)
    for i in range(messages):
        message_ingest_json(
            data=inbound(
                external_id=f"d{i}",
                text=f"Still broken, day {i}",
                author={"external_id": "dana"},
                created_at=(start + timedelta(minutes=i)).isoformat(),
            )
        )
    jobs_run_pending()
    return Message.objects.get(external_id="d0").author_profile.customer


def _page(client: Client, url: str) -> str:
    return client.get(url.replace("&amp;", "&")).content.decode()


def _timeline(page: str) -> str:
    """The timeline list alone (the open cases above it show the same subjects)."""
    return page.split('<ol class="conversation timeline">', 1)[1].split("</ol>", 1)[0]


def _timeline_messages(page: str) -> list[str]:
    """The day numbers of the messages in the timeline."""
    timeline = _timeline(page)
    return re.findall(r'<li class="msg in">.*?Still broken, day (\d+)', timeline, re.S)


def _older(page: str) -> str | None:
    found = re.search(r'href="(\?[^"]*before=[^"]*)">', page)
    return found.group(1) if found else None


def test_older_pages_follow_the_cursor_until_the_first_message(org: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setattr(customer_timeline, "PAGE_SIZE", 4)
    dana = _dana(org, 7)
    client = Client()
    client.force_login(org["lena"])

    shown: list[str] = []
    url = f"/customers/{dana.pk}/"
    pages = 0
    while url:
        page = _page(client, url if url.startswith("/") else f"/customers/{dana.pk}/{url}")
        shown += _timeline_messages(page)
        pages += 1
        older = _older(page)
        url = older or ""

    assert shown == [str(i) for i in range(6, -1, -1)]
    assert pages == 4  # 7 messages + the 7 cases they opened = 14 entries, 4 a page
    assert "« newest" in page


def test_kind_and_channel_filters_and_every_kind_shows(org: dict[str, Any]) -> None:
    dana = _dana(org, 2)
    case = Case.objects.filter(customer=dana).first()
    Task.objects.create(title="Call Dana <back>", case=case, customer=dana, due_at=timezone.now())
    CaseNote.objects.create(case=case, author=org["lena"], text="VIP rider")
    client = Client()
    client.force_login(org["lena"])

    everything = _timeline(_page(client, f"/customers/{dana.pk}/"))
    task_page = _page(client, f"/customers/{dana.pk}/?kind=task")
    tasks = _timeline(task_page)
    elsewhere = _timeline(_page(client, f"/customers/{dana.pk}/?channel=email"))
    bad = client.get(f"/customers/{dana.pk}/?kind=nope&before=not-a-cursor")

    assert "Call Dana &lt;back&gt;" in everything and "VIP rider" in everything
    assert "Still broken, day 1" in everything and "Case opened" in everything
    assert "Call Dana &lt;back&gt;" in tasks and "Still broken" not in tasks and "VIP rider" not in tasks
    assert '<option value="task" selected>' in task_page
    assert "Still broken" not in elsewhere and "Nothing yet." in elsewhere
    assert bad.status_code == 200 and "Still broken, day 1" in _timeline(bad.content.decode())


def test_an_agent_sees_no_message_of_a_case_outside_their_teams(org: dict[str, Any]) -> None:
    dana = _dana(org, 1)
    message_ingest_json(
        data=inbound(external_id="s1", text="Price of the cargo bike?", author={"external_id": "dana"})
    )
    jobs_run_pending()
    Case.objects.filter(case_messages__message__external_id="s1").update(team=org["sales"], assignee=None)
    client = Client()
    client.force_login(org["alice"])

    page = _timeline(_page(client, f"/customers/{dana.pk}/"))

    assert "Still broken, day 0" in page
    assert "Price of the cargo bike?" not in page
    client.force_login(org["bob"])
    assert "Price of the cargo bike?" in _timeline(_page(client, f"/customers/{dana.pk}/"))
