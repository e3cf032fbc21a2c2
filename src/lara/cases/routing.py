"""Evaluate routing rules over everything the pipeline knows about a message.

Rules are data (JSON conditions and actions) so leads can edit them without a
deploy; evaluation is a pure function so a preview can replay old messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

OPS = ("eq", "ne", "in", "not_in", "gte", "lte", "contains_any", "is_true", "is_false")

FIELDS = (
    "channel",
    "network",
    "kind",
    "public",
    "language",
    "type",
    "sentiment",
    "sentiment_score",
    "purchase_intent",
    "purchase_intent_score",
    "urgency",
    "topics",
    "followers",
    "verified",
    "text",
    "customer_tier",
    "customer_status",
    "vip",
    "action_required",
    "in_business_hours",
)


def _holds(cond: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    op, value = cond.get("op", "eq"), cond.get("value")
    actual = facts.get(cond["field"])
    if op == "eq":
        return bool(actual == value)
    if op == "ne":
        return bool(actual != value)
    if op == "in":
        return actual in (value or [])
    if op == "not_in":
        return actual not in (value or [])
    if op in ("gte", "lte"):
        if actual is None:
            return False
        return bool(actual >= value) if op == "gte" else bool(actual <= value)
    if op == "contains_any":
        if isinstance(actual, (list, tuple)):
            return any(v in actual for v in value or [])
        text = str(actual or "").casefold()
        return any(str(v).casefold() in text for v in value or [])
    if op == "is_true":
        return bool(actual)
    if op == "is_false":
        return not actual
    raise ValueError(f"unknown operator {op!r}")


def rule_matches(match: str, conditions: Iterable[Mapping[str, Any]], facts: Mapping[str, Any]) -> bool:
    results = [_holds(c, facts) for c in conditions]
    if not results:
        return True
    return all(results) if match == "all" else any(results)


@dataclass
class Outcome:
    """What the matching rules decided, merged in order (a later rule may add tags)."""

    team: str | None = None
    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    create_case: bool | None = None
    mark_spam: bool = False
    skill: str | None = None
    rules: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class RuleSpec:
    id: int | None
    name: str
    match: str
    conditions: list[dict[str, Any]]
    actions: dict[str, Any]
    stop: bool


def evaluate(rules: Iterable[RuleSpec], facts: Mapping[str, Any]) -> Outcome:
    outcome = Outcome()
    for rule in rules:
        if not rule_matches(rule.match, rule.conditions, facts):
            continue
        acts = rule.actions
        outcome.rules.append({"id": rule.id, "name": rule.name})
        if acts.get("team") and outcome.team is None:
            outcome.team = acts["team"]
        if acts.get("priority") and outcome.priority is None:
            outcome.priority = acts["priority"]
        if acts.get("skill") and outcome.skill is None:
            outcome.skill = str(acts["skill"])
        outcome.tags.extend(t for t in acts.get("tags", []) if t not in outcome.tags)
        if "create_case" in acts and outcome.create_case is None:
            outcome.create_case = bool(acts["create_case"])
        if acts.get("mark_spam"):
            outcome.mark_spam = True
            outcome.create_case = False
        if acts.get("no_action"):
            outcome.create_case = False
        if rule.stop:
            break
    return outcome
