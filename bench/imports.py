"""A CRM export of any size with duplicates, conflicts and invalid rows at known lines.

``import_file(n)`` returns the CSV text and the exact report Lara must give
for it (after ``import_existing`` created the customers it updates);
``import_benchmark`` runs a 100,000-row file through the background import
job (``lara.customers.imports``), watches the progress from another
connection as the browser would, and checks the report row by row.
The 2,000-row version runs in the test suite
(``tests/customers/test_import_scale.py``).

Every 1,000 rows (offset ``k`` = row number modulo 1,000):

* ``k == 100``: the CRM id of a customer that exists already → updated;
* ``k == 250``: the e-mail of the row before, under another id → conflicting;
* ``k == 500``: an invalid e-mail → rejected;
* ``k == 750``: an unknown status → rejected;
* ``k == 900``: a seats value that is not a number → rejected (typed attribute);
* ``k == 999``: the same CRM id as the row before → conflicting;
* anything else → new.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

HEADER = "external_id,name,email,phone,status,tier,lifetime_value,city,seats\n"
FIRST = ["Dana", "Tom", "Yulia", "Avi", "Noa", "Oleg", "Hanna", "Gal", "Maya", "Igor"]
LAST = ["Levi", "Whitfield", "Morozova", "Mizrahi", "Bar", "Hnatiuk", "Lytvyn", "Yamin", "Dahan", "Petrov"]


@dataclass
class Expected:
    outcomes: list[str] = field(default_factory=list)  # per data row, in order
    reasons: dict[int, str] = field(default_factory=dict)  # line → reason

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o == outcome)


def _crm_id(i: int) -> str:
    return f"CRM-{i:06d}"


def import_existing(n: int) -> list[str]:
    """The CRM ids the file updates: customers that are in Lara before the import."""
    return [_crm_id(i) for i in range(n) if i % 1000 == 100]


def import_file(n: int) -> tuple[str, Expected]:
    """Return the file's text and what must become of each row."""
    lines = [HEADER]
    expected = Expected()
    for i in range(n):
        line = i + 2
        k = i % 1000
        crm_id = _crm_id(i - 1 if k == 999 else i)
        email = f"person{i}@example.org"
        status, seats = "active", str(i % 40)
        outcome = "updated" if k == 100 else "new"
        if k == 250:
            email = f"person{i - 1}@example.org"
            outcome = "conflicting"
            expected.reasons[line] = f"e-mail {email} belongs to customer"
        elif k == 500:
            email = f"person{i}.example.org"
            outcome = "rejected"
            expected.reasons[line] = f"not an e-mail address: {email!r}"
        elif k == 750:
            status, outcome = "vip", "rejected"
            expected.reasons[line] = "unknown status 'vip'; one of lead, active, churned, unknown"
        elif k == 900:
            seats, outcome = "many", "rejected"
            expected.reasons[line] = "column 'seats': seats is not a number: 'many'"
        elif k == 999:
            email = f"person{i}b@example.org"
            outcome = "conflicting"
            expected.reasons[line] = f"line {line - 1} has the same external_id"
        phone = f"+97252{i % 10_000_000:07d}" if i % 3 == 0 and k not in (250, 999) else ""
        name = f"{FIRST[i % 10]} {LAST[(i // 10) % 10]} {i}"
        ltv = f"{(i * 37) % 5000}.{i % 100:02d}"
        tier = ("gold", "silver", "standard")[i % 3]
        lines.append(f"{crm_id},{name},{email},{phone},{status},{tier},{ltv},Tel Aviv,{seats}\n")
        expected.outcomes.append(outcome)
    return "".join(lines), expected


def report_mismatches(report: dict[str, Any], expected: Expected) -> list[str]:
    """Every way the import's report differs from what the file must give (empty = exact)."""
    problems = []
    for outcome in ("new", "updated", "conflicting", "rejected"):
        if report[outcome] != expected.count(outcome):
            problems.append(f"{outcome}: {report[outcome]} != {expected.count(outcome)}")
    rows = report["rows"]
    if len(rows) != len(expected.outcomes):
        problems.append(f"rows: {len(rows)} != {len(expected.outcomes)}")
    for row, outcome in zip(rows, expected.outcomes, strict=False):
        want = expected.reasons.get(row["line"], "")
        if row["outcome"] != outcome or not row["reason"].startswith(want):
            problems.append(
                f"line {row['line']}: {row['outcome']} {row['reason']!r}, want {outcome} {want!r}"
            )
            if len(problems) > 20:
                break
    return problems


class ProgressWatcher(threading.Thread):
    """Read the import's progress from another database connection, as the progress page does."""

    def __init__(self, import_id: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.import_id, self.every = import_id, every
        self.seen: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        from django.db import connection

        from lara.customers.models import CustomerImport

        try:
            while not self.stop.is_set():
                done = CustomerImport.objects.filter(pk=self.import_id).values_list("done", flat=True).first()
                if done is not None and (not self.seen or self.seen[-1] != done):
                    self.seen.append(done)
                time.sleep(self.every)
        finally:
            connection.close()


def import_run_watched(n: int) -> tuple[float, dict[str, Any], list[int], list[str]]:
    """Import an n-row file through the job; return (seconds, report, progress seen, mismatches)."""
    from lara.core.jobs import job_run
    from lara.core.models import Job
    from lara.customers.attributes import attribute_definition_create
    from lara.customers.imports import TASK as IMPORT_TASK
    from lara.customers.imports import customer_import_start
    from lara.customers.models import AttributeDefinition, Customer, CustomerImport

    if not AttributeDefinition.objects.filter(key="seats").exists():
        attribute_definition_create(key="seats", label="Seats", type="number")
    Customer.objects.bulk_create(Customer(name="Before", external_crm_id=c) for c in import_existing(n))
    text, expected = import_file(n)
    run = customer_import_start(text=text, mapping={}, dry_run=False, actor=None)
    watcher = ProgressWatcher(run.pk)
    watcher.start()
    started = time.perf_counter()
    job = Job.objects.get(task=IMPORT_TASK, args=[run.pk])
    job_run(job.pk)  # the durable job, as the workers run it (suggestion jobs it queues are not timed)
    seconds = time.perf_counter() - started
    watcher.stop.set()
    watcher.join()
    run = CustomerImport.objects.get(pk=run.pk)
    problems = report_mismatches(run.report, expected)
    if run.status != "done":
        problems.insert(0, f"status {run.status}: {run.error}")
    return seconds, run.report, watcher.seen, problems


def bench_import_100k(figures: dict[str, Any]) -> None:
    """The issue's "a 100,000-row CSV works with progress and a correct report", timed."""
    seconds, report, seen, problems = import_run_watched(100_000)
    if problems:
        raise AssertionError("the 100,000-row import's report is wrong:\n" + "\n".join(problems))
    if len(seen) < 3:
        raise AssertionError(f"the progress did not move as the import ran: {seen}")
    figures["import_100k_seconds"] = {
        "value": round(seconds, 1),
        "unit": (
            f"s for a 100,000-row CSV through the background import job "
            f"({report['new']} new, {report['updated']} updated, {report['conflicting']} conflicting, "
            f"{report['rejected']} rejected; report checked row by row; progress seen at {len(seen)} points)"
        ),
    }


def main() -> int:
    """``python -m bench.imports``: the 100,000-row import on a fresh database; figure to var/bench.json."""
    import json

    from .identity import figures_write, fresh_database

    fresh_database("bench-import")
    figures: dict[str, Any] = {}
    bench_import_100k(figures)
    figures_write(figures)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
