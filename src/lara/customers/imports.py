"""Run large CRM imports as durable jobs with a progress row the agent's browser polls.

A file of a few hundred thousand rows takes minutes: the request stores the
file in a ``CustomerImport`` row and enqueues a job in the same transaction,
so nothing is lost if the server restarts; the job writes how many rows are
done every ``PROGRESS_EVERY`` rows and the full report when it finishes.

A dry run keeps its promise to store nothing by running in one transaction
that is rolled back; what it writes inside is invisible to other
connections, so a dry run's progress jumps from 0 to done at the end.
"""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

from django.utils import timezone

from lara.core.jobs import job_enqueue

from .models import CustomerImport, ImportStatus
from .services import customers_import_csv

log = logging.getLogger(__name__)

#: Rows between two progress writes; the import commits every ``IMPORT_BATCH`` (500) rows, so
#: a write lands with the batch that finished it and the page moves batch by batch.
PROGRESS_EVERY = 500
TASK = "lara.customers.imports.customer_import_run_task"


def import_rows_count(text: str) -> int:
    """How many records the file holds after its header (quoted newlines counted right)."""
    return max(0, sum(1 for _ in csv.reader(io.StringIO(text))) - 1)


def customer_import_start(*, text: str, mapping: dict[str, str], dry_run: bool, actor: Any) -> CustomerImport:
    """Store the file and enqueue its import; call inside the request's transaction."""
    run = CustomerImport.objects.create(
        text=text,
        mapping=mapping,
        dry_run=dry_run,
        total=import_rows_count(text),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    job_enqueue(task=TASK, args=[run.pk])
    return run


def customer_import_run(*, import_id: int) -> CustomerImport:
    """Import the stored file, writing progress as it goes and the report at the end."""
    run = CustomerImport.objects.get(pk=import_id)
    if run.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return run  # a job handed out twice does nothing the second time
    CustomerImport.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING, done=0)

    def progress(done: int) -> None:
        if not run.dry_run and (done % PROGRESS_EVERY == 0):
            _progress_write(run.pk, done)

    try:
        report = customers_import_csv(
            text=run.text, mapping=run.mapping, dry_run=run.dry_run, progress=progress
        )
    except Exception as exc:  # a bug, not bad data (rows are reported): say so on the progress page
        log.exception("customer import %s failed", run.pk)
        CustomerImport.objects.filter(pk=run.pk).update(
            status=ImportStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
    else:
        result = report.as_dict()
        CustomerImport.objects.filter(pk=run.pk).update(
            status=ImportStatus.DONE,
            done=len(report.rows),
            total=max(run.total, len(report.rows)),
            report=result,
            text="",  # the file held personal data; the report says what became of each row
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


def _progress_write(import_id: int, done: int) -> None:
    CustomerImport.objects.filter(pk=import_id).update(done=done)


def customer_import_run_task(import_id: int) -> None:
    """Job entry point."""
    customer_import_run(import_id=import_id)
