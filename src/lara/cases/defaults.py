"""Ship the five default teams, their routing rules and the SLA policies."""

from __future__ import annotations

from typing import Any

from lara.core.models import Team

from .models import RoutingRule, SlaPolicy
from .sla import SLA_HOURS

TEAMS = [
    ("service", "Customer service", "Questions and complaints from customers"),
    ("pr", "PR", "High-reach negative posts, press inquiries, crisis words"),
    ("marketing", "Marketing", "Compliments, advocacy, campaign mentions"),
    ("sales", "Sales", "Purchase intent and pricing questions"),
    ("product", "Product", "Ideas, bug reports, feature requests"),
]

SPAM_WORDS = [
    "follow for follow",
    "f4f",
    "crypto",
    "airdrop",
    "free followers",
    "bit.ly/",
    "onlyfans",
    "earn $",
    "make money fast",
    "click here",
    "giveaway winner",
]
PRESS_WORDS = [
    "journalist",
    "reporter",
    "press inquiry",
    "for comment",
    "for a story",
    "журналист",
    "журналіст",
    "עיתונאי",
    "עיתונאית",
    "статья",
    "стаття",
    "редакция",
    "редакція",
    "כתבה",
]

RULES: list[dict[str, Any]] = [
    {
        "name": "Spam",
        "match": "any",
        "conditions": [{"field": "text", "op": "contains_any", "value": SPAM_WORDS}],
        "actions": {"mark_spam": True, "tags": ["spam"]},
    },
    {
        "name": "PR: crisis and safety",
        "match": "any",
        "conditions": [
            {"field": "urgency", "op": "eq", "value": "critical"},
            {"field": "text", "op": "contains_any", "value": PRESS_WORDS},
        ],
        # A safety report or a journalist cannot wait for the queue: a lead owns it at once.
        "actions": {
            "team": "pr",
            "priority": "P1",
            "tags": ["pr-watch"],
            "create_case": True,
            "escalate": True,
            "notify": ["team_leads"],
        },
    },
    {
        "name": "PR: high-reach negative post",
        "match": "all",
        "conditions": [
            {"field": "sentiment", "op": "eq", "value": "negative"},
            {"field": "public", "op": "is_true"},
            {"field": "followers", "op": "gte", "value": 10000},
        ],
        "actions": {"team": "pr", "priority": "P1", "tags": ["pr-watch"], "create_case": True},
    },
    {
        "name": "Sales: purchase intent",
        "match": "all",
        "conditions": [{"field": "purchase_intent", "op": "is_true"}],
        # A buyer nobody answers is a sale lost: when no agent is free, a lead gets a follow-up task.
        "actions": {
            "team": "sales",
            "tags": ["lead"],
            "create_case": True,
            "task": {
                "title": "Follow up within 24 h",
                "due_hours": 24,
                "assignee": "case_assignee",
                "only_if_unassigned": True,
            },
        },
    },
    {
        "name": "Product: ideas and feature requests",
        "match": "all",
        "conditions": [{"field": "type", "op": "eq", "value": "suggestion"}],
        "actions": {"team": "product", "tags": ["idea"], "create_case": True},
    },
    {
        "name": "Customer service: questions and complaints",
        "match": "any",
        "conditions": [
            {"field": "type", "op": "in", "value": ["question", "complaint"]},
            {"field": "action_required", "op": "is_true"},
        ],
        "actions": {"team": "service"},
    },
    {
        "name": "Marketing: compliments and advocacy",
        "match": "all",
        "conditions": [{"field": "type", "op": "eq", "value": "compliment"}],
        "actions": {"team": "marketing", "priority": "P4", "tags": ["advocate"], "create_case": True},
    },
]


#: Minutes before a breach at which the assignee is warned, per priority.
SLA_WARN_MINUTES = {"P1": 15, "P2": 60, "P3": 120, "P4": 240}

SLA_POLICIES: list[dict[str, Any]] = [
    {
        "name": f"{priority} default",
        "priorities": [priority],
        "first_response_minutes": first_h * 60,
        "resolution_minutes": resolve_h * 60,
        "warn_before_minutes": SLA_WARN_MINUTES[priority],
    }
    for priority, (first_h, resolve_h) in SLA_HOURS.items()
]


def defaults_install() -> None:
    """Create the default teams, rules and SLA policies once; never overwrite a lead's edits."""
    for slug, name, description in TEAMS:
        Team.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})
    if not RoutingRule.objects.exists():
        for position, rule in enumerate(RULES, start=1):
            RoutingRule.objects.create(position=position * 10, stop=True, **rule)
    if not SlaPolicy.objects.exists():
        for policy in SLA_POLICIES:
            SlaPolicy.objects.create(**policy)
