"""A 2,000-row CRM export through the background job: progress moves and the report is exact.

The same file generator makes the 100,000-row file of ``make bench``
(``bench/imports.py``, figure ``import_100k_seconds``).
"""

from __future__ import annotations

from typing import Any

from bench.imports import import_existing, import_file, report_mismatches

from lara.core.jobs import jobs_run_pending
from lara.core.models import Job
from lara.customers import imports
from lara.customers.attributes import attribute_definition_create
from lara.customers.models import ContactPoint, Customer, CustomerImport, CustomerMatchKey
from lara.customers.suggestions import SUGGEST_MANY_TASK


def test_a_2000_row_file_is_imported_exactly_with_progress_by_the_job(
    org: dict[str, Any], monkeypatch: Any
) -> None:
    attribute_definition_create(key="seats", label="Seats", type="number")
    before = Customer.objects.bulk_create(
        Customer(name="Before", external_crm_id=c) for c in import_existing(2000)
    )
    text, expected = import_file(2000)
    written: list[int] = []
    update = imports._progress_write

    def spying(run_id: int, done: int) -> None:
        update(run_id, done)
        written.append(CustomerImport.objects.get(pk=run_id).done)

    monkeypatch.setattr(imports, "_progress_write", spying)
    run = imports.customer_import_start(text=text, mapping={}, dry_run=False, actor=org["lena"])

    jobs_run_pending(max_rounds=1)

    run.refresh_from_db()
    assert (run.status, run.total, run.done) == ("done", 2000, 2000)
    assert written == list(range(imports.PROGRESS_EVERY, 2001, imports.PROGRESS_EVERY))
    assert report_mismatches(run.report, expected) == []
    assert (run.report["new"], run.report["updated"], run.report["conflicting"], run.report["rejected"]) == (
        1988,
        2,
        4,
        6,
    )
    holder = Customer.objects.get(external_crm_id="CRM-000249").pk
    assert run.report["rows"][250] == {
        "line": 252,
        "external_id": "CRM-000250",
        "outcome": "conflicting",
        "reason": f"e-mail person249@example.org belongs to customer {holder}, who has CRM id CRM-000249",
        "customer": None,
    }
    # What was stored is what the report says, and the indexes followed.
    assert Customer.objects.filter(external_crm_id__startswith="CRM-").count() == 1990
    dana = Customer.objects.get(pk=before[0].pk)
    assert (dana.name, dana.emails, dana.attributes) == (
        "Dana Levi 100",
        ["person100@example.org"],
        {"seats": 20},
    )
    assert ContactPoint.objects.filter(kind="email").count() == 1990
    assert ContactPoint.objects.filter(kind="phone").count() == 663
    assert CustomerMatchKey.objects.filter(customer=dana).exists()
    # Suggestions for the imported customers are computed in a few batch jobs, not one per row.
    assert Job.objects.filter(task=SUGGEST_MANY_TASK).count() == 4
