"""Add and remove a case's tags, each change on the paper trail.

Tags are free labels ("pr-watch", "refund", "vip") that saved views, filters
and rules use; who added or removed one, and when, is part of the case's
history like any other change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from .models import Case, EventKind
from .services import case_event_add

TAG_RE = re.compile(r"^[\w-]{1,40}$")


def tag_clean(raw: str) -> str:
    """Normalise a tag (lower case, spaces to dashes) or raise ValueError saying what is allowed."""
    tag = "-".join(raw.strip().lower().split())
    if not TAG_RE.match(tag):
        raise ValueError("a tag is 1 to 40 letters, digits, dashes or underscores")
    return tag


def case_tags_change(
    *,
    case: Case,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    actor: Any = None,
    reason: str = "",
) -> list[str]:
    """Apply the changes (unknown removals and repeated additions are no-ops); return the tags."""
    added = [t for t in dict.fromkeys(tag_clean(t) for t in add) if t not in case.tags]
    removed = [t for t in dict.fromkeys(tag_clean(t) for t in remove) if t in case.tags]
    if not added and not removed:
        return list(case.tags)
    with transaction.atomic():
        case.tags = [t for t in case.tags if t not in removed] + added
        case.save(update_fields=["tags", "updated_at"])
        case_event_add(
            case=case,
            kind=EventKind.TAGGED,
            actor=actor,
            data={"added": added, "removed": removed},
            reason=reason or ", ".join([*(f"+{t}" for t in added), *(f"-{t}" for t in removed)]),
        )
    return list(case.tags)
