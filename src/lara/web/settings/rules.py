"""Routing rules: the ordered list, the editor with its preview, moves and deletes (all audited)."""

from __future__ import annotations

from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lara.cases.models import Priority, RoutingRule
from lara.cases.routing import FIELDS, OPS
from lara.core.audit import settings_change_record
from lara.core.models import Team

from .access import lead_or_admin
from .audit import snapshot
from .rule_form import RuleDraft, draft_from_post, draft_from_rule, shared_reply_names
from .rule_preview import rule_preview

RULE_FIELDS = ("name", "position", "enabled", "match", "conditions", "actions", "stop")


def _renumber() -> list[RoutingRule]:
    """Give the rules positions 10, 20, 30… in their current order, so a move is a swap."""
    rules = list(RoutingRule.objects.order_by("position", "pk"))
    for index, rule in enumerate(rules, start=1):
        if rule.position != index * 10:
            rule.position = index * 10
            rule.save(update_fields=["position"])
    return rules


@lead_or_admin
def rule_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "lara/settings/rules.html", {"rules": RoutingRule.objects.order_by("position", "pk")}
    )


@lead_or_admin
@require_POST
def rule_move(request: HttpRequest, rule_id: int) -> HttpResponse:
    with transaction.atomic():
        rules = _renumber()
        index = next((i for i, r in enumerate(rules) if r.pk == rule_id), None)
        if index is None:
            return redirect("settings-rules")
        other = index - 1 if request.POST.get("direction") == "up" else index + 1
        if 0 <= other < len(rules):
            rule, neighbour = rules[index], rules[other]
            before = {"position": rule.position}
            rule.position, neighbour.position = neighbour.position, rule.position
            rule.save(update_fields=["position"])
            neighbour.save(update_fields=["position"])
            settings_change_record(
                actor=request.user,
                area="routing_rule",
                action="move",
                obj=rule,
                before=before,
                after={"position": rule.position},
            )
    return redirect("settings-rules")


@lead_or_admin
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(RoutingRule, pk=rule_id)
    settings_change_record(
        actor=request.user, area="routing_rule", action="delete", obj=rule, before=snapshot(rule, RULE_FIELDS)
    )
    rule.delete()
    flash.success(request, _("Rule deleted."))
    return redirect("settings-rules")


@lead_or_admin
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    """Edit or create a rule; the Preview button evaluates the unsaved rule instead of saving it."""
    rule = get_object_or_404(RoutingRule, pk=rule_id) if rule_id is not None else None
    preview = None
    if request.method == "POST":
        draft = draft_from_post(request.POST)
        if not draft.errors and "preview" in request.POST:
            preview = rule_preview(edited=draft.spec(rule.pk if rule else None), enabled=draft.enabled)
        elif not draft.errors:
            return _save(request, rule, draft)
    else:
        draft = (
            draft_from_rule(rule)
            if rule
            else draft_from_rule(RoutingRule(name="", conditions=[], actions={}))
        )
    context = {
        "rule": rule,
        "draft": draft,
        "preview": preview,
        "fields": FIELDS,
        "ops": OPS,
        "teams": Team.objects.order_by("name"),
        "priorities": Priority.choices,
        "saved_replies": shared_reply_names(),
    }
    return render(request, "lara/settings/rule.html", context, status=400 if draft.errors else 200)


def _save(request: HttpRequest, rule: RoutingRule | None, draft: RuleDraft) -> HttpResponse:
    before = snapshot(rule, RULE_FIELDS) if rule else {}
    if rule is None:
        last = RoutingRule.objects.order_by("-position").values_list("position", flat=True).first() or 0
        rule = RoutingRule(position=last + 10)
    rule.name, rule.enabled, rule.match, rule.stop = draft.name, draft.enabled, draft.match, draft.stop
    rule.conditions, rule.actions = draft.conditions, draft.actions
    with transaction.atomic():
        rule.save()
        settings_change_record(
            actor=request.user,
            area="routing_rule",
            action="update" if before else "create",
            obj=rule,
            before=before,
            after=snapshot(rule, RULE_FIELDS),
        )
    flash.success(request, _("Rule saved."))
    return redirect("settings-rules")
