"""The customer timeline API: newest first, keyset pages, filters, and only what the agent may see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client

from lara.cases.models import Case, CaseMessage, CaseNote, Task
from lara.core.services import api_token_create
from lara.customers.models import Customer, SocialProfile
from lara.engage.models import Idea, IdeaVote, Offer, OfferSent, Survey, SurveyAnswer
from lara.mentions.models import Message

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _client(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


def _history(org: dict[str, Any]) -> dict[str, Any]:
    """Dana: 5 messages on X, 1 e-mail, a case of team Service with a note, a task; all at known times."""
    dana = Customer.objects.create(name="Dana Levi")
    x = SocialProfile.objects.create(network="twitter", external_id="d1", handle="@dana", customer=dana)
    mail = SocialProfile.objects.create(network="email", external_id="d@example.org", customer=dana)
    msgs = [
        Message.objects.create(
            channel=org["x"],
            external_id=f"x-{i}",
            kind="post",
            text=f"post {i}",
            author_external_id="d1",
            author_profile=x,
            created_at=T0 + timedelta(minutes=i),
        )
        for i in range(5)
    ]
    email = Message.objects.create(
        channel=org["email"],
        external_id="e-1",
        kind="email",
        text="by mail",
        author_external_id="d@example.org",
        author_profile=mail,
        created_at=T0 + timedelta(minutes=2),  # the same minute as post 2
    )
    case = Case.objects.create(
        reference="C-1",
        customer=dana,
        channel=org["x"],
        team=org["service"],
        subject="broken",
        created_at=T0 + timedelta(minutes=4),  # the same minute as post 4
    )
    CaseMessage.objects.create(case=case, message=msgs[4])
    note = CaseNote.objects.create(
        case=case, author=org["lena"], text="call her", created_at=T0 + timedelta(minutes=6)
    )
    task = Task.objects.create(title="Follow up", customer=dana, created_at=T0 + timedelta(minutes=7))
    return {"dana": dana, "msgs": msgs, "email": email, "case": case, "note": note, "task": task}


def test_pages_walk_the_whole_history_newest_first_with_ties_broken_by_kind_then_id(
    org: dict[str, Any],
) -> None:
    h = _history(org)
    client = _client(org["lena"])
    seen: list[tuple[str, int]] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, **({"before": cursor} if cursor else {})}
        body = client.get(f"/api/customers/{h['dana'].pk}/timeline", params).json()
        seen += [(item["kind"], item["id"]) for item in body["items"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break

    m = [msg.pk for msg in h["msgs"]]
    assert seen == [
        ("task", h["task"].pk),
        ("note", h["note"].pk),
        ("message", m[4]),  # 09:04: "message" sorts after "case" in newest-first order
        ("case", h["case"].pk),
        ("message", m[3]),
        ("message", max(m[2], h["email"].pk)),
        ("message", min(m[2], h["email"].pk)),
        ("message", m[1]),
        ("message", m[0]),
    ]
    assert pages == 3


def test_filters_by_kind_and_channel(org: dict[str, Any]) -> None:
    h = _history(org)
    client = _client(org["lena"])
    url = f"/api/customers/{h['dana'].pk}/timeline"

    by_mail = client.get(url, {"channel": "email"}).json()
    cases_and_notes = client.get(url, {"kind": "case,note"}).json()

    assert [(i["kind"], i["data"]["text"]) for i in by_mail["items"]] == [("message", "by mail")]
    assert [i["kind"] for i in cases_and_notes["items"]] == ["note", "case"]
    assert cases_and_notes["items"][1]["data"] == {
        "case": "C-1",
        "status": "new",
        "priority": "P3",
        "subject": "broken",
    }
    assert client.get(url, {"kind": "letter"}).status_code == 422
    assert client.get(url, {"before": "not-a-cursor"}).json() == {
        "detail": "the cursor is not one this API gave out"
    }


def test_an_agent_sees_only_what_their_cases_show(org: dict[str, Any]) -> None:
    h = _history(org)
    url = f"/api/customers/{h['dana'].pk}/timeline"

    alice = _client(org["alice"]).get(url).json()  # team Service: the case is hers to see
    bob = _client(org["bob"]).get(url)  # team Sales: no case of Dana's

    assert len(alice["items"]) == 9
    assert bob.status_code == 404


def test_an_agent_does_not_see_messages_of_another_teams_case(org: dict[str, Any]) -> None:
    h = _history(org)
    sales_case = Case.objects.create(
        reference="C-2", customer=h["dana"], channel=org["x"], team=org["sales"], created_at=T0
    )
    CaseMessage.objects.create(case=sales_case, message=h["msgs"][0])
    url = f"/api/customers/{h['dana'].pk}/timeline"

    alice = _client(org["alice"]).get(url).json()
    lena = _client(org["lena"]).get(url).json()

    assert ("message", h["msgs"][0].pk) not in [(i["kind"], i["id"]) for i in alice["items"]]
    assert ("case", sales_case.pk) not in [(i["kind"], i["id"]) for i in alice["items"]]
    assert len(alice["items"]) == 8 and len(lena["items"]) == 10


def _engagement(org: dict[str, Any], h: dict[str, Any]) -> dict[str, Any]:
    """Dana answers a survey about C-1 (09:08), votes from post 0 (09:08), is sent an offer (09:09)."""
    survey = Survey.objects.create(name="CSAT", question="How did we do?", scale="csat")
    answer = SurveyAnswer.objects.create(
        survey=survey,
        customer=h["dana"],
        case_ref=h["case"].pk,
        score=4,
        comment="fast",
        answered_at=T0 + timedelta(minutes=8),
    )
    idea = Idea.objects.create(title="Child seat")
    vote = IdeaVote.objects.create(
        idea=idea, customer=h["dana"], message=h["msgs"][0], created_at=T0 + timedelta(minutes=8)
    )
    offer = Offer.objects.create(name="Service check")
    sent = OfferSent.objects.create(offer=offer, customer=h["dana"], sent_at=T0 + timedelta(minutes=9))
    return {"answer": answer, "vote": vote, "sent": sent, "idea": idea, "offer": offer}


def test_surveys_votes_and_offers_join_the_timeline_in_keyset_order(org: dict[str, Any]) -> None:
    h = _history(org)
    e = _engagement(org, h)
    client = _client(org["lena"])
    url = f"/api/customers/{h['dana'].pk}/timeline"

    seen: list[tuple[str, int]] = []
    cursor = None
    while True:
        body = client.get(url, {"limit": 2, **({"before": cursor} if cursor else {})}).json()
        seen += [(item["kind"], item["id"]) for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    engaged = client.get(url, {"kind": "survey,idea,offer"}).json()
    on_x = client.get(url, {"channel": "x", "kind": "survey,idea,offer"}).json()

    assert seen[:5] == [
        ("offer", e["sent"].pk),
        ("survey", e["answer"].pk),  # 09:08: "survey" sorts after "idea" in newest-first order
        ("idea", e["vote"].pk),
        ("task", h["task"].pk),
        ("note", h["note"].pk),
    ]
    assert len(seen) == 12 == len(set(seen))
    assert [(i["kind"], i["channel"], i["data"]) for i in engaged["items"]] == [
        (
            "offer",
            None,
            {"offer": e["offer"].pk, "name": "Service check", "status": "sent", "responded_at": None},
        ),
        (
            "survey",
            "x",
            {"survey": "CSAT", "scale": "csat", "score": 4, "comment": "fast", "case": "C-1"},
        ),
        (
            "idea",
            "x",
            {"idea": e["idea"].pk, "title": "Child seat", "status": "new", "message": h["msgs"][0].pk},
        ),
    ]
    assert [i["kind"] for i in on_x["items"]] == ["survey", "idea"]  # an offer belongs to no channel
    assert [i["kind"] for i in client.get(url, {"kind": "offer"}).json()["items"]] == ["offer"]


def test_an_agent_sees_survey_answers_only_about_cases_they_see(org: dict[str, Any]) -> None:
    h = _history(org)
    e = _engagement(org, h)
    sales_case = Case.objects.create(
        reference="C-2", customer=h["dana"], channel=org["x"], team=org["sales"], created_at=T0
    )
    hidden = SurveyAnswer.objects.create(
        survey=e["answer"].survey, customer=h["dana"], case_ref=sales_case.pk, score=1, answered_at=T0
    )
    url = f"/api/customers/{h['dana'].pk}/timeline"

    alice = _client(org["alice"]).get(url, {"kind": "survey"}).json()
    lena = _client(org["lena"]).get(url, {"kind": "survey"}).json()

    assert [i["id"] for i in alice["items"]] == [e["answer"].pk]
    assert [i["id"] for i in lena["items"]] == [e["answer"].pk, hidden.pk]
