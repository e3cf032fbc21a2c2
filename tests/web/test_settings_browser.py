"""The settings screens in a real browser: a channel's health and its test, a routing rule's preview.

An admin finds the channel that lost its access, tests the connection after
the fix and sees the answer the network gave; a team lead tries a routing
change on the recent messages before saving it. Uses the browser, server and
screenshot helpers of ``test_browser`` (the screenshots end up in the README).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from lara.cases.models import Case, RoutingRule
from lara.channels.models import Channel

from ..channels.test_telegram import _BotApi
from ..loopback import serving
from .settings_helpers import admin
from .test_browser import asgi_server, browser, log_in, open_page, screenshot, seed  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow

TOKEN = "8000000001:AAF-very-secret-token"
SECRET = "tg-hook-secret-xyz"
REVOKED = "Telegram refused the bot token: it was revoked, or is mistyped"


@pytest.fixture
def bot_api() -> Iterator[str]:
    """Telegram's Bot API on loopback, answering getMe as the Volta support bot."""
    _BotApi.calls, _BotApi.fail_with, _BotApi.unauthorized = [], None, False
    with serving(_BotApi) as base:
        yield f"{base}/bot"


@pytest.mark.django_db(transaction=True)
def test_an_admin_finds_the_channel_that_lost_its_access_and_tests_it_after_the_fix(
    org: dict[str, Any],
    asgi_server: str,  # noqa: F811
    open_page: Callable[[], Page],  # noqa: F811
    bot_api: str,
) -> None:
    admin(org)  # ada
    now = timezone.now()
    bot = Channel.objects.create(
        slug="tg",
        network="telegram",
        name="Volta bot",
        account_name="@volta_support_bot",
        config={"api_base_url": bot_api},
    )
    bot.credentials = {"bot_token": TOKEN, "webhook_secret": SECRET}
    bot.last_success_at = now - timedelta(hours=3)
    bot.auth_failed_at = bot.auth_alerted_at = bot.last_error_at = now - timedelta(minutes=40)
    bot.last_error = REVOKED
    bot.save()
    Channel.objects.filter(slug="x").update(name="Volta on X", last_success_at=now - timedelta(minutes=2))
    page = open_page()
    log_in(page, asgi_server, "ada")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()

    expect(page.get_by_role("alert")).to_have_text(f"Volta bot lost its access: {REVOKED} — reconnect")

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Channels").click()

    expect(page.get_by_role("heading", name="Channels")).to_be_visible()
    rows = page.locator("table.cases tbody tr")
    expect(rows.locator("td:first-child > a")).to_have_text(
        ["API", "Support mailbox", "Volta bot", "Volta on X"]
    )
    row = rows.filter(has_text="Volta bot")
    expect(row.get_by_role("alert")).to_have_text(f"Volta bot lost its access: {REVOKED} — reconnect")
    expect(row.locator("td").nth(3)).to_contain_text(REVOKED)
    screenshot(page, "settings-channels.png")

    row.get_by_role("link", name="Volta bot").click()
    expect(page.get_by_role("heading", name="Volta bot Telegram")).to_be_visible()
    page.get_by_role("button", name="Test connection").click()

    expect(page.locator("p.flash")).to_have_text("Connection works: connected as @volta_support_bot")
    expect(page.get_by_role("alert")).to_have_count(0)
    bot.refresh_from_db()
    assert bot.auth_failed_at is None and bot.last_success_at > now
    health = page.locator("section.health dl")
    expect(health.locator("dd").first).to_have_text(
        bot.last_success_at.strftime("%Y-%m-%d %H:%M")
    )  # ada: UTC
    assert {method for method, _params in _BotApi.calls} == {"getMe"}  # asked who it is, sent nothing
    content = page.content()
    assert TOKEN not in content and SECRET not in content  # write-only: never back on screen
    screenshot(page, "settings-channel.png")


@pytest.mark.django_db(transaction=True)
def test_a_lead_previews_a_routing_change_on_the_recent_messages_before_saving(
    org: dict[str, Any],
    asgi_server: str,  # noqa: F811
    open_page: Callable[[], Page],  # noqa: F811
) -> None:
    seed()
    page = open_page()
    log_in(page, asgi_server, "lena")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Routing rules").click()

    page.get_by_role("link", name="PR: high-reach negative post").click()

    threshold = page.get_by_label("Value of condition 3")
    expect(threshold).to_have_value("10000")
    threshold.fill("1000")
    page.get_by_role("button", name="Preview on recent messages").click()

    expect(page.get_by_role("heading", name="Preview (nothing was saved)")).to_be_visible()
    expect(page.get_by_text("Over the last 5 analysed messages:")).to_be_visible()
    expect(page.locator("#preview-matched")).to_have_text("2")
    expect(page.locator("#preview-team")).to_have_text("1")
    expect(page.locator("#preview-priority")).to_have_text("1")
    rows = page.locator("section.preview tbody tr")
    expect(rows.locator("td:first-child span[dir=auto]")).to_have_text(
        [
            "The brakes failed on the downhill. Unacceptable.",
            "My Volta City battery is broken after a week, I want a refund",
        ]
    )
    brakes, battery = rows.nth(0).locator("td"), rows.nth(1).locator("td")
    expect(brakes.nth(1)).to_have_text("pr → pr")  # the safety rule already sends it to PR
    expect(brakes.nth(2)).to_have_text("P1 → P1")
    expect(battery.nth(1)).to_have_text("service → pr")  # Dana, 2,400 followers
    expect(battery.nth(2)).to_have_text("P2 → P1")
    dana = Case.objects.get(customer__name="Dana Levi")
    expect(battery.last).to_have_text(str(dana.reference))  # the Case column, last
    expect(threshold).to_have_value("1000")  # the edit stays in the form for the Save button
    screenshot(page, "routing-rule.png", full_page=True)
    saved = RoutingRule.objects.get(name="PR: high-reach negative post")
    assert saved.conditions[2] == {"field": "followers", "op": "gte", "value": 10000}  # nothing saved
