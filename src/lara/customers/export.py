"""Write every active customer as CSV, streamed row by row, for admins and leads.

Segments are resolved with one query per segment up front (member ids), and
customers are read in chunks with their profiles and contact points
prefetched, so the export's memory stays flat however many customers there
are and no per-customer query runs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from .merging import audit_record
from .models import AuditAction, Customer, Segment
from .segments import segment_member_ids

COLUMNS = (
    "id",
    "external_id",
    "name",
    "status",
    "tier",
    "lifetime_value",
    "company",
    "city",
    "owner",
    "emails",
    "phones",
    "contact_points",
    "profiles",
    "segments",
    "attributes",
    "created_at",
    "last_contact_at",
)
CHUNK = 500
# Text people typed (or a network sent): guarded against spreadsheet formulas. Phones keep their "+".
_FREE_TEXT = {COLUMNS.index(c) for c in ("external_id", "name", "tier", "company", "city", "attributes")}


class _Line:
    """A file-like target that hands back what ``csv.writer`` wrote, one line at a time."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def take(self, writer: Any, row: list[Any]) -> str:
        writer.writerow(row)
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


def _safe(value: str) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ is read as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def customers_csv_rows() -> Iterator[str]:
    """Yield the CSV: a header, then one line per active customer (by id)."""
    line = _Line()
    writer = csv.writer(line.buffer)
    yield line.take(writer, list(COLUMNS))
    membership: dict[int, list[str]] = {}
    for segment in Segment.objects.order_by("slug"):
        for pk in segment_member_ids(segment):
            membership.setdefault(pk, []).append(segment.slug)
    customers = (
        Customer.objects.filter(merged_into__isnull=True)
        .select_related("owner")
        .prefetch_related("profiles", "contact_points")
        .order_by("pk")
    )
    for c in customers.iterator(chunk_size=CHUNK):
        points = sorted(c.contact_points.all(), key=lambda p: (p.kind, p.value))
        row: list[Any] = [
            c.pk,
            c.external_crm_id or "",
            c.name,
            c.status,
            c.tier,
            f"{c.lifetime_value:.2f}",
            c.company,
            c.city,
            c.owner.get_username() if c.owner else "",
            ";".join(c.emails),
            ";".join(c.phones),
            ";".join(f"{p.kind}:{p.value}{':verified' if p.verified else ''}" for p in points),
            ";".join(sorted(f"{p.network}:{p.handle or p.external_id}" for p in c.profiles.all())),
            ";".join(membership.get(c.pk, [])),
            json.dumps(c.attributes, ensure_ascii=False, sort_keys=True) if c.attributes else "",
            c.created_at.isoformat(),
            c.last_contact_at.isoformat() if c.last_contact_at else "",
        ]
        yield line.take(writer, [_safe(v) if i in _FREE_TEXT else v for i, v in enumerate(row)])


def customers_export_audit(*, actor: Any) -> None:
    """Record who exported the customers and when (the file itself is not kept)."""
    audit_record(
        action=AuditAction.EXPORT,
        customer=None,
        actor=actor,
        reason="customers CSV export",
        data={"format": "csv", "customers": Customer.objects.filter(merged_into__isnull=True).count()},
    )
