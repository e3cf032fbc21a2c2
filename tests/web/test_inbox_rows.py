"""The inbox table: each row says what the case says, and a longer page costs no more queries."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from lara.cases.models import Case
from lara.customers.models import Customer
from lara.web.inbox_rows import customer_label, inbox_rows

_refs = itertools.count(1)


def _case(org: dict[str, Any], **fields: Any) -> Case:
    """A case in alice's team straight from the ORM (no pipeline: the table is what is tested)."""
    n = next(_refs)
    defaults: dict[str, Any] = {
        "reference": f"LR-T{n}",
        "customer": Customer.objects.create(name=f"Customer {n}"),
        "channel": org["x"],
        "conversation_key": f"t-{n}",
        "subject": f"Case {n}: the scooter will not unlock",
        "team": org["service"],
    }
    return Case.objects.create(**(defaults | fields))


def _fragment(client: Client, **params: str) -> str:
    return client.get("/", params, headers={"HX-Request": "true"}).content.decode()


def _row(html: str, reference: str) -> str:
    start = html.index(f'data-reference="{reference}"')
    return html[start : html.index("</tr>", start)]


def test_a_row_shows_the_case_with_its_links_and_labels(org: dict[str, Any]) -> None:
    case = _case(org, priority="P1", assignee=org["alice"], subject="x" * 120)
    client = Client()
    client.force_login(org["alice"])

    row = _row(_fragment(client), case.reference)

    assert f'href="{reverse("case", args=[case.reference])}"' in row
    assert f'<a href="{reverse("customer", args=[case.customer_id])}">{case.customer.name}</a>' in row
    assert 'title="P1 urgent">P1</span>' in row
    assert '<span class="net net-twitter">X / Twitter</span>' in row
    assert f"<td>{org['service'].name}</td>" in row and "<td>alice</td>" in row
    assert '<span class="chip status-new">New</span>' in row
    assert "x" * 89 + "…" in row and "x" * 90 not in row
    assert f'aria-label="Check {case.reference}"' in row


def test_a_row_without_team_assignee_or_customer_name(org: dict[str, Any]) -> None:
    case = _case(org, team=None, assignee=org["alice"], customer=Customer.objects.create(name=""))
    Case.objects.filter(pk=case.pk).update(assignee=None)
    lena = Client()
    lena.force_login(org["lena"])

    row = _row(_fragment(lena), case.reference)

    assert "<td>—</td>" in row
    assert "<td>unassigned</td>" in row
    assert f">customer {case.customer_id}</a>" in row


def test_the_row_labels_are_translated(org: dict[str, Any]) -> None:
    case = _case(org)
    org["alice"].agent_profile.ui_language = "ru"
    org["alice"].agent_profile.save()
    client = Client()
    client.force_login(org["alice"])

    row = _row(_fragment(client), case.reference)

    assert '<span class="chip status-new">Новое</span>' in row
    assert f'aria-label="Отметить {case.reference}"' in row


def test_a_reference_that_needs_quoting_links_like_reverse(org: dict[str, Any]) -> None:
    """Links come from one reversed prefix; what quoting would change goes through reverse(), escaped."""
    now = timezone.now()
    values = {
        "pk": 1,
        "reference": 'LR 7?#&"',
        "priority": "P3",
        "status": "open",
        "language": "en",
        "subject": "<b>bold</b>",
        "updated_at": now - timedelta(minutes=5),
        "customer_id": 12,
        "customer__name": "",
        "channel__network": "email",
        "team_id": None,
        "team__name": None,
        "assignee__username": None,
    }

    with translation.override("en"):
        (row,) = inbox_rows([values])

    assert f'href="{escape(reverse("case", args=[values["reference"]]))}"' in row
    assert f'<a href="{reverse("customer", args=[12])}">customer 12</a>' in row
    assert 'data-reference="LR 7?#&amp;&quot;"' in row
    assert 'aria-label="Check LR 7?#&amp;&quot;"' in row
    assert "&lt;b&gt;bold&lt;/b&gt;" in row
    assert "<td>—</td>" in row and "<td>unassigned</td>" in row
    assert ">5\xa0minutes ago</time>" in row


def test_customer_label_matches_the_model(org: dict[str, Any]) -> None:
    named = Customer.objects.create(name="Dana Levi")
    unnamed = Customer.objects.create(name="")

    assert customer_label(named.pk, named.name) == str(named)
    assert customer_label(unnamed.pk, unnamed.name) == str(unnamed)


def test_more_rows_take_no_more_queries(org: dict[str, Any]) -> None:
    """No query per row: the page and the fragment cost the same with 2 cases or 12."""
    client = Client()
    client.force_login(org["alice"])
    _case(org)
    _case(org, assignee=org["alice"])

    def queries() -> tuple[int, int]:
        sizes = []
        for headers in ({}, {"HX-Request": "true"}):
            client.get("/", headers=headers)  # warm the saved-view counts
            with CaptureQueriesContext(connection) as captured:
                client.get("/", headers=headers)
            sizes.append(len(captured))
        return sizes[0], sizes[1]

    few = queries()
    for i in range(10):
        _case(org, assignee=org["alice"] if i % 2 else None, priority=f"P{1 + i % 4}")
    assert len(_fragment(client).split("<tr ")) == 13  # the header and 12 cases
    assert queries() == few
