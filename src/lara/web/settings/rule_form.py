"""Read and validate a routing rule from the settings form (conditions as numbered rows).

Fields and operators are checked against what ``lara.cases.routing``
evaluates, and each value is parsed to the type its field holds, so a saved
rule can never fail at routing time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from lara.cases.models import Priority, RoutingRule
from lara.cases.routing import FIELDS, OPS, RuleSpec
from lara.core.models import Team

NUMBER_FIELDS = frozenset({"sentiment_score", "purchase_intent_score", "followers"})
BOOL_FIELDS = frozenset(
    {"public", "purchase_intent", "verified", "vip", "action_required", "in_business_hours"}
)
LIST_OPS = frozenset({"in", "not_in", "contains_any"})
NO_VALUE_OPS = frozenset({"is_true", "is_false"})
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


def _condition(field_name: str, op: str, raw: str) -> dict[str, Any]:
    if field_name not in FIELDS:
        raise ValueError(_("unknown field %(field)s") % {"field": field_name})
    if op not in OPS:
        raise ValueError(_("unknown operator %(op)s") % {"op": op})
    if op in NO_VALUE_OPS:
        return {"field": field_name, "op": op}
    if op in ("gte", "lte") and field_name not in NUMBER_FIELDS:
        raise ValueError(_("%(field)s is not a number; use another operator") % {"field": field_name})
    if op in LIST_OPS:
        items = [line.strip() for line in raw.splitlines() if line.strip()]
        if not items:
            raise ValueError(_("give at least one value, one a line"))
        return {"field": field_name, "op": op, "value": [_scalar(field_name, i) for i in items]}
    if not raw.strip():
        raise ValueError(_("give a value"))
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
    return actions
