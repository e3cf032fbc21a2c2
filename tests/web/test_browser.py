"""The agent UI in a real browser: log in, see the inbox fill live, open a case, reply.

Drives Debian's chromium through Playwright against the real ASGI app served
by uvicorn (as `lara run` does; pytest-django's live_server is WSGI and
cannot stream server-sent events), and leaves screenshots of each screen in
var/screenshots/ for a person to look at. The README's screenshots are these
same pictures: ``LARA_README_SCREENSHOTS=1 pytest tests/web/test_browser.py
tests/web/test_settings_browser.py`` also writes them to docs/screenshots/
(not on every run, so the suite never rewrites tracked images).

One browser serves the whole module; each test gets a fresh server (the
test database is flushed between tests, and the server must be gone with
its open event streams before that) and fresh browser contexts, so cookies
never leak from one persona to the next.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from django.utils import timezone
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from lara.analysis.models import LabelCorrection
from lara.cases.models import Case, SavedReply
from lara.core.jobs import jobs_run_pending
from lara.core.models import AgentProfile
from lara.mentions.models import Message, MonitoringQuery
from lara.mentions.services import message_ingest_json

from ..factories import inbound

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
#: The pictures the README shows; refreshed when LARA_README_SCREENSHOTS is set.
README_NAMES = frozenset(
    {
        "inbox.png",
        "case.png",
        "inbox-he.png",
        "mentions.png",
        "settings-channels.png",
        "settings-channel.png",
        "routing-rule.png",
    }
)
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
PASSWORD = "correct horse battery"


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


@pytest.fixture
def open_page(browser: Browser, asgi_server: str) -> Iterator[Callable[[], Page]]:
    """Open pages, each in a context of its own; all are closed before the server stops.

    Closing them first ends their event streams, so the server's shutdown
    does not wait out its grace period.
    """
    contexts = []

    def open_() -> Page:
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


def log_in(page: Page, url: str, username: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(f"{url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("header.top form.who")).to_be_visible()


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Keep a picture of the screen in var/screenshots/ (and the README's when asked)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page, animations="disabled")
    if os.environ.get("LARA_README_SCREENSHOTS") and name in README_NAMES:
        shutil.copyfile(SCREENSHOTS / name, README_SCREENSHOTS / name)


def minutes_ago(minutes: float) -> str:
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


Sample = list[tuple[str, str, dict[str, Any]]]

SAMPLE: Sample = [
    (
        "My Volta City battery is broken after a week, I want a refund",
        "x",
        {"name": "Dana Levi", "handle": "@danalevi", "followers": 2400},
    ),
    (
        "How much is the Volta Cargo in Tel Aviv? I want to buy one",
        "x",
        {"name": "Yossi Mizrahi", "handle": "@yossi_m"},
    ),
    ("האופניים שלי broken אחרי שבוע, מה עושים?", "x", {"name": "נועה כהן", "handle": "@noa_cohen"}),
    ("Скільки коштує доставка? Хочу buy Volta Kick", "x", {"name": "Олена Шевчук", "handle": "@olena_sh"}),
    (
        "The brakes failed on the downhill. Unacceptable.",
        "x",
        {"name": "Mark Hill", "handle": "@markhill", "followers": 85000},
    ),
]


def seed(sample: Sample = SAMPLE) -> None:
    """The morning's messages, a few minutes apart (the oldest first), analysed and routed."""
    for n, (text, channel, author) in enumerate(sample):
        data = inbound(channel=channel, text=text, author=author, created_at=minutes_ago(45 - 7 * n))
        message_ingest_json(data=data)
    jobs_run_pending()


LIVE_TEXT = "Why does my Volta City battery die after a week?? Second time this month."
APOLOGY = (
    "Hi {first_name}, I'm sorry the battery let you down. I have opened case {case_reference} "
    "for you and a technician will message you today. — {agent_name}, {brand}"
)


@pytest.mark.django_db(transaction=True)
def test_an_agent_answers_a_message_that_arrived_live_with_a_saved_reply(
    org: dict[str, Any], asgi_server: str, open_page: Callable[[], Page], settings: Any
) -> None:
    settings.LARA_BRAND = "Volta Bikes"
    seed()
    SavedReply.objects.create(
        name="Battery apology", language="en", text=APOLOGY, team=org["service"], created_by=org["lena"]
    )
    page = open_page()

    log_in(page, asgi_server, "lena")

    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    rows = page.locator("table.cases tbody tr")
    expect(rows).to_have_count(5)
    expect(page.locator("p.count")).to_have_text("5 cases")
    screenshot(page, "inbox.png")

    # Live: the server-sent event stream tells the page, no reload, no polling.
    expect(page.locator("#inbox-rows[data-live-state=open]")).to_be_attached()
    started = time.monotonic()
    author = {"name": "Maya Cohen", "handle": "@mayacohen", "followers": 310}
    message_ingest_json(data=inbound(text=LIVE_TEXT, author=author, created_at=minutes_ago(0.5)))
    jobs_run_pending()
    expect(rows).to_have_count(6, timeout=5000)
    assert time.monotonic() - started < 3.0
    case = Case.objects.get(customer__name="Maya Cohen")
    row = page.locator(f"tr[data-reference='{case.reference}']")
    expect(row.locator("td.subject")).to_have_text(LIVE_TEXT)
    expect(row.locator("td").nth(7)).to_have_text("Customer service")
    expect(page.locator("p.count")).to_have_text("6 cases")

    row.get_by_role("link", name=case.reference).click()

    expect(page.get_by_role("heading", name=case.reference)).to_be_visible()
    expect(page.locator("ol.conversation li.msg.in p.text")).to_have_text(LIVE_TEXT)
    sentiment = page.get_by_label("Sentiment: neutral — correct")
    expect(sentiment).to_have_text("neutral 0.70")
    expect(page.get_by_label("Type: question — correct")).to_have_text("question")

    page.get_by_label("Insert a saved reply").select_option(label="Battery apology (en)")

    text = (
        f"Hi Maya, I'm sorry the battery let you down. I have opened case {case.reference} "
        "for you and a technician will message you today. — Lena, Volta Bikes"
    )
    box = page.get_by_label("Reply on X / Twitter")
    expect(box).to_have_value(text)
    expect(box).to_be_focused()
    expect(page.locator("p.hint", has=page.locator("#reply-count"))).to_have_text(
        f"{len(text)} / 280 characters on X / Twitter"
    )
    screenshot(page, "case.png", full_page=True)

    page.get_by_role("button", name="Send reply").click()

    expect(page.locator("p.flash")).to_have_text("Reply queued for sending.")
    outbox = page.locator("ul.outbox li")
    expect(outbox).to_have_count(1)
    expect(outbox.locator(".chip")).to_have_text("Queued")
    expect(outbox.locator("span[dir=auto]")).to_have_text(text[:79] + "…")
    expect(page.locator("h1 .chip.status-pending")).to_have_text("Pending")
    case.refresh_from_db()
    reply = case.replies.get()
    assert (case.status, reply.status, reply.text, reply.author) == ("pending", "queued", text, org["lena"])

    # The analyzer missed the customer's frustration: one click on the chip fixes it.
    sentiment.click()
    page.locator("details.chip-menu[open]").get_by_role("button", name="negative").click()

    expect(page.locator("p.flash")).to_have_text(
        "Thank you — the correction is saved and will teach the next model."
    )
    expect(page.get_by_label("Sentiment: negative — correct")).to_have_text("negative 1.00")
    expect(page.get_by_label("Sentiment: neutral — correct")).to_have_count(0)
    correction = LabelCorrection.objects.get()
    assert (correction.field, correction.old_value, correction.new_value, correction.user) == (
        "sentiment",
        "neutral",
        "negative",
        org["lena"],
    )
    case.refresh_from_db()
    assert case.sentiment == "negative"


@pytest.mark.django_db(transaction=True)
def test_an_agent_of_sales_cannot_open_a_customer_service_case(
    org: dict[str, Any], asgi_server: str, open_page: Callable[[], Page]
) -> None:
    seed()
    case = Case.objects.get(customer__name="Dana Levi")
    assert case.team == org["service"]
    page = open_page()

    log_in(page, asgi_server, "bob")

    expect(page.locator("table.cases tbody tr")).to_have_count(2)  # the two buyers, nobody else's cases
    expect(page.locator("table.cases td.subject")).to_have_text(
        [
            "Скільки коштує доставка? Хочу buy Volta Kick",
            "How much is the Volta Cargo in Tel Aviv? I want to buy one",
        ]
    )
    response = page.goto(f"{asgi_server}/cases/{case.reference}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("Dana Levi")).to_have_count(0)
    expect(page.get_by_text("battery")).to_have_count(0)


@pytest.mark.django_db(transaction=True)
def test_hebrew_is_right_to_left(
    org: dict[str, Any], asgi_server: str, open_page: Callable[[], Page]
) -> None:
    seed()
    page = open_page()
    log_in(page, asgi_server, "lena")
    nav = page.get_by_role("navigation", name="Main")
    english = nav.bounding_box()
    assert english and english["x"] + english["width"] < VIEWPORT["width"] / 2  # left in English

    page.get_by_label("Interface language").select_option("he")
    page.get_by_role("button", name="Change language").click()

    expect(page.get_by_role("heading", name="תיבת פניות")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "he")
    header = page.locator("header.top").bounding_box()
    brand = page.locator("header.top .brand").bounding_box()
    hebrew = page.get_by_role("navigation", name="ראשי").bounding_box()
    language = page.locator("header.top .lang-form").bounding_box()
    first_column = page.locator("table.cases thead th").first.bounding_box()
    last_column = page.locator("table.cases thead th").last.bounding_box()
    assert header and brand and hebrew and language and first_column and last_column
    assert brand["x"] > header["width"] / 2  # the brand starts the header on the right
    assert hebrew["x"] > header["width"] / 2  # the navigation follows it, on the right half
    assert language["x"] < hebrew["x"]  # and the language switch moved to the left
    assert first_column["x"] > last_column["x"]  # columns run from right to left
    screenshot(page, "inbox-he.png")

    case = Case.objects.get(subject__startswith="האופניים שלי")
    page.get_by_role("link", name=case.reference).click()
    expect(page.get_by_label("תשובה ב־X / טוויטר")).to_be_visible()
    conversation = page.locator("section.case-main").bounding_box()
    customer = page.locator("aside.customer").bounding_box()
    assert conversation and customer
    assert customer["x"] < conversation["x"]  # the customer sits at the end side: left in Hebrew
    assert page.locator("p.text").first.get_attribute("dir") == "auto"
    screenshot(page, "case-he.png", full_page=True)
    assert AgentProfile.objects.get(user=org["lena"]).ui_language == "he"


@pytest.mark.django_db(transaction=True)
def test_keyboard_shortcuts_move_and_open(
    org: dict[str, Any], asgi_server: str, open_page: Callable[[], Page]
) -> None:
    seed(SAMPLE[:3])
    page = open_page()
    log_in(page, asgi_server, "lena")
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
def test_customer_page_from_the_case_sidebar(
    org: dict[str, Any], asgi_server: str, open_page: Callable[[], Page]
) -> None:
    author = {"external_id": "dana-1", "name": "Dana Levi"}
    message_ingest_json(data=inbound(text="My Volta City battery is broken after a week", author=author))
    message_ingest_json(data=inbound(text="Still waiting for the refund, any news?", author=author))
    jobs_run_pending()
    case = Case.objects.filter(customer__name="Dana Levi").latest("pk")
    page = open_page()
    log_in(page, asgi_server, "lena")

    page.goto(f"{asgi_server}/cases/{case.reference}/")
    page.get_by_role("link", name="Open the customer page").click()

    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.locator(".timeline .msg.in").first).to_contain_text("Still waiting for the refund")
    screenshot(page, "customer.png", full_page=True)


MENTIONS: Sample = [
    ("My Volta Kick arrived broken, the box was crushed", "x", {"name": "Avi Peretz", "handle": "@avip"}),
    ("I love my new #VoltaKick, best commute ever", "x", {"name": "Lior Ben-David", "handle": "@liorbd"}),
    ("Is the showroom in Haifa open on Sunday?", "x", {"name": "Tamar Adler", "handle": "@tamar_a"}),
    ("Saw a Volta Kick ad on the bus this morning", "x", {"name": "Eli Shapiro", "handle": "@elish"}),
    ("Saw the Volta billboard downtown today", "x", {"name": "Rina Gold", "handle": "@rinag"}),
]


@pytest.mark.django_db(transaction=True)
def test_the_mentions_stream_filters_by_monitoring_query_and_opens_a_case(
    org: dict[str, Any], asgi_server: str, open_page: Callable[[], Page]
) -> None:
    kick = MonitoringQuery.objects.create(name="Volta Kick launch", query='"volta kick" OR #voltakick')
    seed(MENTIONS)
    page = open_page()
    log_in(page, asgi_server, "alice")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Mentions").click()

    expect(page.get_by_role("heading", name="Mentions")).to_be_visible()
    count = page.locator("#mention-rows p.count")
    expect(count).to_have_text("5 messages")

    page.get_by_label("Monitoring query").select_option(label="Volta Kick launch")

    expect(count).to_have_text("3 messages")
    expect(page).to_have_url(re.compile(rf"/mentions/\?.*\bquery={kick.pk}(&|$)"))
    items = page.locator("ol.mentions > li")
    expect(items.locator("p.text")).to_have_text(
        [
            "Saw a Volta Kick ad on the bus this morning",
            "I love my new #VoltaKick, best commute ever",
            "My Volta Kick arrived broken, the box was crushed",
        ]
    )
    ad, praise, complaint = items.nth(0), items.nth(1), items.nth(2)
    complaint_case = Case.objects.get(customer__name="Avi Peretz")
    expect(complaint.locator(".mention-actions")).to_have_text(str(complaint_case.reference))
    expect(praise.locator(".mention-actions")).to_have_text("in a case of another team")  # Marketing's
    expect(praise.get_by_label("Sentiment: positive — correct")).to_have_text("positive 0.90")
    expect(ad.locator(".chip.query")).to_have_text("Volta Kick launch")
    screenshot(page, "mentions.png")

    ad.get_by_role("button", name="Create case").click()

    expect(page.locator("p.flash")).to_have_text(re.compile(r"^Case LR-\d+ opened\.$"))
    ad_message = Message.objects.get(text="Saw a Volta Kick ad on the bus this morning")
    case = Case.objects.get(case_messages__message=ad_message)
    expect(page.locator("p.flash")).to_have_text(f"Case {case.reference} opened.")
    expect(page.get_by_role("heading", name=case.reference)).to_be_visible()
    expect(page.locator("ol.conversation li.msg.in p.text")).to_have_text(ad_message.text)
    assert (case.team, case.assignee) == (org["service"], org["alice"])
