"""Merge two customers from the customer page with a choice per field, and undo it exactly."""

from __future__ import annotations

from typing import Any

from django.test import Client

from lara.customers.models import Customer, CustomerMerge


def _login(user: Any) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = client.get("/").cookies["csrftoken"].value
    return client, token


def _pair() -> tuple[Customer, Customer]:
    dana = Customer.objects.create(name="Dana Levi", city="Haifa", tier="gold")
    other = Customer.objects.create(name="דנה לוי", city="Tel Aviv", company="Pedalix")
    return dana, other


def test_the_merge_page_compares_the_records_and_merges_with_the_choices(org: dict[str, Any]) -> None:
    dana, other = _pair()
    lena, token = _login(org["lena"])

    page = lena.get(f"/customers/{dana.pk}/merge", {"other": other.pk}).content.decode()
    response = lena.post(
        f"/customers/{dana.pk}/merge",
        {"csrfmiddlewaretoken": token, "other": other.pk, "choice_city": "take", "reason": "same phone"},
    )

    assert "Haifa" in page and "Tel Aviv" in page and "Pedalix" in page
    assert response.status_code == 302 and response["Location"] == f"/customers/{dana.pk}/"
    dana.refresh_from_db()
    other.refresh_from_db()
    assert (dana.name, dana.city, dana.tier, dana.company) == ("Dana Levi", "Tel Aviv", "gold", "")
    assert other.merged_into_id == dana.pk
    merge = CustomerMerge.objects.get()
    assert (merge.actor, merge.reason) == (org["lena"], "same phone")


def test_the_merge_is_undone_exactly_from_the_customer_page(org: dict[str, Any]) -> None:
    dana, other = _pair()
    lena, token = _login(org["lena"])
    lena.post(
        f"/customers/{dana.pk}/merge",
        {"csrfmiddlewaretoken": token, "other": other.pk, "choice_city": "take"},
    )
    merge = CustomerMerge.objects.get()
    assert "Undo merge" in lena.get(f"/customers/{dana.pk}/").content.decode()

    lena.post(
        f"/customers/{dana.pk}/merges/{merge.pk}/undo", {"csrfmiddlewaretoken": token, "reason": "wrong"}
    )

    dana.refresh_from_db()
    other.refresh_from_db()
    assert (dana.city, other.merged_into_id, other.city) == ("Haifa", None, "Tel Aviv")
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undone_by == org["lena"]


def test_agents_cannot_merge(org: dict[str, Any]) -> None:
    dana, other = _pair()
    alice, token = _login(org["alice"])

    response = alice.post(f"/customers/{dana.pk}/merge", {"csrfmiddlewaretoken": token, "other": other.pk})

    assert response.status_code == 403
    assert CustomerMerge.objects.count() == 0


def test_merging_a_record_into_itself_is_refused(org: dict[str, Any]) -> None:
    dana, _other = _pair()
    lena, token = _login(org["lena"])

    lena.post(f"/customers/{dana.pk}/merge", {"csrfmiddlewaretoken": token, "other": dana.pk})

    assert CustomerMerge.objects.count() == 0
