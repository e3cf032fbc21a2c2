"""The agent UI in a real browser: log in, see the inbox fill live, open a case, reply.

Drives Debian's chromium through Playwright against the real ASGI app served
by uvicorn (as `lara run` does; pytest-django's live_server is WSGI and
cannot stream server-sent events), and leaves screenshots of each screen in
var/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from lara.cases.models import Case
from lara.core.jobs import jobs_run_pending
from lara.core.models import AgentProfile
from lara.mentions.services import message_ingest_json

from ..factories import inbound

pytestmark = pytest.mark.slow
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("the browser tests need Debian's chromium (apt-get install chromium)")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls
    # the test makes between browser steps are still plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield launched
        launched.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def asgi_server(transactional_db: Any) -> Iterator[str]:
    """Serve lara.asgi with uvicorn in a thread on a free loopback port, against the test database.

    The test database is SQLite's shared in-memory one (or the PostgreSQL test
    database), so the server's threads open their own connections to the
    same data the test commits. The server stops before the test's database
    is flushed, cutting open event streams after a short grace period.
    """
    from lara.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _log_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()


SAMPLE = [
    ("My Volta City battery is broken after a week, I want a refund", "x", {"name": "Dana Levi"}),
    ("How much is the Volta Cargo in Tel Aviv? I want to buy one", "x", {"name": "Yossi Mizrahi"}),
    ("האופניים שלי broken אחרי שבוע, מה עושים?", "x", {"name": "נועה כהן"}),
    ("Скільки коштує доставка? Хочу buy Volta Kick", "x", {"name": "Олена Шевчук"}),
    ("The brakes failed on the downhill. Unacceptable.", "x", {"name": "Mark Hill", "followers": 85000}),
]


@pytest.mark.django_db(transaction=True)
def test_login_inbox_case_and_reply(org: dict[str, Any], asgi_server: str, browser: Browser) -> None:
    for text, channel, author in SAMPLE:
        message_ingest_json(data=inbound(channel=channel, text=text, author=author))
    jobs_run_pending()
    page = browser.new_page(viewport={"width": 1280, "height": 800})

    _log_in(page, asgi_server, "lena")

    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(page.locator("table.cases tbody tr")).to_have_count(5)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inbox.png"))

    # Live: the server-sent event stream tells the page, no reload, no polling.
    expect(page.locator("#inbox-rows[data-live-state=open]")).to_be_attached()
    started = time.monotonic()
    message_ingest_json(data=inbound(text="Is the Volta Trail in stock? I want to buy it"))
    jobs_run_pending()
    expect(page.locator("table.cases tbody tr")).to_have_count(6, timeout=5000)
    assert time.monotonic() - started < 3.0
    expect(page.get_by_role("cell", name="Is the Volta Trail in stock? I want to buy it")).to_be_visible()

    case = Case.objects.get(subject__startswith="My Volta City battery")
    page.get_by_role("link", name=case.reference).click()
    expect(page.get_by_text("Dana Levi").first).to_be_visible()
    page.get_by_label("Reply on X / Twitter").fill("Sorry Dana, we are on it — check your DMs.")
    page.screenshot(path=str(SCREENSHOTS / "case.png"), full_page=True)
    page.get_by_role("button", name="Send reply").click()

    expect(page.get_by_text("Reply queued for sending.")).to_be_visible()
    case.refresh_from_db()
    assert case.status == "pending"


@pytest.mark.django_db(transaction=True)
def test_hebrew_is_right_to_left(org: dict[str, Any], asgi_server: str, browser: Browser) -> None:
    for text, channel, author in SAMPLE:
        message_ingest_json(data=inbound(channel=channel, text=text, author=author))
    jobs_run_pending()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    _log_in(page, asgi_server, "lena")

    page.get_by_label("Interface language").select_option("he")
    page.get_by_role("button", name="Change language").click()

    expect(page.get_by_role("heading", name="תיבת פניות")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    header = page.locator("header.top").bounding_box()
    brand = page.locator("header.top .brand").bounding_box()
    first_column = page.locator("table.cases thead th").first.bounding_box()
    last_column = page.locator("table.cases thead th").last.bounding_box()
    assert header and brand and first_column and last_column
    assert brand["x"] > header["width"] / 2  # the brand starts the header on the right
    assert first_column["x"] > last_column["x"]  # columns run from right to left
    page.screenshot(path=str(SCREENSHOTS / "inbox-he.png"))

    case = Case.objects.get(subject__startswith="האופניים שלי")
    page.get_by_role("link", name=case.reference).click()
    expect(page.get_by_label("תשובה ב־X / טוויטר")).to_be_visible()
    conversation = page.locator("section.case-main").bounding_box()
    customer = page.locator("aside.customer").bounding_box()
    assert conversation and customer
    assert customer["x"] < conversation["x"]  # the customer sits at the end side: left in Hebrew
    assert page.locator("p.text").first.get_attribute("dir") == "auto"
    page.screenshot(path=str(SCREENSHOTS / "case-he.png"), full_page=True)
    assert AgentProfile.objects.get(user=org["lena"]).ui_language == "he"


@pytest.mark.django_db(transaction=True)
def test_keyboard_shortcuts_move_and_open(org: dict[str, Any], asgi_server: str, browser: Browser) -> None:
    for text, channel, author in SAMPLE[:3]:
        message_ingest_json(data=inbound(channel=channel, text=text, author=author))
    jobs_run_pending()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    _log_in(page, asgi_server, "lena")
    expect(page.locator("table.cases tbody tr")).to_have_count(3)
    links = page.locator("table.cases a.case-link")

    page.keyboard.press("j")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")  # stays on the last row
    expect(links.nth(2)).to_be_focused()
    page.keyboard.press("k")
    expect(links.nth(1)).to_be_focused()

    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()

    reference = links.nth(1).inner_text()
    page.keyboard.press("o")
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    page.keyboard.press("r")
    expect(page.locator("#reply-text")).to_be_focused()


@pytest.mark.django_db(transaction=True)
def test_customer_page_from_the_case_sidebar(org: dict[str, Any], asgi_server: str, browser: Browser) -> None:
    author = {"external_id": "dana-1", "name": "Dana Levi"}
    message_ingest_json(data=inbound(text="My Volta City battery is broken after a week", author=author))
    message_ingest_json(data=inbound(text="Still waiting for the refund, any news?", author=author))
    jobs_run_pending()
    case = Case.objects.filter(customer__name="Dana Levi").latest("pk")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, asgi_server, "lena")

    page.goto(f"{asgi_server}/cases/{case.reference}/")
    page.get_by_role("link", name="Open the customer page").click()

    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.locator(".timeline .msg.in").first).to_contain_text("Still waiting for the refund")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "customer.png"), full_page=True)
