"""POST/GET /api/messages/{id}/corrections: any signed-in agent corrects a label, with clear refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from lara.analysis.models import Analysis
from lara.core.jobs import jobs_run_pending
from lara.core.services import api_token_create
from lara.mentions.models import Message

from ..factories import inbound


def _client(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


@pytest.fixture
def broken(org: dict[str, Any]) -> Message:
    """A complaint heard on X and analyzed (the fake analyzer: complaint, negative)."""
    _client(org["lena"]).post(
        "/api/messages", data=json.dumps(inbound(text="It is broken")), content_type="application/json"
    )
    jobs_run_pending()
    return Message.objects.get()


def _correct(client: Client, message_id: int, payload: Any) -> Any:
    return client.post(
        f"/api/messages/{message_id}/corrections", data=json.dumps(payload), content_type="application/json"
    )


def test_an_agent_corrects_a_label_and_gets_the_stored_correction(
    org: dict[str, Any], broken: Message
) -> None:
    response = _correct(_client(org["alice"]), broken.pk, {"field": "sentiment", "value": "neutral"})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "message", "field", "old", "new", "user", "created_at"}
    assert (body["message"], body["field"], body["old"], body["new"], body["user"]) == (
        broken.pk,
        "sentiment",
        "negative",
        "neutral",
        "alice",
    )
    assert Analysis.objects.get(message=broken).sentiment == "neutral"


def test_corrections_are_listed_oldest_first(org: dict[str, Any], broken: Message) -> None:
    _correct(_client(org["alice"]), broken.pk, {"field": "type", "value": "question"})
    _correct(_client(org["bob"]), broken.pk, {"field": "purchase_intent", "value": True})

    listed = _client(org["lena"]).get(f"/api/messages/{broken.pk}/corrections")

    assert listed.status_code == 200
    assert [(c["user"], c["field"], c["old"], c["new"]) for c in listed.json()] == [
        ("alice", "type", "complaint", "question"),
        ("bob", "purchase_intent", "false", "true"),
    ]


def test_any_signed_in_user_may_correct_the_mentions_stream(org: dict[str, Any], broken: Message) -> None:
    # oscar has no team, but the mentions stream is open to every signed-in user, so are its labels.
    assert _correct(_client(org["oscar"]), broken.pk, {"field": "language", "value": "he"}).status_code == 201
    assert Client().get(f"/api/messages/{broken.pk}/corrections").status_code == 401
    assert _correct(Client(), broken.pk, {"field": "language", "value": "he"}).status_code == 401


def test_an_unknown_message_is_404(org: dict[str, Any]) -> None:
    alice = _client(org["alice"])

    assert _correct(alice, 999, {"field": "sentiment", "value": "neutral"}).status_code == 404
    assert alice.get("/api/messages/999/corrections").status_code == 404


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (
            {"field": "mood", "value": "happy"},
            "field must be one of sentiment, type, purchase_intent, language",
        ),
        ({"field": "sentiment", "value": "furious"}, "sentiment must be one of negative, neutral, positive"),
        ({"field": "purchase_intent", "value": "perhaps"}, "purchase_intent must be true or false"),
        ({"field": "language", "value": "english"}, "language must be a two-letter ISO 639-1 code"),
    ],
)
def test_an_invalid_field_or_value_is_a_clear_422(
    org: dict[str, Any], broken: Message, payload: dict[str, str], detail: str
) -> None:
    response = _correct(_client(org["alice"]), broken.pk, payload)

    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)
    assert _client(org["alice"]).get(f"/api/messages/{broken.pk}/corrections").json() == []


def test_a_body_without_a_value_is_422(org: dict[str, Any], broken: Message) -> None:
    response = _correct(_client(org["alice"]), broken.pk, {"field": "sentiment"})

    assert response.status_code == 422
    assert response.json()["detail"] == "invalid request"
