"""Offers: sent to a segment's current members only, idempotently; responses recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from lara.customers.models import Customer, Segment
from lara.engage.models import EngageEvent, OfferSent

from .helpers import api, post


def _gold(org: dict[str, Any]) -> dict[str, Any]:
    Segment.objects.create(name="Gold", slug="gold", definition={"tier": ["gold"]})
    return {
        "dana": Customer.objects.create(name="Dana", tier="gold"),
        "noa": Customer.objects.create(name="Noa", tier="gold"),
        "avi": Customer.objects.create(name="Avi", tier="silver"),
    }


def _offer(org: dict[str, Any], **extra: Any) -> dict[str, Any]:
    payload = {"name": "Free service check", "description": "for gold riders", "segment": "gold", **extra}
    response = post(api(org["lena"]), "/api/offers", payload)
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_sending_reaches_the_segments_members_once(org: dict[str, Any]) -> None:
    people = _gold(org)
    offer = _offer(org)
    url = f"/api/offers/{offer['id']}/send"

    assert post(api(org["alice"]), url, {}).status_code == 403
    first = post(api(org["lena"]), url, {}).json()
    again = post(api(org["lena"]), url, {}).json()
    yael = Customer.objects.create(name="Yael", tier="gold")
    later = post(api(org["lena"]), url, {}).json()

    assert first == {
        "offer": offer["id"],
        "new": 2,
        "customers": [people["dana"].pk, people["noa"].pk],
        "total": 2,
    }
    assert (again["new"], again["customers"], again["total"]) == (0, [], 2)
    assert (later["new"], later["customers"], later["total"]) == (1, [yael.pk], 3)
    assert set(OfferSent.objects.values_list("customer_id", "status")) == {
        (people["dana"].pk, "sent"),
        (people["noa"].pk, "sent"),
        (yael.pk, "sent"),
    }
    assert EngageEvent.objects.filter(action="offer_sent").count() == 3


def test_a_response_is_recorded_only_for_a_customer_who_had_the_offer(org: dict[str, Any]) -> None:
    people = _gold(org)
    offer = _offer(org)
    post(api(org["lena"]), f"/api/offers/{offer['id']}/send", {})
    url = f"/api/offers/{offer['id']}/responses"

    accepted = post(api(org["lena"]), url, {"customer": people["dana"].pk, "status": "accepted"})
    stranger = post(api(org["lena"]), url, {"customer": people["avi"].pk, "status": "accepted"})
    bad = post(api(org["lena"]), url, {"customer": people["noa"].pk, "status": "maybe"})
    hidden = post(api(org["alice"]), url, {"customer": people["dana"].pk, "status": "declined"})

    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["responded_at"] is not None) == ("accepted", True)
    assert stranger.status_code == 422
    assert bad.status_code == 422
    assert hidden.status_code == 404  # Alice has no case of Dana's: she may not answer for her
    assert api(org["alice"]).get("/api/offers").json()[0] | {"valid_from": None} == {
        "id": offer["id"],
        "name": "Free service check",
        "description": "for gold riders",
        "segment": "gold",
        "valid_from": None,
        "valid_until": None,
        "sent": 2,
        "accepted": 1,
    }
    event = EngageEvent.objects.get(action="offer_response")
    assert (event.customer_id, event.data) == (
        people["dana"].pk,
        {"offer": offer["id"], "status": "accepted", "before": "sent"},
    )


def test_an_offer_needs_a_known_segment_and_a_window_to_send(org: dict[str, Any]) -> None:
    _gold(org)
    now = timezone.now()
    assert post(api(org["lena"]), "/api/offers", {"name": "X", "segment": "nope"}).status_code == 422
    backwards = {"valid_from": now.isoformat(), "valid_until": (now - timedelta(days=1)).isoformat()}
    assert post(api(org["lena"]), "/api/offers", {"name": "X", **backwards}).status_code == 422
    no_segment = post(api(org["lena"]), "/api/offers", {"name": "Loose"}).json()
    ended = _offer(
        org,
        valid_from=(now - timedelta(days=10)).isoformat(),
        valid_until=(now - timedelta(days=1)).isoformat(),
    )

    assert post(api(org["lena"]), f"/api/offers/{no_segment['id']}/send", {}).status_code == 422
    assert post(api(org["lena"]), f"/api/offers/{ended['id']}/send", {}).status_code == 422
    assert OfferSent.objects.count() == 0
