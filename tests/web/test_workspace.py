"""Saved views with counts, bulk actions and the customer page (the 360° view)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from lara.cases.models import Case, CaseEvent, EventKind
from lara.cases.selectors import case_scope, case_visible_to
from lara.core.jobs import jobs_run_pending
from lara.core.models import Membership, Role
from lara.customers.models import Customer, LinkSuggestion
from lara.mentions.services import message_ingest_json
from lara.web.selectors import saved_view_counts

from ..factories import agent, inbound


def _login(user: Any) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = client.get("/").cookies["csrftoken"].value
    return client, token


def _case(text: str = "It is broken", **author: Any) -> Case:
    message_ingest_json(data=inbound(text=text, **({"author": author} if author else {})))
    jobs_run_pending()
    case = Case.objects.latest("pk")
    Case.objects.filter(pk=case.pk).update(assignee=None)  # routing assigned it; start from the queue
    case.refresh_from_db()
    return case


def _counts(user: Any) -> dict[str, int]:
    return {view.slug: count for view, count in saved_view_counts(user)}


def test_saved_views_count_what_the_user_may_see(org: dict[str, Any]) -> None:
    mine = _case()
    breached = _case()
    sales = _case()
    pr = _case()
    closed = _case()
    past = timezone.now() - timedelta(hours=2)
    Case.objects.filter(pk=mine.pk).update(assignee=org["alice"])
    Case.objects.filter(pk=breached.pk).update(first_response_due_at=past, first_response_at=None)
    Case.objects.filter(pk=sales.pk).update(team=org["sales"])
    Case.objects.filter(pk=pr.pk).update(tags=["pr-watch"])
    Case.objects.filter(pk=closed.pk).update(status="closed", assignee=None, first_response_due_at=past)

    alice, lena = _counts(org["alice"]), _counts(org["lena"])

    assert alice == {"mine": 1, "unassigned": 2, "breaching": 1, "sales-leads": 0, "pr-watch": 1}
    assert lena == {"mine": 0, "unassigned": 3, "breaching": 1, "sales-leads": 1, "pr-watch": 1}


def test_saved_view_counts_take_two_aggregate_queries_and_share_the_teams_part(
    org: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    _case()
    colleague = agent("carol", team=org["service"])

    with django_assert_max_num_queries(4):  # the role, the teams, the teams' aggregate, alice's own
        _counts(org["alice"])
    with django_assert_max_num_queries(3):  # the teams' counts are alice's, reused
        _counts(colleague)
    with django_assert_max_num_queries(0):  # both parts fresh: nothing to ask
        _counts(org["alice"])


def test_saved_view_counts_add_cases_assigned_outside_the_users_teams(org: dict[str, Any]) -> None:
    in_team, elsewhere, no_team = _case(), _case(), _case()
    Case.objects.filter(pk=in_team.pk).update(assignee=None)
    Case.objects.filter(pk=elsewhere.pk).update(team=org["sales"], assignee=org["alice"])
    Case.objects.filter(pk=no_team.pk).update(team=None, tags=["pr-watch"], assignee=org["alice"])
    _counts(org["bob"])  # the sales team's shared counts are cached first: alice must not get them

    alice, bob = _counts(org["alice"]), _counts(org["bob"])

    assert alice == {"mine": 2, "unassigned": 1, "breaching": 0, "sales-leads": 1, "pr-watch": 1}
    assert bob == {"mine": 0, "unassigned": 0, "breaching": 0, "sales-leads": 1, "pr-watch": 0}


def test_saved_view_links_filter_the_inbox(org: dict[str, Any]) -> None:
    breached = _case()
    other = _case()
    Case.objects.filter(pk=breached.pk).update(first_response_due_at=timezone.now() - timedelta(minutes=5))
    client, _token = _login(org["alice"])

    page = client.get("/").content.decode()
    view = client.get("/", {"view": "breaching"}).content.decode()
    sla = client.get("/", {"sla": "breached"}, headers={"HX-Request": "true"}).content.decode()

    assert 'href="?view=breaching"' in page
    assert breached.reference in view and other.reference not in view
    assert breached.reference in sla and other.reference not in sla


def test_bulk_close_skips_and_reports_cases_the_user_cannot_see(org: dict[str, Any]) -> None:
    own = _case()
    foreign = _case()
    Case.objects.filter(pk=foreign.pk).update(team=org["sales"])
    client, token = _login(org["alice"])

    response = client.post(
        "/bulk",
        {"csrfmiddlewaretoken": token, "action": "status", "status": "closed", "case": [own.pk, foreign.pk]},
        follow=True,
    )

    own.refresh_from_db()
    foreign.refresh_from_db()
    assert (own.status, foreign.status) == ("closed", "new")
    assert CaseEvent.objects.filter(case=own, kind=EventKind.STATUS, actor=org["alice"]).count() == 1
    text = response.content.decode()
    assert "1 case changed." in text
    assert "1 case ignored: it does not exist or is not in your teams." in text


def test_bulk_assign_only_to_a_member_of_the_cases_team(org: dict[str, Any]) -> None:
    first, second = _case(), _case()
    client, token = _login(org["alice"])

    client.post(
        "/bulk", {"csrfmiddlewaretoken": token, "action": "assign", "assign": "alice", "case": [first.pk]}
    )
    response = client.post(
        "/bulk",
        {"csrfmiddlewaretoken": token, "action": "assign", "assign": "bob", "case": [second.pk]},
        follow=True,
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.assignee, second.assignee) == (org["alice"], None)
    assert CaseEvent.objects.filter(case=first, kind=EventKind.ASSIGNED).exists()
    assert "1 case skipped: that user is not in its team." in response.content.decode()


def test_bulk_tag_adds_the_tag_with_a_paper_trail(org: dict[str, Any]) -> None:
    case = _case()
    client, token = _login(org["alice"])

    client.post(
        "/bulk", {"csrfmiddlewaretoken": token, "action": "tag", "tag": "pr-watch", "case": [case.pk]}
    )
    client.post(
        "/bulk", {"csrfmiddlewaretoken": token, "action": "tag", "tag": "pr-watch", "case": [case.pk]}
    )

    case.refresh_from_db()
    assert case.tags.count("pr-watch") == 1
    event = CaseEvent.objects.get(case=case, kind=EventKind.TAGGED)
    assert (event.actor, event.data, event.reason) == (
        org["alice"],
        {"added": ["pr-watch"], "removed": []},
        "bulk action in the inbox",
    )


def test_bulk_needs_csrf(org: dict[str, Any]) -> None:
    case = _case()
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["alice"])

    response = client.post("/bulk", {"action": "status", "status": "closed", "case": [case.pk]})

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "new"


def test_customer_page_shows_the_360_view_to_those_who_may_see_it(org: dict[str, Any]) -> None:
    case = _case("It is broken <b>badly</b>")
    customer = case.customer
    client, _token = _login(org["alice"])

    page = client.get(f"/customers/{customer.pk}/").content.decode()
    case_page = client.get(f"/cases/{case.reference}/").content.decode()

    assert case.reference in page
    assert "It is broken &lt;b&gt;badly&lt;/b&gt;" in page
    assert "Case opened" in page
    assert f'href="/customers/{customer.pk}/"' in case_page
    assert _login(org["bob"])[0].get(f"/customers/{customer.pk}/").status_code == 404
    assert _login(org["oscar"])[0].get(f"/customers/{customer.pk}/").status_code == 404
    assert _login(org["lena"])[0].get(f"/customers/{customer.pk}/").status_code == 200


def _suggestion(org: dict[str, Any]) -> tuple[Customer, Customer, LinkSuggestion]:
    a = _case(external_id="dana-x", name="Dana Levi").customer
    b = _case(external_id="dana-2", name="Dana Levi").customer
    low, high = sorted([a, b], key=lambda c: c.pk)
    LinkSuggestion.objects.filter(customer_a=low, customer_b=high).delete()
    return (
        low,
        high,
        LinkSuggestion.objects.create(
            customer_a=low,
            customer_b=high,
            score=0.9,
            reasons=[
                {"code": "name", "text": "similar names: Dana Levi ~ Dana Levi"},
                {"code": "city_differs", "text": "<b>different</b> cities"},
            ],
        ),
    )


def test_an_agent_may_reject_a_suggestion_but_not_merge(org: dict[str, Any]) -> None:
    low, _high, suggestion = _suggestion(org)
    client, token = _login(org["alice"])

    page = client.get(f"/customers/{low.pk}/").content.decode()
    accept = client.post(
        f"/customers/{low.pk}/suggestions/{suggestion.pk}/accept", {"csrfmiddlewaretoken": token}
    )
    reject = client.post(
        f"/customers/{low.pk}/suggestions/{suggestion.pk}/reject", {"csrfmiddlewaretoken": token}
    )

    assert "Not the same person" in page and "Accept and merge" not in page
    assert "similar names: Dana Levi ~ Dana Levi; &lt;b&gt;different&lt;/b&gt; cities" in page
    assert '<h2 id="engagement-title">Surveys, ideas and offers</h2>' in page
    assert accept.status_code == 403
    assert reject.status_code == 302
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by) == ("rejected", org["alice"])


def test_a_lead_accepts_a_suggestion_and_the_customers_merge(org: dict[str, Any]) -> None:
    low, high, suggestion = _suggestion(org)
    client, token = _login(org["lena"])

    response = client.post(
        f"/customers/{high.pk}/suggestions/{suggestion.pk}/accept", {"csrfmiddlewaretoken": token}
    )

    suggestion.refresh_from_db()
    high.refresh_from_db()
    assert suggestion.status == "accepted"
    assert high.merged_into_id == low.pk
    assert response["Location"] == f"/customers/{low.pk}/"
    assert client.get(f"/customers/{high.pk}/")["Location"] == f"/customers/{low.pk}/"


def test_saved_view_counts_follow_a_change_of_teams_once_the_teams_part_expires(org: dict[str, Any]) -> None:
    hers, sales = _case(), _case()
    Case.objects.filter(pk=hers.pk).update(team=org["sales"], assignee=org["alice"])
    Case.objects.filter(pk=sales.pk).update(team=org["sales"])
    before = _counts(org["alice"])  # her sales case counts through her own part
    Membership.objects.create(user=org["alice"], team=org["sales"], role=Role.AGENT)
    cache.delete(f"lara:saved-view-counts:teams:{org['service'].pk}")  # its few seconds are over

    after = _counts(org["alice"])

    assert (before["sales-leads"], after["sales-leads"]) == (1, 2)  # not 3: her part is recounted
    assert after == {view.slug: count for view, count in saved_view_counts(org["alice"], fresh=True)}


def test_the_count_scope_is_what_the_user_may_see(org: dict[str, Any]) -> None:
    """The saved-view counts split what a user sees in two (``case_scope``); both parts together are it."""
    cases = [_case() for _ in range(4)]
    Case.objects.filter(pk=cases[1].pk).update(team=org["sales"], assignee=org["alice"])
    Case.objects.filter(pk=cases[2].pk).update(team=None, assignee=org["alice"])
    Case.objects.filter(pk=cases[3].pk).update(team=None)

    for name in ("alice", "bob", "lena", "oscar"):
        scope = case_scope(org[name])
        if scope.teams is None:
            scoped = Case.objects.all()
        else:
            scoped = Case.objects.filter(scope.teams if scope.own is None else scope.teams | scope.own)
        visible = case_visible_to(org[name])
        assert set(scoped.values_list("pk", flat=True)) == set(visible.values_list("pk", flat=True)), name
