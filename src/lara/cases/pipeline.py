"""Carry a stored message through analyze → relate → route.

Each step commits its own result together with the message's new stage, so
a crash between steps resumes at the next one, and a step that already ran
is skipped: a retried or duplicated job never doubles a case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from lara.analysis.models import Analysis
from lara.analysis.services import message_analyze, messages_analyze
from lara.core.jobs import job_enqueue, jobs_enqueue_many
from lara.core.models import Team
from lara.customers.segments import customer_segments
from lara.customers.services import AuthorFacts, profile_resolve
from lara.mentions.models import Direction, Message, Stage

from .acknowledge import case_acknowledge_out_of_hours
from .after_close import case_after_close, case_link, case_reopen
from .consent import consent_code_check
from .models import CaseMessage, EventKind, RoutingDecision, RoutingRule
from .routing import RuleSpec, evaluate
from .rule_actions import route_actions_apply, route_actions_skipped
from .services import (
    case_attach_message,
    case_create,
    case_event_add,
    case_open_for_conversation,
)
from .sla import calendar_for

PROCESS_TASK = "lara.cases.tasks.process_message_task"


def message_enqueue_processing(message_id: int) -> None:
    """Write one message's processing job in the caller's transaction."""
    job_enqueue(task=PROCESS_TASK, args=[message_id])


def messages_enqueue_processing(message_ids: Sequence[int]) -> None:
    """Hook for ingest: write the processing jobs in the storing transaction, one INSERT for a batch."""
    jobs_enqueue_many(task=PROCESS_TASK, args_list=[[pk] for pk in message_ids])


REANALYZE_TASK = "lara.cases.tasks.reanalyze_message_task"


def message_edited(message_id: int) -> None:
    """Hook for ingest's edits: if the message's case is still open, tell it and analyse the new text.

    A closed case is history: the edit is kept on the message (with its
    revision) but reopens nothing. A message not analysed yet needs nothing:
    the pipeline will read the new text.
    """
    link = CaseMessage.objects.select_related("case", "message").filter(message_id=message_id).first()
    if link is None or not link.case.is_open:
        return
    case_event_add(
        case=link.case,
        kind=EventKind.MESSAGE_EDITED,
        message=link.message,
        reason="the customer edited the message",
    )
    job_enqueue(task=REANALYZE_TASK, args=[message_id])


def message_reanalyze(*, message_id: int) -> None:
    """Analyse an edited message again; its stage (and so its routing) stays as it was."""
    message = Message.objects.get(pk=message_id)
    with transaction.atomic():
        if not Analysis.objects.filter(message=message).delete()[0]:
            return  # not analysed yet: the pipeline's own step will read the new text
        message_analyze(message_id=message_id)
        Message.objects.filter(pk=message_id).update(stage=message.stage)


def message_relate(*, message_id: int) -> None:
    """Link the author to a profile and customer; join the conversation's open case."""
    message = Message.objects.select_related("channel").get(pk=message_id)
    if message.stage != Stage.ANALYZED:
        return
    profile = profile_resolve(
        author=AuthorFacts(
            network=message.channel.network,
            external_id=message.author_external_id,
            handle=message.author_handle,
            name=message.author_name,
            followers=message.author_followers,
            verified=message.author_verified,
            email=message.author_email,
            phone=message.author_phone,
        ),
        seen_at=message.created_at,
    )
    with transaction.atomic():
        message.author_profile = profile
        message.stage = Stage.RELATED
        message.save(update_fields=["author_profile", "stage"])
        consent_code_check(message=message)  # "LARA-XXXXXX" from another account: the customer links them
        case = case_open_for_conversation(message=message)
        if case is None and message.direction == Direction.IN:
            after = case_after_close(message=message)
            if after is not None and after.action in ("join", "reopen"):
                case = after.case
                if after.action == "reopen":
                    case_reopen(case=case, message=message)
        if case is not None and not CaseMessage.objects.filter(message=message).exists():
            case_attach_message(case=case, message=message)
            case_acknowledge_out_of_hours(case=case, message=message)


def rule_specs() -> list[RuleSpec]:
    return [
        RuleSpec(r.pk, r.name, r.match, r.conditions, r.actions, r.stop)
        for r in RoutingRule.objects.filter(enabled=True)
    ]


def message_facts(message: Message, analysis: Analysis) -> dict[str, Any]:
    """Flatten what the pipeline knows into the fields routing rules can test (segments aside)."""
    customer = message.author_profile.customer if message.author_profile else None
    return {
        "channel": message.channel.slug,
        "network": message.channel.network,
        "kind": message.kind,
        "public": message.public,
        "language": analysis.language,
        "type": analysis.type,
        "sentiment": analysis.sentiment,
        "sentiment_score": analysis.sentiment_score,
        "purchase_intent": analysis.purchase_intent,
        "purchase_intent_score": analysis.purchase_intent_score,
        "urgency": analysis.urgency,
        "topics": analysis.topics,
        "followers": message.author_followers or 0,
        "verified": message.author_verified,
        "text": message.text,
        "customer_tier": customer.tier if customer else "",
        "customer_status": customer.status if customer else "",
        "vip": customer.is_vip if customer else False,
        "action_required": analysis.action_required,
        "in_business_hours": calendar_for(message.channel).is_open(message.created_at),
        "entities": list(analysis.entities or []),
        # Prefetch ``queries`` when building facts for many messages (the preview does).
        "query": [q.name for q in message.queries.all()],
        "keywords": f"{message.subject}\n{message.text}" if message.subject else message.text,
    }


def rules_ask_for(specs: list[RuleSpec], field_name: str) -> bool:
    return any(c.get("field") == field_name for r in specs for c in r.conditions)


def route_facts(
    message: Message,
    analysis: Analysis,
    specs: list[RuleSpec],
    *,
    segments: dict[int, list[str]] | None = None,
) -> dict[str, Any]:
    """The facts the rules see: ``message_facts`` plus the customer's segments when a rule asks.

    Membership costs one query per segment, so it is computed only then;
    ``segments`` caches it by customer id across many messages (the preview).
    """
    facts = message_facts(message, analysis)
    if message.author_profile and rules_ask_for(specs, "segment"):
        customer = message.author_profile.customer
        cache = segments if segments is not None else {}
        if customer.pk not in cache:
            cache[customer.pk] = [s.slug for s in customer_segments(customer)]
        facts["segment"] = cache[customer.pk]
    return facts


@dataclass
class RouteContext:
    """What routing reads once per batch instead of once per message: the rules and the teams."""

    specs: list[RuleSpec] = field(default_factory=rule_specs)
    teams: dict[str, Team | None] = field(default_factory=dict)

    def team(self, slug: str) -> Team | None:
        if slug not in self.teams:
            self.teams[slug] = Team.objects.filter(slug=slug).first()
        return self.teams[slug]


def message_route(*, message_id: int, context: RouteContext | None = None) -> None:
    """Apply the rules: team, priority, tags, and a case when action is needed."""
    message = Message.objects.select_related("channel", "analysis", "author_profile__customer").get(
        pk=message_id
    )
    if message.stage != Stage.RELATED:
        return
    with transaction.atomic():
        if CaseMessage.objects.filter(message=message).exists():
            Message.objects.filter(pk=message.pk).update(stage=Stage.ROUTED)
            return
        analysis = message.analysis
        context = context or RouteContext()
        outcome = evaluate(context.specs, route_facts(message, analysis, context.specs))
        team = context.team(outcome.team) if outcome.team else None
        priority = outcome.priority or analysis.priority
        create = analysis.action_required if outcome.create_case is None else outcome.create_case
        # The customer wrote again after the case was closed: always a case, linked to the old one.
        after = case_after_close(message=message) if message.direction == Direction.IN else None
        previous = after.case if after is not None and after.action == "link" else None
        if previous is not None and not outcome.mark_spam:
            create = True
            team = team or previous.team
        opens_case = create and message.author_profile is not None
        decision = RoutingDecision.objects.create(
            message=message,
            rules=outcome.rules,
            team=team,
            priority=priority,
            created_case=create,
            actions=[] if opens_case else route_actions_skipped(outcome=outcome, why="no case was opened"),
        )
        Message.objects.filter(pk=message.pk).update(
            stage=Stage.ROUTED, is_spam=outcome.mark_spam, needs_action=create
        )
        if not opens_case or message.author_profile is None:
            return
        rule_names = ", ".join(r["name"] for r in outcome.rules) or "no rule matched"
        case = case_create(
            customer=message.author_profile.customer,
            message=message,
            team=team,
            priority=priority,
            language=analysis.language,
            tags=outcome.tags,
            reason=f"{analysis.priority_reason}; rules: {rule_names}",
        )
        if previous is not None:
            case_link(case=case, previous=previous, reason="the customer wrote after it was closed")
        case_event_add(
            case=case,
            kind=EventKind.ROUTED,
            reason=rule_names,
            data={"team": team.name if team else None, "rules": outcome.rules},
        )
        decision.actions = route_actions_apply(case=case, outcome=outcome, language=analysis.language)
        if decision.actions:
            decision.save(update_fields=["actions"])
        case_acknowledge_out_of_hours(case=case, message=message)


def message_process(*, message_id: int) -> None:
    """Run whatever steps remain for this message."""
    messages_process(message_ids=[message_id])


def messages_process(*, message_ids: Sequence[int]) -> None:
    """Run whatever steps remain for these messages: analysis as one batch, then each in order.

    Relating and routing stay one message at a time, in id order, because
    each may join the case the one before it opened.
    """
    messages_analyze(message_ids=message_ids)
    context = RouteContext()
    for message_id in sorted(message_ids):
        message_relate(message_id=message_id)
        message_route(message_id=message_id, context=context)
