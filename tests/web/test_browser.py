"""The agent UI in a real browser: log in, see the inbox fill, open a case, reply.

Drives Debian's chromium through Playwright and leaves screenshots of each
screen in var/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from lara.cases.models import Case
from lara.core.jobs import jobs_run_pending
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


SAMPLE = [
    ("My Volta City battery is broken after a week, I want a refund", "x", {"name": "Dana Levi"}),
    ("How much is the Volta Cargo in Tel Aviv? I want to buy one", "x", {"name": "Yossi Mizrahi"}),
    ("האופניים שלי broken אחרי שבוע, מה עושים?", "x", {"name": "נועה כהן"}),
    ("Скільки коштує доставка? Хочу buy Volta Kick", "x", {"name": "Олена Шевчук"}),
    ("The brakes failed on the downhill. Unacceptable.", "x", {"name": "Mark Hill", "followers": 85000}),
]


@pytest.mark.django_db(transaction=True)
def test_login_inbox_case_and_reply(org: dict[str, Any], live_server: Any, browser: Browser) -> None:
    for text, channel, author in SAMPLE:
        message_ingest_json(data=inbound(channel=channel, text=text, author=author))
    jobs_run_pending()
    page = browser.new_page(viewport={"width": 1280, "height": 800})

    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(page.locator("table.cases tbody tr")).to_have_count(5)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inbox.png"))

    message_ingest_json(data=inbound(text="Is the Volta Trail in stock? I want to buy it"))
    jobs_run_pending()
    expect(page.locator("table.cases tbody tr")).to_have_count(6, timeout=15000)

    case = Case.objects.get(subject__startswith="My Volta City battery")
    page.get_by_role("link", name=case.reference).click()
    expect(page.get_by_text("Dana Levi").first).to_be_visible()
    page.get_by_label("Reply on X / Twitter").fill("Sorry Dana, we are on it — check your DMs.")
    page.screenshot(path=str(SCREENSHOTS / "case.png"), full_page=True)
    page.get_by_role("button", name="Send reply").click()

    expect(page.get_by_text("Reply queued for sending.")).to_be_visible()
    case.refresh_from_db()
    assert case.status == "pending"
