"""Job entry points of the Act side: thin, take ids, safe to retry."""

from __future__ import annotations

from django.utils import timezone

from .escalation import sla_check
from .pipeline import message_reanalyze, messages_process
from .reminders import task_reminders_send
from .services import reply_send
from .snooze import cases_wake_due


def process_message_task(message_id: int) -> None:
    messages_process(message_ids=[message_id])


def process_messages_task(args_list: list[list[int]]) -> None:
    """Batch entry point: the queued processing jobs of many messages, run together."""
    messages_process(message_ids=[args[0] for args in args_list])


def reanalyze_message_task(message_id: int) -> None:
    message_reanalyze(message_id=message_id)


def send_reply_task(reply_id: int) -> None:
    reply_send(reply_id=reply_id)


def check_sla_task() -> None:
    """Periodic: warn before SLA breaches and escalate the breached."""
    sla_check(now=timezone.now())


def send_task_reminders_task() -> None:
    """Periodic: remind assignees of tasks that have come due, once each."""
    task_reminders_send(now=timezone.now())


def wake_snoozed_task() -> None:
    """Periodic: wake the cases whose snooze has ended."""
    cases_wake_due(now=timezone.now())
