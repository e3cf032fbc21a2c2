"""Tags on a case: normalised, each change on the paper trail, from the case page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lara.cases.models import Case, CaseEvent, EventKind
from lara.cases.tags import case_tags_change
from lara.core.jobs import jobs_run_pending
from lara.mentions.services import message_ingest_json

from ..factories import inbound


def _case() -> Case:
    message_ingest_json(data=inbound(text="My refund is late"))
    jobs_run_pending()
    return Case.objects.latest("pk")


def test_tags_are_normalised_and_each_change_is_recorded(org: dict[str, Any]) -> None:
    case = _case()
    case.tags = []
    case.save()

    case_tags_change(case=case, add=["Refund", "press inquiry", "refund"], actor=org["alice"])
    case_tags_change(case=case, remove=["refund", "never-there"], actor=org["lena"])
    case_tags_change(case=case, add=["press-inquiry"], actor=org["lena"])  # already there: nothing

    case.refresh_from_db()
    assert case.tags == ["press-inquiry"]
    events = list(CaseEvent.objects.filter(case=case, kind=EventKind.TAGGED).order_by("pk"))
    assert [(e.actor.username, e.data, e.reason) for e in events] == [
        ("alice", {"added": ["refund", "press-inquiry"], "removed": []}, "+refund, +press-inquiry"),
        ("lena", {"added": [], "removed": ["refund"]}, "-refund"),
    ]


def test_a_malformed_tag_is_refused(org: dict[str, Any]) -> None:
    case = _case()

    with pytest.raises(ValueError, match="a tag is 1 to 40 letters"):
        case_tags_change(case=case, add=["<b>x</b>"], actor=org["alice"])


def test_the_case_page_adds_and_removes_tags(org: dict[str, Any]) -> None:
    case = _case()
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["alice"])
    token = client.get("/").cookies["csrftoken"].value

    client.post(f"/cases/{case.reference}/tags", {"csrfmiddlewaretoken": token, "add": "vip, callback"})
    client.post(f"/cases/{case.reference}/tags", {"csrfmiddlewaretoken": token, "remove": "vip"})

    case.refresh_from_db()
    assert "callback" in case.tags and "vip" not in case.tags
    assert 'aria-label="Remove tag callback"' in client.get(f"/cases/{case.reference}/").content.decode()
