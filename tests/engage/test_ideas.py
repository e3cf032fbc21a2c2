"""Ideas and votes: one vote per customer, votes taken from a message, counts, statuses by leads."""

from __future__ import annotations

from typing import Any

from lara.core.jobs import jobs_run_pending
from lara.customers.models import Customer
from lara.engage.models import EngageEvent, Idea, IdeaVote
from lara.mentions.models import Message
from lara.mentions.services import message_ingest_json

from ..factories import inbound
from .helpers import api, post


def _idea(org: dict[str, Any], title: str = "Child seat for the Volta City") -> dict[str, Any]:
    response = post(api(org["alice"]), "/api/ideas", {"title": title, "description": "asked on X"})
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_a_customer_votes_once_and_the_list_counts_votes(org: dict[str, Any]) -> None:
    idea = _idea(org)
    other = _idea(org, "Night mode in the app")
    dana, noa = Customer.objects.create(name="Dana"), Customer.objects.create(name="Noa")
    client = api(org["lena"])  # a lead acts for any customer; an agent only through her cases
    url = f"/api/ideas/{idea['id']}/votes"

    first = post(client, url, {"customer": dana.pk})
    second = post(client, url, {"customer": dana.pk})
    third = post(client, url, {"customer": noa.pk})

    assert (first.status_code, first.json()["created"], first.json()["votes"]) == (201, True, 1)
    assert (second.status_code, second.json()["created"], second.json()["id"]) == (
        200,
        False,
        first.json()["id"],
    )
    assert (third.status_code, third.json()["votes"]) == (201, 2)
    listed = client.get("/api/ideas").json()
    assert [(i["title"], i["votes"], i["status"], i["created_by"]) for i in listed] == [
        ("Night mode in the app", 0, "new", "alice"),
        ("Child seat for the Volta City", 2, "new", "alice"),
    ]
    assert other["votes"] == 0
    assert IdeaVote.objects.filter(idea_id=idea["id"]).count() == 2
    assert EngageEvent.objects.filter(action="idea_voted").count() == 2
    assert post(client, url, {}).status_code == 422
    assert post(api(org["oscar"]), url, {"customer": dana.pk}).status_code == 403


def test_a_vote_from_a_message_counts_for_its_author(org: dict[str, Any]) -> None:
    message_ingest_json(
        data=inbound(
            external_id="idea-1",
            text="Please add a child seat!",
            author={"external_id": "dana-x", "handle": "@dana", "name": "Dana"},
        )
    )
    jobs_run_pending()  # the relate stage makes Dana's customer record
    message = Message.objects.get(external_id="idea-1")
    dana = Customer.objects.get(profiles__external_id="dana-x")
    noa = Customer.objects.create(name="Noa")
    idea = post(api(org["alice"]), "/api/ideas", {"title": "Child seat", "source_message": message.pk}).json()

    vote = post(api(org["lena"]), f"/api/ideas/{idea['id']}/votes", {"message": message.pk})
    wrong = post(
        api(org["lena"]), f"/api/ideas/{idea['id']}/votes", {"message": message.pk, "customer": noa.pk}
    )

    assert idea["source_message"] == message.pk
    assert vote.status_code == 201
    assert (vote.json()["customer"], vote.json()["message"]) == (dana.pk, message.pk)
    assert wrong.status_code == 422
    assert wrong.json() == {"detail": f"message {message.pk} was not written by customer {noa.pk}"}


def test_only_leads_and_admins_change_the_status(org: dict[str, Any]) -> None:
    idea = _idea(org)
    url = f"/api/ideas/{idea['id']}/status"

    assert post(api(org["alice"]), url, {"status": "planned"}).status_code == 403
    assert post(api(org["lena"]), url, {"status": "shipped"}).status_code == 422
    moved = post(api(org["lena"]), url, {"status": "in_progress"})

    assert (moved.status_code, moved.json()["status"]) == (200, "in_progress")
    assert Idea.objects.get().status == "in_progress"
    assert [i["title"] for i in api(org["alice"]).get("/api/ideas", {"status": "in_progress"}).json()] == [
        "Child seat for the Volta City"
    ]
    assert api(org["alice"]).get("/api/ideas", {"status": "done"}).json() == []


def test_an_agent_votes_only_for_customers_of_her_teams_cases(org: dict[str, Any]) -> None:
    """Alice (Customer service) may act for Dana, whose complaint is her team's case, not for Noa."""
    message_ingest_json(
        data=inbound(external_id="c-1", text="It is broken again", author={"external_id": "dana-x"})
    )
    jobs_run_pending()
    dana = Customer.objects.get(profiles__external_id="dana-x")
    noa = Customer.objects.create(name="Noa")
    idea = _idea(org)
    url = f"/api/ideas/{idea['id']}/votes"

    theirs = post(api(org["alice"]), url, {"customer": dana.pk})
    stranger = post(api(org["alice"]), url, {"customer": noa.pk})
    elsewhere = post(api(org["bob"]), url, {"message": Message.objects.get(external_id="c-1").pk})

    assert theirs.status_code == 201
    assert stranger.status_code == 404
    assert elsewhere.status_code == 404  # Bob (Sales) has no case of Dana's
    assert list(IdeaVote.objects.values_list("customer_id", flat=True)) == [dana.pk]
