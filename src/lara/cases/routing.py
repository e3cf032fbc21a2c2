"""Evaluate routing rules over everything the pipeline knows about a message.

Rules are data (JSON conditions and actions) so leads can edit them without a
deploy; evaluation is a pure function so a preview can replay old messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from lara.channels.query_syntax import matches as query_text_matches

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
    # The slugs of the customer's segments; "in"/"eq" hold when the customer is in any of them.
    "segment",
    # The catalogue entities the analysis found ({"name", "kind"}); a value names one or a kind.
    "entities",
    # The names of the monitoring queries that matched the message.
    "query",
    # The message's subject and text, tested with the monitoring-query syntax (word prefixes, OR, -word).
    "keywords",
)

#: Fields holding a set: eq/in/contains_any hold when any wanted value is in it, ne/not_in when none is.
SET_FIELDS = frozenset({"segment", "entities", "query", "keywords"})
POSITIVE_SET_OPS = frozenset({"eq", "in", "contains_any"})
NEGATIVE_SET_OPS = frozenset({"ne", "not_in"})

#: The actions that do something to the case once it exists (``RuleAct``), in the order they run.
CASE_ACTIONS = ("escalate", "assign", "task", "notify", "auto_reply")


def _members(field_name: str, actual: Any) -> set[str]:
    """What a set field holds, folded for comparison (entities: each one's name and kind)."""
    if field_name == "entities":
        found: set[str] = set()
        for entity in actual or ():
            if isinstance(entity, Mapping):
                found.update(str(entity.get(k, "")).casefold() for k in ("name", "kind"))
            else:
                found.add(str(entity).casefold())
        return found - {""}
    if field_name == "segment":
        return {str(v) for v in actual or ()}
    return {str(v).casefold() for v in actual or ()}


def _set_holds(field_name: str, op: str, value: Any, actual: Any) -> bool:
    wanted = [value] if isinstance(value, str) else list(value or [])
    if field_name == "keywords":
        # A malformed query (saved around the editor) matches nothing rather than stopping routing.
        hit = any(query_text_matches(str(q), str(actual or "")) for q in wanted)
    else:
        have = _members(field_name, actual)
        hit = any((str(v) if field_name == "segment" else str(v).casefold()) in have for v in wanted)
    return not hit if op in NEGATIVE_SET_OPS else hit


SET_OPS = POSITIVE_SET_OPS | NEGATIVE_SET_OPS


def _holds(cond: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    op, value = cond.get("op", "eq"), cond.get("value")
    actual = facts.get(cond["field"])
    if cond["field"] in SET_FIELDS and op in SET_OPS:
        return _set_holds(cond["field"], op, value, actual)
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
    """All (or any) of the conditions hold; stops at the first that decides. No conditions: a match."""
    conditions = list(conditions)
    if not conditions:
        return True
    results = (_holds(c, facts) for c in conditions)
    return all(results) if match == "all" else any(results)


@dataclass(frozen=True)
class RuleAct:
    """One case action a matching rule asked for, with the rule's name for the paper trail."""

    action: str
    value: Any
    rule: str
    rule_id: int | None = None


@dataclass
class Outcome:
    """What the matching rules decided, merged in order (a later rule may add tags).

    ``acts`` holds the case actions: the first rule to assign, auto-reply or
    escalate wins (like team and priority); every matching rule's tasks and
    notifications are kept.
    """

    team: str | None = None
    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    create_case: bool | None = None
    mark_spam: bool = False
    skill: str | None = None
    rules: list[dict[str, Any]] = field(default_factory=list)
    acts: list[RuleAct] = field(default_factory=list)

    def act(self, action: str) -> list[RuleAct]:
        return [a for a in self.acts if a.action == action]


FIRST_WINS = frozenset({"assign", "auto_reply", "escalate"})


def _acts_of(rule: RuleSpec, outcome: Outcome) -> None:
    for action in CASE_ACTIONS:
        value = rule.actions.get(action)
        if value in (None, False, "", [], {}):
            continue
        if action in FIRST_WINS and outcome.act(action):
            continue
        values = value if action == "task" and isinstance(value, list) else [value]
        outcome.acts.extend(RuleAct(action, v, rule.name, rule.id) for v in values)


@dataclass(frozen=True)
class RuleSpec:
    id: int | None
    name: str
    match: str
    conditions: list[dict[str, Any]]
    actions: dict[str, Any]
    stop: bool

    @cached_property
    def predicates(self) -> tuple[Callable[[Mapping[str, Any]], bool], ...]:
        """The conditions compiled once into small functions (evaluating 100 rules is the hot path)."""
        return tuple(_compile(c) for c in self.conditions)

    def matches(self, facts: Mapping[str, Any]) -> bool:
        if not self.predicates:
            return True
        checks = (p(facts) for p in self.predicates)
        return all(checks) if self.match == "all" else any(checks)


def _compile(cond: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """One condition as a function of the facts; the same answers as ``_holds``, decided up front."""
    field_name, op, value = cond["field"], cond.get("op", "eq"), cond.get("value")
    if field_name in SET_FIELDS and op in SET_OPS:
        return lambda facts: _set_holds(field_name, op, value, facts.get(field_name))
    if op == "eq":
        return lambda facts: bool(facts.get(field_name) == value)
    if op == "ne":
        return lambda facts: bool(facts.get(field_name) != value)
    if op in ("in", "not_in"):
        values = list(value or [])
        if op == "in":
            return lambda facts: facts.get(field_name) in values
        return lambda facts: facts.get(field_name) not in values
    if op in ("gte", "lte", "contains_any", "is_true", "is_false"):
        return lambda facts: _holds(cond, facts)
    raise ValueError(f"unknown operator {op!r}")


def evaluate(rules: Iterable[RuleSpec], facts: Mapping[str, Any]) -> Outcome:
    outcome = Outcome()
    for rule in rules:
        if not rule.matches(facts):
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
        _acts_of(rule, outcome)
        if rule.stop:
            break
    return outcome
