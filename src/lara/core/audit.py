"""Write the settings paper trail: one SettingsChange row per save.

Case changes have CaseEvent; configuration changes (who re-pointed a routing
rule, who rotated a token) need the same answer to "who did this, when, and
what was it before?". Callers pass plain JSON snapshots with secrets already
reduced to "set" / "not set".
"""

from __future__ import annotations

from typing import Any

from .models import SettingsChange


def settings_change_record(
    *,
    actor: Any,
    area: str,
    action: str,
    obj: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> SettingsChange | None:
    """Record a change; an update that changed nothing leaves no row."""
    before, after = before or {}, after or {}
    if action == "update" and before == after:
        return None
    return SettingsChange.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        area=area,
        action=action,
        object_id=str(getattr(obj, "pk", "") or ""),
        object_repr=str(obj or "")[:200],
        before=before,
        after=after,
    )
