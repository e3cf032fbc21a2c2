"""Merge one case into another, or split messages out of a case into a new one.

(``merge.py`` merges customers; this module merges cases.) Both keep the
paper trail on both sides: the merged case is closed with "merged into
LR-…" and points at the case that took its messages, tasks, replies, notes
and tags, so a later message in its conversation follows it there
(``after_close``). A split case is linked from the case it came out of;
the original keeps the conversation, the new case holds the moved messages.

Who may: anyone who sees both cases when they share a team; only leads and
admins across teams (an agent must not pull another team's case into
theirs, nor push one out of sight).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from lara.core.selectors import user_sees_all_teams
from lara.mentions.models import Direction, Message

from .models import Case, CaseMessage, CaseNote, CaseStatus, EventKind, Reply, Task
from .selectors import case_visible_to
from .services import case_create, case_event_add, case_set_status


class CaseMergeError(ValueError):
    """The merge or split cannot be done; the message says why."""


@dataclass(frozen=True)
class Moved:
    messages: int
    tasks: int
    replies: int
    notes: int


def _visible(user: Any, case: Case) -> bool:
    return case_visible_to(user).filter(pk=case.pk).exists()


def case_merge(*, source: Case, target: Case, actor: Any, reason: str = "") -> Moved:
    """Move everything of ``source`` into ``target`` and close ``source`` as merged into it."""
    if source.pk == target.pk:
        raise CaseMergeError("a case cannot be merged into itself")
    if not (_visible(actor, source) and _visible(actor, target)):
        raise CaseMergeError("no such case in your teams")
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise CaseMergeError("one of these cases was already merged into another")
    if source.team_id != target.team_id and not user_sees_all_teams(actor):
        raise CaseMergeError("only a team lead or an admin may merge cases of different teams")
    why = reason.strip()
    with transaction.atomic():
        source = Case.objects.select_for_update().get(pk=source.pk)
        target = Case.objects.select_for_update().get(pk=target.pk)
        moved = Moved(
            messages=CaseMessage.objects.filter(case=source).update(case=target),
            tasks=Task.objects.filter(case=source).update(case=target),
            replies=Reply.objects.filter(case=source).update(case=target),
            notes=CaseNote.objects.filter(case=source).update(case=target),
        )
        target.tags = [*target.tags, *(t for t in source.tags if t not in target.tags)]
        if target.first_response_at is None and source.first_response_at is not None:
            target.first_response_at = source.first_response_at
        target.save(update_fields=["tags", "first_response_at", "updated_at"])
        source.merged_into = target
        source.snoozed_until = None
        source.save(update_fields=["merged_into", "snoozed_until", "updated_at"])
        counts = {
            "messages": moved.messages,
            "tasks": moved.tasks,
            "replies": moved.replies,
            "notes": moved.notes,
        }
        tail = f": {why}" if why else ""
        case_event_add(
            case=target,
            kind=EventKind.CASE_MERGED,
            actor=actor,
            reason=f"{source.reference} merged into this case{tail}",
            data={"from": source.reference, **counts},
        )
        case_event_add(
            case=source,
            kind=EventKind.CASE_MERGED,
            actor=actor,
            reason=f"merged into {target.reference}{tail}",
            data={"into": target.reference, **counts},
        )
        case_set_status(
            case=source, status=CaseStatus.CLOSED, actor=actor, reason=f"merged into {target.reference}"
        )
    return moved


def case_split(*, case: Case, message_ids: list[int], actor: Any, reason: str = "") -> Case:
    """Move the chosen messages (with the replies to them) into a new case of the same customer."""
    if not _visible(actor, case):
        raise CaseMergeError("no such case in your teams")
    wanted = set(message_ids)
    chosen = list(Message.objects.filter(case_link__case=case, pk__in=wanted).order_by("created_at", "pk"))
    if not chosen or len(chosen) != len(wanted):
        raise CaseMergeError("choose one or more messages of this case to split out")
    if CaseMessage.objects.filter(case=case).count() == len(chosen):
        raise CaseMergeError("leave at least one message in this case")
    first = next((m for m in chosen if m.direction == Direction.IN), chosen[0])
    why = reason.strip()
    tail = f": {why}" if why else ""
    with transaction.atomic():
        CaseMessage.objects.filter(case=case, message__in=chosen).delete()
        new = case_create(
            customer=case.customer,
            message=first,
            team=case.team,
            priority=case.priority,
            language=case.language,
            tags=list(case.tags),
            reason=f"split out of {case.reference}{tail}",
        )
        CaseMessage.objects.bulk_create(
            [CaseMessage(case=new, message=m) for m in chosen if m.pk != first.pk]
        )
        replies = Reply.objects.filter(case=case).filter(
            Q(in_reply_to__in=chosen) | Q(sent_message__in=chosen)
        )
        replies.update(case=new)
        new.linked_from = case
        new.assignee = case.assignee
        new.save(update_fields=["linked_from", "assignee", "updated_at"])
        refs = [m.pk for m in chosen]
        case_event_add(
            case=new,
            kind=EventKind.CASE_SPLIT,
            actor=actor,
            reason=f"split out of {case.reference}{tail}",
            data={"from": case.reference, "messages": refs},
        )
        case_event_add(
            case=case,
            kind=EventKind.CASE_SPLIT,
            actor=actor,
            reason=f"{len(chosen)} message(s) split out into {new.reference}{tail}",
            data={"into": new.reference, "messages": refs},
        )
        case.save(update_fields=["updated_at"])
    return new
