"""SLA policies and monitoring queries: validated forms, counts over the last week, audited saves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from lara.cases.models import SlaPolicy
from lara.core.models import SettingsChange
from lara.mentions.models import MonitoringQuery
from lara.mentions.services import message_ingest_json

from ..factories import inbound
from .settings_helpers import login


def _policy(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "VIP email",
        "priorities": ["P1", "P2"],
        "channel": "",
        "first_response": "2",
        "first_response_unit": "hours",
        "resolution": "1",
        "resolution_unit": "hours",
        "warn_before_minutes": "15",
        "enabled": "on",
    }
    form.update(overrides)
    return form


def test_an_sla_policy_that_resolves_before_it_answers_is_refused(org: dict[str, Any]) -> None:
    response = login(org["lena"]).post("/settings/sla/new/", _policy())

    assert response.status_code == 400
    assert "Resolution cannot come before the first response." in response.content.decode()
    assert not SlaPolicy.objects.filter(name="VIP email").exists()


def test_a_warning_after_the_target_is_refused(org: dict[str, Any]) -> None:
    response = login(org["lena"]).post(
        "/settings/sla/new/",
        _policy(first_response="30", first_response_unit="minutes", warn_before_minutes="30", resolution="8"),
    )

    assert "The warning must come before the first-response target." in response.content.decode()


def test_an_sla_policy_is_saved_in_minutes_and_audited(org: dict[str, Any]) -> None:
    response = login(org["lena"]).post(
        "/settings/sla/new/", _policy(channel=str(org["email"].pk), resolution="3", resolution_unit="hours")
    )

    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="VIP email")
    assert (
        policy.priorities,
        policy.channel_id,
        policy.first_response_minutes,
        policy.resolution_minutes,
    ) == (
        ["P1", "P2"],
        org["email"].pk,
        120,
        180,
    )
    change = SettingsChange.objects.get(area="sla_policy")
    assert (change.action, change.after["resolution_minutes"]) == ("create", 180)


def test_an_existing_policy_shows_its_targets_in_hours(org: dict[str, Any]) -> None:
    policy = SlaPolicy.objects.get(name="P1 default")

    page = login(org["lena"]).get(f"/settings/sla/{policy.pk}/").content.decode()

    assert f'name="first_response" value="{policy.first_response_minutes // 60}"' in page
    assert '<option value="hours" selected>hours</option>' in page


def test_a_query_with_an_unbalanced_quote_shows_the_parsers_error(org: dict[str, Any]) -> None:
    response = login(org["lena"]).post(
        "/settings/queries/new/", {"name": "Brand", "query": 'volta "city', "languages": "", "enabled": "on"}
    )

    assert response.status_code == 400
    assert "the query has an unbalanced quote: &#x27;volta &quot;city&#x27;" in response.content.decode()
    assert not MonitoringQuery.objects.exists()


def test_a_query_is_saved_with_languages_and_channels(org: dict[str, Any]) -> None:
    response = login(org["lena"]).post(
        "/settings/queries/new/",
        {
            "name": "Brand",
            "query": 'volta OR "volta city"',
            "languages": "he, RU",
            "channels": [org["x"].pk],
            "enabled": "on",
        },
    )

    assert response.status_code == 302
    query = MonitoringQuery.objects.get(name="Brand")
    assert (query.languages, list(query.channels.values_list("slug", flat=True))) == (["he", "ru"], ["x"])
    assert SettingsChange.objects.get(area="monitoring_query").after["channels"] == [org["x"].pk]


def test_bad_language_codes_are_refused(org: dict[str, Any]) -> None:
    response = login(org["lena"]).post(
        "/settings/queries/new/", {"name": "Brand", "query": "volta", "languages": "hebrew", "enabled": "on"}
    )

    assert "Not a two-letter language code: hebrew" in response.content.decode()


def test_each_query_shows_its_message_count_of_the_last_seven_days(org: dict[str, Any]) -> None:
    MonitoringQuery.objects.create(name="Brand", query="volta")
    now = timezone.now()
    for days, text in ((1, "Volta rocks"), (3, "my volta city"), (9, "old volta news"), (1, "nothing here")):
        message_ingest_json(data=inbound(text=text, created_at=(now - timedelta(days=days)).isoformat()))

    page = login(org["lena"]).get("/settings/queries/").content.decode()

    assert '<td class="week-count">2</td>' in page


def test_a_query_is_saved_with_its_kind_and_shown_with_it(org: dict[str, Any]) -> None:
    client = login(org["lena"])
    response = client.post(
        "/settings/queries/new/",
        {"name": "Rivals", "kind": "competitor", "query": "(pedalix OR urbanglide) price NEAR/3 cheaper"},
    )

    assert response.status_code == 302
    assert MonitoringQuery.objects.get(name="Rivals").kind == "competitor"
    assert SettingsChange.objects.get(area="monitoring_query").after["kind"] == "competitor"
    page = client.get("/settings/queries/").content.decode()
    assert '<span class="chip query query-competitor">Competitor</span>' in page
    form = client.get(f"/settings/queries/{MonitoringQuery.objects.get().pk}/").content.decode()
    assert '<option value="competitor" selected>Competitor</option>' in form


def test_a_query_without_a_kind_watches_the_brand_and_a_wrong_kind_is_refused(org: dict[str, Any]) -> None:
    client = login(org["lena"])
    client.post("/settings/queries/new/", {"name": "Brand", "query": "volta"})
    refused = client.post("/settings/queries/new/", {"name": "Odd", "kind": "rumour", "query": "volta"})

    assert MonitoringQuery.objects.get(name="Brand").kind == "brand"
    assert refused.status_code == 400
    assert "Select a valid choice. rumour is not one of the available choices." in refused.content.decode()


def test_a_query_error_names_its_position_in_the_form(org: dict[str, Any]) -> None:
    response = login(org["lena"]).post(
        "/settings/queries/new/", {"name": "Brand", "kind": "brand", "query": "(volta OR вольта"}
    )

    assert response.status_code == 400
    assert "unbalanced parenthesis at 1: it is never closed" in response.content.decode()


def test_the_mentions_stream_marks_each_query_chip_with_its_kind(org: dict[str, Any]) -> None:
    MonitoringQuery.objects.create(name="Rivals", query="pedalix", kind="competitor")
    message_ingest_json(data=inbound(text="Pedalix is cheaper"))

    page = login(org["lena"]).get("/mentions/").content.decode()

    assert '<span class="chip query query-competitor" dir="auto" title="Competitor">Rivals</span>' in page
