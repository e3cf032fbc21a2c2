"""Read and validate a routing rule from the settings form (conditions as numbered rows).

Fields and operators are checked against what ``lara.cases.routing``
evaluates, and each value is parsed to the type its field holds, so a saved
rule can never fail at routing time. Names a rule refers to (a monitoring
query, a user, a shared saved reply) must exist when it is saved; if one
disappears later, routing records the refusal instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.utils.translation import gettext as _

from lara.cases.models import Priority, RoutingRule, SavedReply
from lara.cases.routing import FIELDS, OPS, SET_FIELDS, RuleSpec
from lara.cases.rule_actions import CASE_ASSIGNEE, TEAM_LEADS
from lara.core.models import Team
from lara.mentions.models import MonitoringQuery
from lara.mentions.queries import query_parse

NUMBER_FIELDS = frozenset({"sentiment_score", "purchase_intent_score", "followers"})
BOOL_FIELDS = frozenset(
    {"public", "purchase_intent", "verified", "vip", "action_required", "in_business_hours"}
)
LIST_OPS = frozenset({"in", "not_in", "contains_any"})
NO_VALUE_OPS = frozenset({"is_true", "is_false"})
#: What a set field (segments, entities, queries, keywords) can be asked: any of / none of / any at all.
SET_OPS = frozenset({"eq", "ne", "in", "not_in", "contains_any", "is_true", "is_false"})
MAX_TASK_HOURS = 24 * 30
TAG = re.compile(r"^[\w-]{1,40}$")
BLANK_ROWS = 2


@dataclass
class RuleDraft:
    """A rule as the form holds it: valid or with errors per row and field."""

    name: str = ""
    enabled: bool = True
    match: str = "all"
    stop: bool = True
    conditions: list[dict[str, Any]] = field(default_factory=list)
    actions: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def spec(self, rule_id: int | None) -> RuleSpec:
        return RuleSpec(rule_id, self.name, self.match, self.conditions, self.actions, self.stop)


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def draft_from_rule(rule: RoutingRule) -> RuleDraft:
    rows = [
        {"field": c.get("field", ""), "op": c.get("op", "eq"), "value": value_text(c.get("value"))}
        for c in rule.conditions
    ]
    return RuleDraft(
        name=rule.name,
        enabled=rule.enabled,
        match=rule.match,
        stop=rule.stop,
        conditions=list(rule.conditions),
        actions=dict(rule.actions),
        rows=rows + [{"field": "", "op": "eq", "value": ""} for _ in range(BLANK_ROWS)],
    )


def _scalar(field_name: str, raw: str) -> Any:
    if field_name in NUMBER_FIELDS:
        try:
            number = float(raw)
        except ValueError:
            raise ValueError(_("%(value)s is not a number") % {"value": raw}) from None
        return int(number) if number.is_integer() and field_name == "followers" else number
    if field_name in BOOL_FIELDS:
        if raw.lower() not in ("true", "false"):
            raise ValueError(_("write true or false"))
        return raw.lower() == "true"
    return raw


def _check_set_value(field_name: str, value: str) -> None:
    """Refuse a monitoring query that does not exist or keywords the query syntax cannot read."""
    if field_name == "query" and not MonitoringQuery.objects.filter(name=value).exists():
        raise ValueError(_("no monitoring query is named %(name)s") % {"name": value})
    if field_name == "keywords":
        try:
            query_parse(value)
        except ValueError as exc:
            raise ValueError(_("keywords %(value)s: %(error)s") % {"value": value, "error": exc}) from None


def _condition(field_name: str, op: str, raw: str) -> dict[str, Any]:
    if field_name not in FIELDS:
        raise ValueError(_("unknown field %(field)s") % {"field": field_name})
    if op not in OPS:
        raise ValueError(_("unknown operator %(op)s") % {"op": op})
    if field_name in SET_FIELDS and (op not in SET_OPS or (field_name == "keywords" and op in NO_VALUE_OPS)):
        raise ValueError(_("%(field)s cannot be tested with %(op)s") % {"field": field_name, "op": op})
    if op in NO_VALUE_OPS:
        return {"field": field_name, "op": op}
    if op in ("gte", "lte") and field_name not in NUMBER_FIELDS:
        raise ValueError(_("%(field)s is not a number; use another operator") % {"field": field_name})
    if op in LIST_OPS:
        items = [line.strip() for line in raw.splitlines() if line.strip()]
        if not items:
            raise ValueError(_("give at least one value, one a line"))
        if field_name in SET_FIELDS:
            for item in items:
                _check_set_value(field_name, item)
        return {"field": field_name, "op": op, "value": [_scalar(field_name, i) for i in items]}
    if not raw.strip():
        raise ValueError(_("give a value"))
    if field_name in SET_FIELDS:
        _check_set_value(field_name, raw.strip())
    return {"field": field_name, "op": op, "value": _scalar(field_name, raw.strip())}


def draft_from_post(data: QueryDict) -> RuleDraft:
    draft = RuleDraft(
        name=(data.get("name") or "").strip(),
        enabled=data.get("enabled") == "on",
        match=data.get("match", "all"),
        stop=data.get("stop") == "on",
    )
    if not draft.name:
        draft.errors["name"] = _("Give the rule a name.")
    if draft.match not in ("all", "any"):
        draft.errors["match"] = _("Choose all or any.")
    count = min(int(data.get("rows") or 0) if (data.get("rows") or "").isdigit() else 0, 100)
    for i in range(count):
        row = {k: (data.get(f"cond-{i}-{k}") or "") for k in ("field", "op", "value")}
        draft.rows.append(row)
        if not row["field"]:
            continue
        try:
            draft.conditions.append(_condition(row["field"], row["op"], row["value"]))
        except ValueError as exc:
            draft.errors[f"cond-{i}"] = str(exc)
    draft.rows += [{"field": "", "op": "eq", "value": ""} for _ in range(BLANK_ROWS)]
    draft.actions = _actions(data, draft.errors)
    return draft


def _actions(data: QueryDict, errors: dict[str, str]) -> dict[str, Any]:
    actions: dict[str, Any] = {}
    team = data.get("team") or ""
    if team:
        if not Team.objects.filter(slug=team).exists():
            errors["team"] = _("No such team.")
        actions["team"] = team
    priority = data.get("priority") or ""
    if priority:
        if priority not in Priority.values:
            errors["priority"] = _("Unknown priority.")
        actions["priority"] = priority
    tags = [t.strip() for t in (data.get("tags") or "").split(",") if t.strip()]
    if any(not TAG.match(t) for t in tags):
        errors["tags"] = _("A tag is one word (letters, digits, - and _).")
    if tags:
        actions["tags"] = tags
    skill = (data.get("skill") or "").strip()
    if skill:
        actions["skill"] = skill
    create = data.get("create_case") or ""
    if create in ("yes", "no"):
        actions["create_case"] = create == "yes"
    if data.get("mark_spam") == "on":
        actions["mark_spam"] = True
    if data.get("no_action") == "on":
        actions["no_action"] = True
    _case_actions(data, errors, actions)
    return actions


def _active_user_exists(username: str) -> bool:
    return get_user_model().objects.filter(username=username, is_active=True).exists()


def saved_reply_exists(value: str) -> bool:
    """A shared saved reply with this name (or id): a personal one is its owner's, not a rule's."""
    shared = SavedReply.objects.filter(owner__isnull=True)
    return shared.filter(name=value).exists() or (value.isdigit() and shared.filter(pk=int(value)).exists())


def shared_reply_names() -> list[str]:
    return sorted(set(SavedReply.objects.filter(owner__isnull=True).values_list("name", flat=True)))


def _case_actions(data: QueryDict, errors: dict[str, str], actions: dict[str, Any]) -> None:
    """Assign, auto-reply, task, notify and escalate: what happens to the case the rule opens."""
    assign = (data.get("assign") or "").strip()
    if assign:
        if not _active_user_exists(assign):
            errors["assign"] = _("No active user is named %(name)s.") % {"name": assign}
        actions["assign"] = assign
    auto_reply = (data.get("auto_reply") or "").strip()
    if auto_reply:
        if not saved_reply_exists(auto_reply):
            errors["auto_reply"] = _("No shared saved reply is named %(name)s.") % {"name": auto_reply}
        actions["auto_reply"] = auto_reply
    notify = [n.strip() for n in (data.get("notify") or "").split(",") if n.strip()]
    unknown = [n for n in notify if n != TEAM_LEADS and not _active_user_exists(n)]
    if unknown:
        errors["notify"] = _("No active user is named %(name)s.") % {"name": ", ".join(unknown)}
    if notify:
        actions["notify"] = list(dict.fromkeys(notify))
    if data.get("escalate") == "on":
        actions["escalate"] = True
    task = _task(data, errors)
    if task:
        actions["task"] = task


def _task(data: QueryDict, errors: dict[str, str]) -> dict[str, Any] | None:
    title = (data.get("task_title") or "").strip()
    if not title:
        return None
    raw_hours = (data.get("task_due_hours") or "24").strip()
    try:
        hours = float(raw_hours)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= MAX_TASK_HOURS:
        errors["task"] = _("The task's due time is a number of hours above 0 and at most %(max)s.") % {
            "max": MAX_TASK_HOURS
        }
    assignee = (data.get("task_assignee") or "").strip() or CASE_ASSIGNEE
    if assignee != CASE_ASSIGNEE and not _active_user_exists(assignee):
        errors["task"] = _("No active user is named %(name)s.") % {"name": assignee}
    task: dict[str, Any] = {
        "title": title[:200],
        "due_hours": int(hours) if hours.is_integer() else hours,
        "assignee": assignee,
    }
    if data.get("task_only_unassigned") == "on":
        task["only_if_unassigned"] = True
    return task
