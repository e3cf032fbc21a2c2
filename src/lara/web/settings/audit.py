"""Take JSON snapshots of settings rows for the SettingsChange log (secrets reduced to set / not set)."""

from __future__ import annotations

from typing import Any

from django.db import models


def snapshot(obj: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named fields as JSON-safe values; foreign keys as their id, many-to-many as sorted ids."""
    data: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            data[name] = sorted(getattr(obj, name).values_list("pk", flat=True)) if obj.pk else []
        elif field.is_relation:
            data[name] = getattr(obj, f"{name}_id")
        else:
            value = getattr(obj, name)
            data[name] = (
                value if isinstance(value, (str, int, float, bool, list, dict, type(None))) else str(value)
            )
    return data


def secrets_shape(credentials: dict[str, Any]) -> dict[str, str]:
    """Which secrets are stored, never what they are."""
    return {key: "set" for key, value in sorted(credentials.items()) if value}
