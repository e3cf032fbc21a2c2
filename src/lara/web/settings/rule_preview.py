"""Show what an edited, unsaved rule would have done to the latest analysed messages.

It replays the pure ``evaluate`` of ``lara.cases.routing`` twice per message:
with the rules as saved, and with the edited rule in its place (a new rule
goes last). The difference is what saving would change; nothing is written.
The case actions (assign, escalate, task, notify, auto-reply) are counted on
the messages that would open a case, since only a case carries them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from lara.cases.models import CaseMessage, RoutingRule
from lara.cases.pipeline import route_facts, rule_specs
from lara.cases.routing import CASE_ACTIONS, Outcome, RuleAct, RuleSpec, evaluate, rule_matches
from lara.mentions.models import Direction, Message

WINDOW = 500
SAMPLE = 20


@dataclass
class Preview:
    considered: int = 0
    matched: int = 0
    team_changed: int = 0
    priority_changed: int = 0
    #: How many matched messages would get each case action, by action name.
    actions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CASE_ACTIONS, 0))
    sample: list[dict[str, Any]] = field(default_factory=list)


def act_label(act: RuleAct) -> str:
    """One action as the preview lists it, e.g. ``notify team_leads`` or ``task “Call back”``."""
    value = act.value
    if act.action == "escalate":
        return "escalate"
    if act.action == "notify":
        return "notify " + ", ".join(value if isinstance(value, list) else [str(value)])
    if act.action == "task":
        title = value.get("title", "") if isinstance(value, dict) else str(value)
        return f"task “{title}”"
    if act.action == "auto_reply":
        return f"auto-reply “{value}”"
    return f"{act.action} {value}"


def _opens_case(outcome: Outcome, action_required: bool) -> bool:
    return action_required if outcome.create_case is None else outcome.create_case


def _rules_with(edited: RuleSpec, *, enabled: bool) -> list[RuleSpec]:
    """The saved, enabled rules in order with the edited one in its place (a new one last)."""
    specs = [s for s in rule_specs() if s.id != edited.id]
    if not enabled:
        return specs
    place = (
        RoutingRule.objects.filter(pk=edited.id).values_list("position", "pk").first() if edited.id else None
    )
    if place is None:
        return [*specs, edited]
    ahead = set(
        RoutingRule.objects.filter(enabled=True)
        .filter(Q(position__lt=place[0]) | Q(position=place[0], pk__lt=place[1]))
        .values_list("pk", flat=True)
    )
    index = sum(1 for s in specs if s.id in ahead)
    return [*specs[:index], edited, *specs[index:]]


def rule_preview(*, edited: RuleSpec, enabled: bool = True, window: int = WINDOW) -> Preview:
    messages = list(
        Message.objects.filter(direction=Direction.IN, analysis__isnull=False)
        .select_related("channel", "analysis", "author_profile__customer")
        .prefetch_related("queries")
        .order_by("-created_at", "-pk")[:window]
    )
    current_rules = rule_specs()
    new_rules = _rules_with(edited, enabled=enabled)
    cases = dict(
        CaseMessage.objects.filter(message__in=messages).values_list("message_id", "case__reference")
    )
    preview = Preview(considered=len(messages))
    segments: dict[int, list[str]] = {}
    for message in messages:
        facts = route_facts(message, message.analysis, [*current_rules, *new_rules], segments=segments)
        if not rule_matches(edited.match, edited.conditions, facts):
            continue
        preview.matched += 1
        before, after = evaluate(current_rules, facts), evaluate(new_rules, facts)
        default = message.analysis.priority
        team_changed = before.team != after.team
        priority_changed = (before.priority or default) != (after.priority or default)
        preview.team_changed += team_changed
        preview.priority_changed += priority_changed
        acts = after.acts if _opens_case(after, message.analysis.action_required) else []
        for action in {a.action for a in acts}:
            preview.actions[action] += 1
        if len(preview.sample) < SAMPLE:
            preview.sample.append(
                {
                    "message": message,
                    "case": cases.get(message.pk),
                    "team_before": before.team,
                    "team_after": after.team,
                    "priority_before": before.priority or default,
                    "priority_after": after.priority or default,
                    "changed": team_changed or priority_changed,
                    "actions": [act_label(a) for a in acts],
                }
            )
    return preview
