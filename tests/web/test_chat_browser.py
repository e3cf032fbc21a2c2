"""The web chat end to end in a real browser: a brand's page on another origin, a case, a live reply.

The brand's site is a loopback HTTP server on its own port (so another
origin than Lara's); it embeds the widget with the one script tag a brand
would add. Uses the same uvicorn server and Debian chromium fixtures as the
agent UI's browser tests, in a module of its own because those fixtures hold
a Playwright event loop for the whole module.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from lara.cases.models import Case
from lara.cases.services import reply_create
from lara.core.jobs import jobs_run_pending
from lara.mentions.models import Message

from ..factories import ChannelFactory
from ..loopback import QuietHandler, serving
from .test_browser import SCREENSHOTS, asgi_server, browser  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow


class _BrandSite(QuietHandler):
    page = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)


@pytest.mark.django_db(transaction=True)
def test_a_visitor_chats_from_the_brands_site_and_sees_the_reply_live(
    org: dict[str, Any],
    asgi_server: str,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    with serving(_BrandSite) as site:
        assert site.split(":")[-1] != asgi_server.split(":")[-1]  # another origin than Lara's
        ChannelFactory(
            slug="site-chat",
            network="chat",
            name="Web chat",
            account_name="volta.example",
            config={"allowed_origins": [site], "greeting": "Hi! How can we help?", "brand_color": "#7a1f5c"},
        )
        _BrandSite.page = (
            '<!doctype html><html lang="en"><head><title>Volta bikes</title></head>'
            "<body><h1>Volta bikes</h1>"
            f'<script src="{asgi_server}/chat/widget.js" data-channel="site-chat" async></script>'
            "</body></html>"
        ).encode()
        page = browser.new_page(viewport={"width": 1024, "height": 720})
        page.goto(f"{site}/")

        page.get_by_role("button", name="Chat with us").click()
        expect(page.get_by_role("dialog", name="Chat")).to_be_visible()
        expect(page.get_by_text("Hi! How can we help?")).to_be_visible()
        box = page.get_by_label("Your message")
        expect(box).to_be_focused()
        box.fill("My Volta City battery is broken, can you help?")
        box.press("Enter")

        sent = page.locator("li.in")
        expect(sent).to_have_count(1)
        expect(sent).not_to_have_class("in pending")  # the server stored it
        expect(sent.locator("p")).to_have_attribute("dir", "auto")
        message = Message.objects.get(channel__slug="site-chat")
        assert (message.text, message.kind, message.raw["origin"]) == (
            "My Volta City battery is broken, can you help?",
            "chat",
            site,
        )
        jobs_run_pending()
        case = Case.objects.get(channel__slug="site-chat")
        expect(page.locator("[data-lara-chat][data-live=open]")).to_be_attached()

        reply_create(case=case, author=org["lena"], text="Sorry! A new battery is on its way.")
        jobs_run_pending()

        expect(page.get_by_role("log").get_by_text("Sorry! A new battery is on its way.")).to_be_visible(
            timeout=5000
        )
        expect(page.locator("li.out")).to_have_count(1)

        box.fill("<b>thanks</b>")
        box.press("Enter")
        expect(page.locator("li.in")).to_have_count(2)
        expect(page.locator("li.in").nth(1).locator("p")).to_have_text("<b>thanks</b>")
        expect(page.locator("li.in b")).to_have_count(0)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "chat-widget.png"))

        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog", name="Chat")).to_be_hidden()
        expect(page.get_by_role("button", name="Chat with us")).to_be_focused()
        page.close()
