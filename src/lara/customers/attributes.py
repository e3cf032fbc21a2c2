"""Typed custom attributes: define them, check and normalise values on every write path.

``Customer.attributes`` is free JSON, so without a check a CSV could store
``"12"`` for a number one day and ``"twelve"`` the next, and a segment
filtering ``seats >= 10`` would silently miss both. Each defined key has a
type; the CSV import, the CRM upsert and merges all go through
``attributes_clean`` / ``attributes_merge`` so what is stored is always the
normal form: numbers as JSON numbers, dates as ISO ``YYYY-MM-DD``, a choice
as one of its listed values (matched without regard to case). Keys nobody
defined are kept as sent: the networks and older CRM pushes write them, and
a definition added later starts checking them from then on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Max

from .models import AttributeDefinition, AttributeType, Customer

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
#: Date spellings a CRM export may use, tried in order after ISO (day before month: Europe and Israel).
_DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d")
#: Keys that would shadow a CRM column in an import's header.
_RESERVED = {
    "external_id",
    "name",
    "email",
    "phone",
    "status",
    "tier",
    "lifetime_value",
    "company",
    "owner",
    "city",
    "attributes",
}


class AttributeValueError(ValueError):
    """A value a definition refuses; the message names the attribute and why."""


def attribute_definitions() -> dict[str, AttributeDefinition]:
    """Every definition by key, in the order the customer page shows them."""
    return {d.key: d for d in AttributeDefinition.objects.order_by("position", "pk")}


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, (int, float)):
        value = Decimal(str(raw))
    else:
        text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # 12,5 as many CRMs write it
        value = Decimal(text)
    if not value.is_finite() or abs(value) >= Decimal("1e15"):
        raise ValueError
    return int(value) if value == value.to_integral_value() else float(value)


def _date(raw: Any) -> str:
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if not isinstance(raw, str):
        raise ValueError
    text = raw.strip()
    try:
        return date.fromisoformat(text[:10] if "T" in text else text).isoformat()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError


def attribute_value_clean(definition: AttributeDefinition, raw: Any) -> Any:
    """Return the value in its normal form; raise ``AttributeValueError`` saying why not."""
    kind = definition.type
    try:
        if kind == AttributeType.NUMBER:
            return _number(raw)
        if kind == AttributeType.DATE:
            return _date(raw)
    except (ValueError, InvalidOperation, ArithmeticError) as exc:
        what = "a number" if kind == AttributeType.NUMBER else "a date (YYYY-MM-DD)"
        raise AttributeValueError(f"{definition.key} is not {what}: {raw!r}") from exc
    if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
        raise AttributeValueError(f"{definition.key} must be text, not {type(raw).__name__}")
    text = str(raw).strip()
    if kind == AttributeType.CHOICE:
        for choice in definition.choices:
            if choice.lower() == text.lower():
                return choice
        raise AttributeValueError(
            f"{definition.key} must be one of {', '.join(definition.choices)}, not {text!r}"
        )
    if len(text) > 1000:
        raise AttributeValueError(f"{definition.key} is longer than 1000 characters")
    return text


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def attributes_clean(
    values: dict[str, Any],
    *,
    current: dict[str, Any] | None = None,
    creating: bool = False,
    definitions: dict[str, AttributeDefinition] | None = None,
) -> dict[str, Any]:
    """Return the customer's attributes after writing ``values`` onto ``current``.

    A blank value (``None`` or empty text) removes the key; a required
    attribute can be neither removed nor left out of a new customer.
    Raise ``AttributeValueError`` for the first value refused.
    """
    definitions = attribute_definitions() if definitions is None else definitions
    result = dict(current or {})
    for key, raw in values.items():
        if not isinstance(key, str) or not key:
            raise AttributeValueError("attribute keys must be non-empty text")
        definition = definitions.get(key)
        if _blank(raw):
            if definition is not None and definition.required:
                raise AttributeValueError(f"{key} is required")
            result.pop(key, None)
        elif definition is None:
            result[key] = raw
        else:
            result[key] = attribute_value_clean(definition, raw)
    if creating:
        missing = [k for k, d in definitions.items() if d.required and _blank(result.get(k))]
        if missing:
            raise AttributeValueError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required")
    return result


def attributes_merge(*, target: dict[str, Any], other: dict[str, Any], take: bool) -> dict[str, Any]:
    """The attributes of a merged record: the chosen side wins on shared keys, if its value is typed.

    A value stored before its definition existed may not fit it; then the
    other side's value is kept when that one fits, so a merge never trades a
    typed value for an untyped one. Values that fit are stored normalised.
    """
    definitions = attribute_definitions()
    first, second = (other, target) if take else (target, other)
    result: dict[str, Any] = {}
    for key in [*target, *(k for k in other if k not in target)]:
        candidates = [side[key] for side in (first, second) if key in side and not _blank(side[key])]
        definition = definitions.get(key)
        if definition is None:
            result[key] = candidates[0] if candidates else first.get(key, second.get(key))
            continue
        for raw in candidates:
            try:
                result[key] = attribute_value_clean(definition, raw)
                break
            except AttributeValueError:
                continue
        else:
            if candidates:
                result[key] = candidates[0]
    return result


def attribute_definition_create(
    *, key: str, label: str, type: str, choices: list[str] | None = None, required: bool = False
) -> AttributeDefinition:
    """Define an attribute, shown after the existing ones; raise ``AttributeValueError`` for bad input."""
    key, label = key.strip(), label.strip()
    if not _KEY.match(key) or len(key) > 60 or "__" in key:
        raise AttributeValueError(
            "key must start with a lower-case letter and hold only a-z, 0-9 and single _ (at most 60)"
        )
    if key in _RESERVED:
        raise AttributeValueError(f"{key} is a CRM column; choose another key")
    if AttributeDefinition.objects.filter(key=key).exists():
        raise AttributeValueError(f"an attribute with key {key!r} already exists")
    if not label or len(label) > 120:
        raise AttributeValueError("label must be 1 to 120 characters")
    if type not in AttributeType.values:
        raise AttributeValueError(f"type must be one of {', '.join(AttributeType.values)}")
    clean_choices = [c.strip() for c in (choices or []) if isinstance(c, str) and c.strip()]
    if type == AttributeType.CHOICE:
        if not clean_choices or len(clean_choices) != len(choices or []):
            raise AttributeValueError("a choice attribute needs a non-empty list of non-empty texts")
        if len({c.lower() for c in clean_choices}) != len(clean_choices):
            raise AttributeValueError("choices must differ (ignoring case)")
    elif choices:
        raise AttributeValueError("only a choice attribute has choices")
    last = AttributeDefinition.objects.aggregate(m=Max("position"))["m"]
    return AttributeDefinition.objects.create(
        key=key,
        label=label,
        type=type,
        choices=clean_choices,
        required=required,
        position=0 if last is None else last + 1,
    )


@dataclass(frozen=True)
class AttributeRow:
    """One attribute as the customer page shows it; ``value`` is a ``date`` for dates."""

    key: str
    label: str
    type: str
    value: Any


def customer_attribute_rows(customer: Customer) -> list[AttributeRow]:
    """The customer's attributes: defined ones by label in definition order, then the rest by key."""
    values = customer.attributes or {}
    rows = []
    definitions = attribute_definitions()
    for key, definition in definitions.items():
        if _blank(values.get(key)):
            continue
        value, kind = values[key], definition.type
        if kind == AttributeType.DATE:
            try:
                value = date.fromisoformat(value)
            except (TypeError, ValueError):
                kind = AttributeType.TEXT  # stored before the definition: shown as it is
        rows.append(AttributeRow(key, definition.label, kind, value))
    for key in sorted(k for k in values if k not in definitions and not _blank(values[k])):
        value = values[key]
        shown = value if isinstance(value, (str, int, float)) else str(value)
        rows.append(AttributeRow(key, key, "text", shown))
    return rows
