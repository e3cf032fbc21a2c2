"""Turn a segment's definition (JSON) into one queryset of customers; keep the counts fresh.

A definition is a set of conditions, all of which must hold::

    {"tier": ["gold", "platinum"],            # CRM tier in the list
     "status": ["active"],                    # CRM status in the list
     "last_contact_before_days": 30,          # last contact more than 30 days ago
     "last_contact_within_days": 7,           # last contact within the last 7 days
     "complaints": {"min": 2, "days": 30},    # ≥ 2 complaints in the last 30 days
     "negative_share": {"last": 5, "min": 0.6},  # ≥ 60 % negative among the last 5 messages
     "purchase_intent_days": 14,              # purchase intent seen in the last 14 days
     "channels": ["x", "whatsapp"],           # wrote on one of these channels (slugs)
     "languages": ["he"],                     # wrote in one of these languages
     "attributes": [{"attribute": "plan", "op": "in", "value": ["pro", "team"]},
                    {"attribute": "seats", "op": "gte", "value": 10}]}  # custom attributes

An attribute condition names a defined attribute (``AttributeDefinition``);
``op`` is ``eq``, ``in`` (a list), or ``gte`` / ``lte`` for numbers and
dates. Values are normalised like stored ones, so the comparison is a JSON
key lookup (``attributes__seats__gte``) on SQLite and PostgreSQL alike:
numbers compare as numbers, ISO dates in calendar order.

Every condition is an indexed filter, an ``Exists`` or a correlated
``Subquery`` count, so the database answers the whole segment in one query;
no customer is ever looked at in Python. Messages and their analysis belong
to higher layers, which this app must not import: they are reached through
the reverse relations (``Customer.profiles`` → ``SocialProfile.messages`` →
``Message.analysis``) the ORM already knows.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import Count, Exists, F, FloatField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .attributes import AttributeValueError, attribute_definitions, attribute_value_clean
from .models import AttributeType, Customer, CustomerStatus, Segment, SocialProfile

KEYS = (
    "tier",
    "status",
    "last_contact_before_days",
    "last_contact_within_days",
    "complaints",
    "negative_share",
    "purchase_intent_days",
    "channels",
    "languages",
    "attributes",
)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class SegmentError(ValueError):
    """A definition that cannot be turned into a query; the message says which part and why."""


def _message_model() -> type[models.Model]:
    """``lara.mentions.models.Message``, found through the reverse relation instead of an import."""
    return SocialProfile._meta.get_field("messages").related_model


def _strings(definition: dict[str, Any], key: str) -> list[str]:
    value = definition[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise SegmentError(f"{key} must be a non-empty list of texts")
    return [v.strip().lower() if key != "channels" else v.strip() for v in value]


def _days(definition: dict[str, Any], key: str, value: Any = None) -> int:
    value = definition[key] if value is None else value
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 3650:
        raise SegmentError(f"{key} must be a whole number of days between 1 and 3650")
    return value


_ATTRIBUTE_OPS = ("eq", "in", "gte", "lte")


def _attribute_conditions(value: Any) -> list[dict[str, Any]]:
    conditions = [value] if isinstance(value, dict) else value
    if not isinstance(conditions, list) or not conditions:
        raise SegmentError('attributes must be a list of {"attribute": key, "op": …, "value": …}')
    definitions = attribute_definitions()
    clean = []
    for condition in conditions:
        if not isinstance(condition, dict) or set(condition) != {"attribute", "op", "value"}:
            raise SegmentError('each attribute condition is {"attribute": key, "op": …, "value": …}')
        key, op, raw = condition["attribute"], condition["op"], condition["value"]
        definition = definitions.get(key) if isinstance(key, str) else None
        if definition is None:
            known = ", ".join(definitions) or "none yet"
            raise SegmentError(f"unknown attribute {key!r}; defined: {known}")
        if op not in _ATTRIBUTE_OPS:
            raise SegmentError(f"attribute op must be one of {', '.join(_ATTRIBUTE_OPS)}")
        if op in ("gte", "lte") and definition.type not in (AttributeType.NUMBER, AttributeType.DATE):
            raise SegmentError(f"{op} compares numbers and dates; {key} is {definition.type}")
        if op == "in" and (not isinstance(raw, list) or not raw):
            raise SegmentError(f"the value of {key} in must be a non-empty list")
        try:
            if op == "in":
                wanted: Any = [attribute_value_clean(definition, v) for v in raw]
            else:
                wanted = attribute_value_clean(definition, raw)
        except AttributeValueError as exc:
            raise SegmentError(str(exc)) from exc
        clean.append({"attribute": key, "op": op, "value": wanted})
    return clean


def segment_definition_clean(definition: Any) -> dict[str, Any]:
    """Return the definition checked and normalised; raise ``SegmentError`` for anything wrong."""
    if not isinstance(definition, dict) or not definition:
        raise SegmentError("a definition is a non-empty object of conditions")
    unknown = sorted(set(definition) - set(KEYS))
    if unknown:
        raise SegmentError(f"unknown condition(s) {', '.join(unknown)}; use {', '.join(KEYS)}")
    clean: dict[str, Any] = {}
    for key in ("tier", "channels", "languages"):
        if key in definition:
            clean[key] = _strings(definition, key)
    if "status" in definition:
        clean["status"] = _strings(definition, "status")
        if bad := sorted(set(clean["status"]) - set(CustomerStatus.values)):
            raise SegmentError(f"unknown status {', '.join(bad)}; one of {', '.join(CustomerStatus.values)}")
    for key in ("last_contact_before_days", "last_contact_within_days", "purchase_intent_days"):
        if key in definition:
            clean[key] = _days(definition, key)
    if "complaints" in definition:
        value = definition["complaints"]
        if not isinstance(value, dict) or set(value) != {"min", "days"}:
            raise SegmentError('complaints must be {"min": N, "days": D}')
        minimum = value["min"]
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
            raise SegmentError("complaints.min must be a whole number ≥ 1")
        clean["complaints"] = {"min": minimum, "days": _days(definition, "complaints.days", value["days"])}
    if "negative_share" in definition:
        value = definition["negative_share"]
        if not isinstance(value, dict) or set(value) != {"last", "min"}:
            raise SegmentError('negative_share must be {"last": N, "min": 0..1}')
        last, share = value["last"], value["min"]
        if isinstance(last, bool) or not isinstance(last, int) or not 1 <= last <= 100:
            raise SegmentError("negative_share.last must be a whole number of messages from 1 to 100")
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise SegmentError("negative_share.min must be a share above 0 and at most 1")
        clean["negative_share"] = {"last": last, "min": float(share)}
    if "attributes" in definition:
        clean["attributes"] = _attribute_conditions(definition["attributes"])
    return clean


def segment_queryset(definition: dict[str, Any], *, now: datetime | None = None) -> QuerySet[Customer]:
    """The active customers the definition describes, as one queryset (not yet evaluated)."""
    definition = segment_definition_clean(definition)
    now = now or timezone.now()
    Message = _message_model()
    theirs = Message.objects.filter(author_profile__customer=OuterRef("pk"))  # type: ignore[attr-defined]
    qs = Customer.objects.filter(merged_into__isnull=True)
    if "tier" in definition:
        qs = qs.filter(tier__in=definition["tier"])
    if "status" in definition:
        qs = qs.filter(status__in=definition["status"])
    if "last_contact_before_days" in definition:
        qs = qs.filter(last_contact_at__lt=now - timedelta(days=definition["last_contact_before_days"]))
    if "last_contact_within_days" in definition:
        qs = qs.filter(last_contact_at__gte=now - timedelta(days=definition["last_contact_within_days"]))
    for condition in definition.get("attributes", []):
        lookup = f"attributes__{condition['attribute']}"
        if condition["op"] != "eq":
            lookup += f"__{condition['op']}"
        qs = qs.filter(**{lookup: condition["value"]})
    if "purchase_intent_days" in definition:
        since = now - timedelta(days=definition["purchase_intent_days"])
        qs = qs.filter(Exists(theirs.filter(analysis__purchase_intent=True, created_at__gte=since)))
    if "channels" in definition:
        qs = qs.filter(Exists(theirs.filter(channel__slug__in=definition["channels"])))
    if "languages" in definition:
        qs = qs.filter(Exists(theirs.filter(language__in=definition["languages"])))
    if "complaints" in definition:
        since = now - timedelta(days=definition["complaints"]["days"])
        complaints = (
            theirs.filter(analysis__type="complaint", created_at__gte=since)
            .order_by()
            .values("author_profile__customer")
            .annotate(n=Count("pk"))
            .values("n")
        )
        qs = qs.annotate(seg_complaints=Coalesce(Subquery(complaints), Value(0))).filter(
            seg_complaints__gte=definition["complaints"]["min"]
        )
    if "negative_share" in definition:
        last = definition["negative_share"]["last"]
        latest = (
            Message.objects.filter(  # type: ignore[attr-defined]
                author_profile__customer=OuterRef(OuterRef("pk")), direction="in"
            )
            .order_by("-created_at", "-pk")
            .values("pk")[:last]
        )

        def _count(extra: Q) -> Coalesce:
            rows = (
                Message.objects.filter(Q(pk__in=Subquery(latest)) & extra)  # type: ignore[attr-defined]
                .order_by()
                .annotate(one=Value(1))
                .values("one")
                .annotate(n=Count("pk"))
                .values("n")
            )
            return Coalesce(Subquery(rows), Value(0))

        qs = qs.annotate(
            seg_recent=_count(Q()), seg_negative=_count(Q(analysis__sentiment="negative"))
        ).filter(
            seg_recent__gt=0,
            seg_negative__gte=F("seg_recent")
            * Value(definition["negative_share"]["min"], output_field=FloatField()),
        )
    return qs


def segment_create(*, name: str, slug: str, definition: Any) -> Segment:
    """Store a segment after checking its definition and slug; count it at once."""
    name, slug = name.strip(), slug.strip()
    if not name or len(name) > 120:
        raise SegmentError("name must be 1 to 120 characters")
    if not _SLUG.match(slug) or len(slug) > 60:
        raise SegmentError("slug must be lower-case letters, digits and single hyphens (at most 60)")
    if Segment.objects.filter(slug=slug).exists():
        raise SegmentError(f"a segment with slug {slug!r} already exists")
    clean = segment_definition_clean(definition)
    segment = Segment.objects.create(name=name, slug=slug, definition=clean)
    segment_count(segment=segment)
    return segment


def segment_count(*, segment: Segment, now: datetime | None = None) -> int:
    """Count the segment's customers now and store the count."""
    count = segment_queryset(segment.definition, now=now).count()
    Segment.objects.filter(pk=segment.pk).update(customer_count=count, counted_at=timezone.now())
    segment.customer_count = count
    return count


def segments_count_task() -> None:
    """Periodic job entry point: refresh every segment's count (one COUNT query each)."""
    for segment in Segment.objects.all():
        segment_count(segment=segment)


def customer_segments(customer: Customer, *, now: datetime | None = None) -> list[Segment]:
    """The segments this customer is in now (one indexed query per segment, on their own row)."""
    return [
        segment
        for segment in Segment.objects.all()
        if segment_queryset(segment.definition, now=now).filter(pk=customer.pk).exists()
    ]


def segment_member_ids(segment: Segment, *, now: datetime | None = None) -> set[int]:
    """Every member's id in one query (used by the CSV export to label rows)."""
    return set(segment_queryset(segment.definition, now=now).values_list("pk", flat=True))
