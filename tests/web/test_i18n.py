"""The UI in four languages: the selector, the per-user middleware, right-to-left, time zones."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client
from django.utils import timezone

from lara.cases.models import Case
from lara.core.jobs import jobs_run_pending
from lara.core.models import AgentProfile
from lara.mentions.services import message_ingest_json

from ..factories import inbound


def _login(user: Any, **profile: str) -> Client:
    if profile:
        AgentProfile.objects.filter(user=user).update(**profile)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _case(text: str) -> Case:
    message_ingest_json(data=inbound(text=text))
    jobs_run_pending()
    return Case.objects.latest("pk")


def _csrf(client: Client) -> str:
    return client.get("/").cookies["csrftoken"].value


def test_english_is_the_default_left_to_right(org: dict[str, Any]) -> None:
    page = _login(org["alice"]).get("/").content.decode()

    assert '<html lang="en" dir="ltr">' in page
    assert "<h1>Inbox</h1>" in page


def test_a_hebrew_user_gets_hebrew_right_to_left(org: dict[str, Any]) -> None:
    page = _login(org["alice"], ui_language="he").get("/").content.decode()

    assert '<html lang="he" dir="rtl">' in page
    assert "<h1>תיבת פניות</h1>" in page
    assert "Inbox</h1>" not in page


def test_a_russian_user_gets_russian_and_a_ukrainian_user_ukrainian(org: dict[str, Any]) -> None:
    russian = _login(org["alice"], ui_language="ru").get("/").content.decode()
    ukrainian = _login(org["bob"], ui_language="uk").get("/").content.decode()

    assert '<html lang="ru" dir="ltr">' in russian
    assert "<h1>Входящие</h1>" in russian
    assert '<html lang="uk" dir="ltr">' in ukrainian
    assert "<h1>Вхідні</h1>" in ukrainian


def test_the_profile_wins_over_the_browser_and_anonymous_pages_follow_the_browser(
    org: dict[str, Any],
) -> None:
    signed_in = _login(org["alice"], ui_language="ru").get("/", headers={"accept-language": "he"})
    anonymous = Client().get("/login/", headers={"accept-language": "uk,en;q=0.5"})

    assert "<h1>Входящие</h1>" in signed_in.content.decode()
    assert signed_in["Content-Language"] == "ru"
    assert "<h1>Вхід до Lara</h1>" in anonymous.content.decode()


def test_status_labels_and_plurals_are_translated(org: dict[str, Any]) -> None:
    _case("It is broken")
    _case("Still broken")

    page = _login(org["alice"], ui_language="ru").get("/").content.decode()

    assert "2 обращения" in page
    assert '<span class="chip status-new">Новое</span>' in page


def test_the_language_selector_saves_the_choice_on_the_profile(org: dict[str, Any]) -> None:
    client = _login(org["alice"])

    response = client.post(
        "/preferences/language", {"language": "he", "next": "/", "csrfmiddlewaretoken": _csrf(client)}
    )

    assert (response.status_code, response["Location"]) == (302, "/")
    assert AgentProfile.objects.get(user=org["alice"]).ui_language == "he"
    assert response.cookies["django_language"].value == "he"
    assert '<html lang="he" dir="rtl">' in client.get("/").content.decode()


def test_the_language_selector_needs_csrf_and_a_known_language(org: dict[str, Any]) -> None:
    client = _login(org["alice"])

    refused = client.post("/preferences/language", {"language": "he"})
    unknown = client.post(
        "/preferences/language", {"language": "xx", "next": "/", "csrfmiddlewaretoken": _csrf(client)}
    )

    assert refused.status_code == 403
    assert unknown.status_code == 302
    assert AgentProfile.objects.get(user=org["alice"]).ui_language == "en"


def test_the_language_selector_never_redirects_off_site(org: dict[str, Any]) -> None:
    client = _login(org["alice"])

    response = client.post(
        "/preferences/language",
        {"language": "uk", "next": "https://evil.example/", "csrfmiddlewaretoken": _csrf(client)},
    )

    assert response["Location"] == "/"


def test_the_login_page_language_is_kept_in_a_cookie(org: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    token = client.get("/login/").cookies["csrftoken"].value

    client.post("/preferences/language", {"language": "uk", "next": "/login/", "csrfmiddlewaretoken": token})

    assert '<html lang="uk" dir="ltr">' in client.get("/login/").content.decode()


def test_the_preferences_page_saves_language_and_time_zone(org: dict[str, Any]) -> None:
    client = _login(org["alice"])
    token = _csrf(client)

    saved = client.post(
        "/preferences/",
        {"language": "uk", "time_zone": "Europe/Kyiv", "csrfmiddlewaretoken": token},
        follow=True,
    )
    refused = client.post(
        "/preferences/", {"language": "uk", "time_zone": "Mars/Olympus", "csrfmiddlewaretoken": token}
    )

    profile = AgentProfile.objects.get(user=org["alice"])
    assert (profile.ui_language, profile.time_zone) == ("uk", "Europe/Kyiv")
    assert "Налаштування збережено." in saved.content.decode()
    assert "Виберіть мову й часовий пояс зі списків." in refused.content.decode()


def test_dates_show_in_the_users_time_zone(org: dict[str, Any]) -> None:
    case = _case("It is broken")
    created = case.events.order_by("pk").first().created_at
    in_jerusalem = timezone.localtime(created, ZoneInfo("Asia/Jerusalem")).strftime("%Y-%m-%d %H:%M")
    in_utc = timezone.localtime(created, ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M")

    page = _login(org["alice"], time_zone="Asia/Jerusalem").get(f"/cases/{case.reference}/").content.decode()

    assert in_jerusalem in page
    assert in_utc not in page


def test_user_text_stays_escaped_in_hebrew(org: dict[str, Any]) -> None:
    case = _case('It is broken <script>alert(1)</script><img src=x onerror="alert(2)">')

    page = _login(org["alice"], ui_language="he").get(f"/cases/{case.reference}/").content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page
    assert '<p class="text" dir="auto">' in page
