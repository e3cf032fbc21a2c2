"""Contact points: e-mails and phones are an index, kept exact by every path that changes them."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lara.cases.merge import customer_merge, customer_unmerge
from lara.cases.privacy import customer_erase
from lara.core.jobs import jobs_run_pending
from lara.core.models import Job
from lara.core.services import api_token_create
from lara.customers.models import ContactPoint, Customer, LinkSuggestion
from lara.customers.services import AuthorFacts, customer_upsert_by_crm_id, profile_resolve
from lara.customers.suggestions import SUGGEST_TASK, suggestions_enqueue
from lara.mentions.services import message_ingest_json

from ..factories import inbound


def _points(customer: Customer | None = None) -> list[tuple[str, str, str]]:
    rows = ContactPoint.objects.order_by("kind", "value")
    if customer is not None:
        rows = rows.filter(customer=customer)
    return [(p.kind, p.value, p.source) for p in rows]


def test_a_crm_upsert_indexes_normalised_emails_and_e164_phones(db: Any) -> None:
    customer, _ = customer_upsert_by_crm_id(
        external_id="CRM-1",
        fields={"name": "Dana Levi"},
        emails=[" Dana@Example.ORG "],
        phones=["+972 52-555-0123"],
    )

    assert _points(customer) == [("email", "dana@example.org", "crm"), ("phone", "+972525550123", "crm")]


def test_a_network_author_with_a_known_email_joins_the_crm_customer_through_the_index(db: Any) -> None:
    crm, _ = customer_upsert_by_crm_id(
        external_id="CRM-2", fields={"name": "Gal"}, emails=["gal@example.org"]
    )

    with CaptureQueriesContext(connection) as queries:
        profile = profile_resolve(
            author=AuthorFacts(network="email", external_id="gal@example.org", email="GAL@example.org")
        )

    assert profile.customer == crm
    lookups = [q["sql"] for q in queries.captured_queries if "customers_contactpoint" in q["sql"]]
    assert lookups and all("LIKE" not in sql for sql in lookups)  # an indexed equality, not a text scan


def test_a_phone_from_a_new_network_profile_is_indexed_with_its_source(db: Any) -> None:
    profile = profile_resolve(
        author=AuthorFacts(network="whatsapp", external_id="w1", phone="+380 67 123 4567")
    )

    assert _points(profile.customer) == [("phone", "+380671234567", "network:whatsapp")]


def test_a_merge_moves_the_contacts_and_an_unmerge_gives_them_back(org: dict[str, Any]) -> None:
    a, _ = customer_upsert_by_crm_id(external_id="CRM-3", fields={"name": "Avi"}, emails=["avi@example.org"])
    b = profile_resolve(
        author=AuthorFacts(network="email", external_id="x", email="avi.m@example.org")
    ).customer

    merge = customer_merge(target_id=a.pk, other_id=b.pk, choices={}, actor=org["lena"])

    assert _points(a) == [
        ("email", "avi.m@example.org", "network:email"),
        ("email", "avi@example.org", "crm"),
    ]
    assert _points(b) == []

    customer_unmerge(merge_id=merge.pk, actor=org["lena"])

    assert _points(a) == [("email", "avi@example.org", "crm")]
    assert _points(b) == [("email", "avi.m@example.org", "network:email")]


def test_erasing_a_customer_drops_their_contact_points(org: dict[str, Any]) -> None:
    customer, _ = customer_upsert_by_crm_id(
        external_id="CRM-4", fields={}, emails=["gone@example.org"], phones=["+972545551234"]
    )

    customer_erase(customer=customer, actor=org["lena"])

    assert ContactPoint.objects.count() == 0


def test_the_data_migration_fills_the_index_from_existing_customers(db: Any) -> None:
    older = Customer.objects.create(name="Old", emails=["Same@Example.org"], phones=["+972541234569"])
    Customer.objects.create(name="Dup", emails=["same@example.org"])  # old data may hold a duplicate
    ContactPoint.objects.all().delete()

    import_module("lara.customers.migrations.0004_fill_contact_points").fill(apps, None)

    assert [(p.customer_id, p.kind, p.value) for p in ContactPoint.objects.order_by("kind")] == [
        (older.pk, "email", "same@example.org"),
        (older.pk, "phone", "+972541234569"),
    ]


def test_suggestions_are_computed_in_the_background_and_get_only_reads(org: dict[str, Any]) -> None:
    for n in (1, 2):
        message_ingest_json(
            data=inbound(author={"external_id": f"dana-{n}", "handle": f"@d{n}", "name": "Dana Levi"})
        )
    client = Client(headers={"authorization": f"Bearer {api_token_create(user=org['alice'])}"})

    jobs_run_pending()  # the pipeline relates the authors and queues their suggestions

    suggestion = LinkSuggestion.objects.get()
    before = (suggestion.updated_at, LinkSuggestion.objects.count())
    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"/api/customers/{suggestion.customer_a_id}/suggestions").json()
    assert [s["other"] for s in body] == [suggestion.customer_b_id]
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    writes = [sql for sql in writes if "django_session" not in sql and "lara_core_apitoken" not in sql]
    assert writes == []
    suggestion.refresh_from_db()
    assert (suggestion.updated_at, LinkSuggestion.objects.count()) == before


def test_a_customers_suggestion_job_is_queued_once_while_it_waits(db: Any) -> None:
    suggestions_enqueue(customer_ids=[5, 5, 6])
    suggestions_enqueue(customer_ids=[5])

    queued = Job.objects.filter(task=SUGGEST_TASK).values_list("args", flat=True)
    assert sorted(args[0] for args in queued) == [5, 6]
