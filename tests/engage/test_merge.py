"""Merging moves survey answers, votes and offers; unmerging gives each record exactly its rows back.

Both records voted for the same idea and were both sent the same offer: the
merged record keeps one of each (the earlier vote; the offer with an answer)
and the other is parked in the merge's snapshot until the unmerge puts it back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lara.cases.merge import MergeError, customer_merge, customer_unmerge
from lara.customers.models import Customer, CustomerAuditEvent, Segment
from lara.engage.models import Idea, IdeaVote, Offer, OfferSent, Survey, SurveyAnswer

from .helpers import api, post

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _rows() -> set[tuple[str, int, int, Any]]:
    """Every engagement row as (table, id, customer, what it says)."""
    return {
        *(("answer", a.pk, a.customer_id, (a.score, a.comment)) for a in SurveyAnswer.objects.all()),
        *(("vote", v.pk, v.customer_id, (v.idea_id, v.created_at)) for v in IdeaVote.objects.all()),
        *(
            ("offer", o.pk, o.customer_id, (o.offer_id, o.status, o.responded_at))
            for o in OfferSent.objects.all()
        ),
    }


@pytest.fixture
def dana(org: dict[str, Any]) -> dict[str, Any]:
    """Dana's two records, A (CRM) and B (X), each with an answer, a shared and an own vote and offer."""
    a, b = Customer.objects.create(name="Dana Levi"), Customer.objects.create(name="Dana")
    survey = Survey.objects.create(name="CSAT", question="How did we do?", scale="csat")
    seat, night, app = (Idea.objects.create(title=t) for t in ("Child seat", "Night mode", "Better app"))
    gold = Segment.objects.create(name="Gold", slug="gold", definition={"tier": ["gold"]})
    check, ride = (
        Offer.objects.create(name="Service check", segment=gold),
        Offer.objects.create(name="Test ride"),
    )
    SurveyAnswer.objects.create(survey=survey, customer=a, score=5, comment="great", answered_at=T0)
    SurveyAnswer.objects.create(survey=survey, customer=b, score=2, comment="slow", answered_at=T0)
    IdeaVote.objects.create(idea=seat, customer=a, created_at=T0.replace(day=3))
    IdeaVote.objects.create(idea=seat, customer=b, created_at=T0.replace(day=2))  # earlier: B's stays
    IdeaVote.objects.create(idea=night, customer=a, created_at=T0)
    IdeaVote.objects.create(idea=app, customer=b, created_at=T0)
    OfferSent.objects.create(offer=check, customer=a, sent_at=T0)  # only sent: A's is parked
    OfferSent.objects.create(
        offer=check, customer=b, sent_at=T0, status="accepted", responded_at=T0.replace(day=5)
    )
    OfferSent.objects.create(offer=ride, customer=a, sent_at=T0)
    return {"a": a, "b": b, "seat": seat, "check": check}


def test_merge_then_unmerge_restores_every_row_to_its_customer(
    dana: dict[str, Any], org: dict[str, Any]
) -> None:
    a, b = dana["a"], dana["b"]
    before = _rows()

    merge = customer_merge(target_id=a.pk, other_id=b.pk, choices={}, actor=org["lena"], reason="same person")

    assert SurveyAnswer.objects.filter(customer=a).count() == 2
    assert dana["seat"].votes.count() == 1  # one person, one vote
    assert IdeaVote.objects.get(idea=dana["seat"]).customer_id == a.pk
    assert IdeaVote.objects.get(idea=dana["seat"]).created_at == T0.replace(day=2)  # B's earlier vote
    assert list(OfferSent.objects.filter(offer=dana["check"]).values_list("customer_id", "status")) == [
        (a.pk, "accepted")
    ]
    assert not (
        SurveyAnswer.objects.filter(customer=b).exists()
        or IdeaVote.objects.filter(customer=b).exists()
        or OfferSent.objects.filter(customer=b).exists()
    )
    assert [r["customer_id"] for r in merge.snapshot["parked"]["idea_votes"]] == [a.pk]
    assert [r["customer_id"] for r in merge.snapshot["parked"]["offers_sent"]] == [a.pk]
    audit = CustomerAuditEvent.objects.get(action="merge")
    assert len(audit.data["moved"]["survey_answers"]) == 1 and len(audit.data["moved"]["idea_votes"]) == 2

    customer_unmerge(merge_id=merge.pk, actor=org["lena"], reason="two people after all")

    assert _rows() == before


def test_the_merged_record_keeps_the_later_vote_when_it_came_first(
    dana: dict[str, Any], org: dict[str, Any]
) -> None:
    a, b = dana["a"], dana["b"]
    before = _rows()

    merge = customer_merge(target_id=b.pk, other_id=a.pk, choices={}, actor=None)

    assert IdeaVote.objects.get(idea=dana["seat"]).customer_id == b.pk
    assert merge.snapshot["parked"]["idea_votes"][0]["customer_id"] == a.pk  # A's later vote is parked
    assert OfferSent.objects.get(offer=dana["check"]).status == "accepted"  # B's, the target's, stays
    customer_unmerge(merge_id=merge.pk, actor=None)
    assert _rows() == before


def test_unmerge_refuses_when_a_moved_row_changed_hands(dana: dict[str, Any], org: dict[str, Any]) -> None:
    a, b = dana["a"], dana["b"]
    merge = customer_merge(target_id=a.pk, other_id=b.pk, choices={}, actor=None)
    moved = merge.moved["survey_answers"][0]
    elsewhere = Customer.objects.create(name="Someone else")
    SurveyAnswer.objects.filter(pk=moved).update(customer=elsewhere)

    with pytest.raises(MergeError, match=f"survey answers {moved} no longer belong to customer {a.pk}"):
        customer_unmerge(merge_id=merge.pk, actor=None)


def test_the_merge_api_lists_the_moved_engagement_rows(dana: dict[str, Any], org: dict[str, Any]) -> None:
    a, b = dana["a"], dana["b"]

    response = post(api(org["lena"]), f"/api/customers/{a.pk}/merge", {"other": b.pk, "reason": "same"})

    assert response.status_code == 200, response.content
    moved = response.json()["moved"]
    assert moved["survey_answers"] == list(
        SurveyAnswer.objects.filter(comment="slow").values_list("pk", flat=True)
    )
    assert len(moved["idea_votes"]) == 2 and len(moved["offers_sent"]) == 1
