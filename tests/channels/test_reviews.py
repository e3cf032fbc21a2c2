"""Review sites: Google, Trustpilot and Yelp polled once; owner replies where the site allows; file imports.

A loopback HTTP server answers like the three sites' APIs (and Google's
OAuth token endpoint), with the recorded payloads under
channels/reviews/fixtures/.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from lara.channels.base import ChannelError, OutboundReply
from lara.channels.models import Channel
from lara.channels.reviews.adapter import ReviewsAdapter
from lara.cli import main
from lara.mentions.models import Message
from lara.mentions.polling import channel_poll
from lara.mentions.review_import import reviews_import
from lara.mentions.services import Outcome

from ..factories import ChannelFactory
from ..loopback import QuietHandler, serving

FIXTURES = Path(__file__).resolve().parents[2] / "src/lara/channels/reviews/fixtures"
LOCATION = "/v4/accounts/108374912345/locations/4412345678901234567/reviews"
UNIT = "5f1a2b3c4d5e6f7a8b9c0d1e"
GOOGLE_CREDENTIALS = {
    "refresh_token": "1//volta-refresh",
    "client_id": "volta.apps",
    "client_secret": "gsecret",
}


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class _Sites(QuietHandler):
    requests: list[tuple[str, str, dict[str, list[str]], dict[str, str], Any]] = []
    unauthorized = False

    def _record(self) -> tuple[str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        body: Any = json.loads(raw) if "json" in (self.headers.get("Content-Type") or "") else parse_qs(raw)
        _Sites.requests.append((self.command, parts.path, parse_qs(parts.query), dict(self.headers), body))
        return parts.path, parse_qs(parts.query)

    def do_GET(self) -> None:
        path, query = self._record()
        if _Sites.unauthorized:
            error = {
                "code": 401,
                "message": "Request had invalid authentication credentials.",
                "status": "UNAUTHENTICATED",
            }
            self.send_json(401, {"error": error})
        elif path == LOCATION:
            self.send_json(
                200,
                _fixture(
                    "google_reviews_page2.json" if "pageToken" in query else "google_reviews_page1.json"
                ),
            )
        elif path == f"/v1/business-units/{UNIT}/reviews":
            self.send_json(200, _fixture("trustpilot_reviews.json"))
        elif path == "/v3/businesses/volta-bikes-san-francisco/reviews":
            self.send_json(200, _fixture("yelp_reviews.json"))
        else:
            self.send_json(404, {"error": {"code": 404, "message": "not found"}})

    def do_POST(self) -> None:
        path, _ = self._record()
        if path == "/token":
            self.send_json(200, _fixture("google_token.json"))
        elif path.startswith("/v1/private/reviews/"):
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_json(404, {"error": "not found"})

    def do_PUT(self) -> None:
        path, _ = self._record()
        self.send_json(200 if path.endswith("/reply") else 404, _fixture("google_reply_response.json"))


@pytest.fixture
def sites() -> Iterator[str]:
    _Sites.requests, _Sites.unauthorized = [], False
    with serving(_Sites) as base:
        yield base


def _channel(slug: str, config: dict[str, Any], credentials: dict[str, Any]) -> Channel:
    channel = ChannelFactory(slug=slug, network="reviews", name=f"Reviews {slug}")
    channel.config = config
    channel.credentials = credentials
    channel.save()
    return channel


def _google_config(base: str) -> dict[str, Any]:
    return {
        "site": "google",
        "account_id": "108374912345",
        "location_id": "4412345678901234567",
        "review_url": "https://maps.example/volta-ramat-gan/reviews",
        "api_base": base,
        "token_url": f"{base}/token",
    }


def test_google_reviews_are_paged_stored_once_with_their_stars(org: dict[str, Any], sites: str) -> None:
    channel = _channel("google", _google_config(sites), GOOGLE_CREDENTIALS)

    first = channel_poll(channel.pk)
    second = channel_poll(channel.pk)

    assert [r.outcome for r in first] == ["created"] * 3
    assert second == []
    pages = [(q.get("pageToken"), q["orderBy"]) for m, p, q, _, _ in _Sites.requests if p == LOCATION]
    # Page two once; the second poll stops at the first review it already has.
    assert pages == [
        (None, ["updateTime desc"]),
        (["CiQKHAoWQUJGdk9xbThMazJ3EgIIAxIA"], ["updateTime desc"]),
        (None, ["updateTime desc"]),
    ]
    review = Message.objects.get(external_id="AbFvOqk3Zt9x")
    assert (review.kind, review.public, review.author_name, review.url) == (
        "review",
        True,
        "Michal Cohen",
        "https://maps.example/volta-ramat-gan/reviews",
    )
    assert review.text == (
        "★★☆☆☆ The Kick's battery died after 3 weeks and the shop in Ramat Gan says wait a month for parts."
    )
    assert review.raw["rating"] == 2 and review.raw["star_rating"] == "TWO"
    assert review.created_at.isoformat() == "2024-11-25T09:12:44.518000+00:00"
    rating_only = Message.objects.get(external_id="AbFvOqa1Qq7r")
    assert (rating_only.text, rating_only.raw["rating"], rating_only.raw["replied"]) == ("★★★★☆", 4, True)
    token = _Sites.requests[0]
    assert (token[1], token[4]["grant_type"], token[4]["refresh_token"]) == (
        "/token",
        ["refresh_token"],
        ["1//volta-refresh"],
    )
    assert _Sites.requests[1][3]["Authorization"] == "Bearer ya29.a0-volta-test"


def test_a_revoked_google_token_raises_the_auth_alert(org: dict[str, Any], sites: str) -> None:
    channel = _channel("google", _google_config(sites), {"access_token": "ya29.expired"})
    _Sites.unauthorized = True

    assert channel_poll(channel.pk) == []

    channel.refresh_from_db()
    assert channel.auth_failed_at is not None
    assert channel.last_error == (
        "Google Business Profile refused the token "
        "(HTTP 401: Request had invalid authentication credentials.)"
    )


def _reply(
    review_id: str, config: dict[str, Any], text: str = "Sorry Michal! We ordered the battery for you."
) -> OutboundReply:
    return OutboundReply(
        channel="reviews",
        text=text,
        in_reply_to=review_id,
        thread_key=None,
        recipient_external_id=None,
        public=True,
        reply_id=3,
        kind="review",
        config=config,
    )


def test_a_google_owner_reply_puts_the_comment_on_the_review(sites: str) -> None:
    result = ReviewsAdapter().send(_reply("AbFvOqk3Zt9x", _google_config(sites)), GOOGLE_CREDENTIALS)

    assert result.external_id == "AbFvOqk3Zt9x:reply"
    method, path, _, headers, body = _Sites.requests[-1]
    assert (method, path) == ("PUT", f"{LOCATION}/AbFvOqk3Zt9x/reply")
    assert body == {"comment": "Sorry Michal! We ordered the battery for you."}
    assert headers["Authorization"] == "Bearer ya29.a0-volta-test"


def _trustpilot_config(base: str) -> dict[str, Any]:
    return {"site": "trustpilot", "business_unit_id": UNIT, "business_user_id": "bu-77", "api_base": base}


def test_trustpilot_reviews_are_stored_once_with_title_and_stars(org: dict[str, Any], sites: str) -> None:
    channel = _channel("trustpilot", _trustpilot_config(sites), {"api_key": "tp-key"})

    first = channel_poll(channel.pk)
    second = channel_poll(channel.pk)

    assert [r.outcome for r in first] == ["created", "created"]
    assert second == []
    review = Message.objects.get(external_id="6743a1f2e5b7c8d9a0b1c2d3")
    assert review.text == (
        "★☆☆☆☆ Доставка затрималась на три тижні\n\n"
        "Замовила Volta Kick 1 листопада, досі не отримала. Підтримка не відповідає."
    )
    assert (review.subject, review.author_external_id, review.author_name, review.url) == (
        "Доставка затрималась на три тижні",
        "5d8e9f0a1b2c3d4e5f6a7b8c",
        "Olena Shevchuk",
        "https://www.trustpilot.com/reviews/6743a1f2e5b7c8d9a0b1c2d3",
    )
    assert review.raw == {"language": "uk", "replied": False, "rating": 1, "site": "trustpilot"}
    _, _, query, headers, _ = _Sites.requests[0]
    assert (query["orderBy"], headers["apikey"]) == (["createdat.desc"], "tp-key")


def test_a_trustpilot_reply_is_posted_as_the_business_user(sites: str) -> None:
    reply = _reply(
        "6743a1f2e5b7c8d9a0b1c2d3", _trustpilot_config(sites), "Вибачте, Олено! Ми вже перевіряємо."
    )

    result = ReviewsAdapter().send(reply, {"api_key": "tp-key", "access_token": "tp-oauth"})

    assert result.url == "https://www.trustpilot.com/reviews/6743a1f2e5b7c8d9a0b1c2d3"
    method, path, _, headers, body = _Sites.requests[-1]
    assert (method, path) == ("POST", "/v1/private/reviews/6743a1f2e5b7c8d9a0b1c2d3/reply")
    assert body == {"authorBusinessUserId": "bu-77", "message": "Вибачте, Олено! Ми вже перевіряємо."}
    assert headers["Authorization"] == "Bearer tp-oauth"


def _yelp_config(base: str) -> dict[str, Any]:
    return {"site": "yelp", "business_id": "volta-bikes-san-francisco", "api_base": base}


def test_yelp_excerpts_are_stored_once(org: dict[str, Any], sites: str) -> None:
    channel = _channel("yelp", _yelp_config(sites), {"api_key": "yelp-key"})

    first = channel_poll(channel.pk)
    second = channel_poll(channel.pk)

    assert [r.outcome for r in first] == ["created", "created"]
    assert second == []
    review = Message.objects.get(external_id="xAG4O7l-t1ubbwVAlPnDKg")
    assert review.text.startswith("★★☆☆☆ Bought a Kick here last spring.")
    assert review.url == "https://www.yelp.com/biz/volta-bikes-san-francisco?hrid=xAG4O7l-t1ubbwVAlPnDKg"
    assert review.created_at.isoformat() == "2024-11-25T01:05:12+00:00"  # 17:05 Pacific
    assert review.raw == {"excerpt": True, "rating": 2, "site": "yelp"}
    assert _Sites.requests[0][3]["Authorization"] == "Bearer yelp-key"


def test_a_yelp_reply_is_refused_with_the_link_to_answer_on_the_site(sites: str) -> None:
    adapter = ReviewsAdapter()

    with pytest.raises(ChannelError) as caught:
        adapter.send(_reply("xAG4O7l-t1ubbwVAlPnDKg", _yelp_config(sites)), {"api_key": "yelp-key"})

    assert str(caught.value) == (
        "Yelp takes no replies through its API; answer on the site: "
        "https://www.yelp.com/biz/volta-bikes-san-francisco?hrid=xAG4O7l-t1ubbwVAlPnDKg"
    )
    assert caught.value.permanent is True
    assert _Sites.requests == []
    assert [
        adapter.can_reply(config=_yelp_config(sites), credentials={"api_key": "k"}),
        adapter.can_reply(config=_google_config(sites), credentials=GOOGLE_CREDENTIALS),
        adapter.can_reply(config=_trustpilot_config(sites), credentials={"api_key": "k"}),
        adapter.can_reply(config=_trustpilot_config(sites), credentials={"access_token": "t"}),
    ] == [False, True, False, True]


@pytest.fixture
def imported(org: dict[str, Any]) -> Channel:
    return _channel("imported", {"site": "import"}, {})


def test_a_csv_export_is_imported_row_by_row(imported: Channel) -> None:
    data = (FIXTURES / "import_example.csv").read_bytes()

    results = reviews_import(channel_slug="imported", data=data, format="csv")

    assert [(r.row, r.outcome, r.reason) for r in results] == [
        (2, Outcome.CREATED, ""),
        (3, Outcome.DUPLICATE, ""),
        (4, Outcome.REJECTED, "rating: Input should be less than or equal to 5"),
    ]
    review = Message.objects.get()
    assert (review.external_id, review.kind, review.author_name, review.subject) == (
        "example-reviews:tp-901",
        "review",
        "Noa Friedman",
        "Solid",
    )
    assert review.text == "★★★★☆ Solid\n\nGood bike, app pairing was fiddly."
    assert review.raw == {"rating": 4, "site": "example-reviews"}
    assert (review.url, review.created_at.isoformat()) == (
        "https://www.example-reviews.test/r/tp-901",
        "2024-11-18T00:00:00+00:00",
    )


def test_a_json_export_is_imported(imported: Channel) -> None:
    data = (FIXTURES / "import_example.json").read_bytes()

    results = reviews_import(channel_slug="imported", data=data, format="json")

    assert [(r.row, r.outcome) for r in results] == [(1, Outcome.CREATED)]
    review = Message.objects.get()
    assert (review.external_id, review.text, review.author_name, review.raw["rating"]) == (
        "ekatalog:ek-17",
        "★★★☆☆ Нормально, але дорого.",
        "Іван К.",
        3,
    )


def test_a_file_without_the_required_columns_or_for_another_channel_is_refused(imported: Channel) -> None:
    with pytest.raises(ValueError, match="lacks the column"):
        reviews_import(channel_slug="imported", data=b"id,author,text\n1,a,b\n", format="csv")
    with pytest.raises(ValueError, match="not a review site"):
        reviews_import(channel_slug="api", data=b"[]", format="json")
    assert (
        ReviewsAdapter()
        .poll(channel="imported", config={"site": "import"}, credentials={}, state={})
        .messages
        == ()
    )


def _run(argv: list[str]) -> tuple[int, str]:
    out, old = io.StringIO(), sys.stdout
    sys.stdout = out
    try:
        code = main(argv)
    finally:
        sys.stdout = old
    return code, out.getvalue()


def test_the_import_command_reports_each_rejected_row(imported: Channel) -> None:
    path = str(FIXTURES / "import_example.csv")

    first = _run(["import-reviews", path, "--channel", "imported"])
    second = _run(["import-reviews", path, "--channel", "imported"])

    assert first == (
        1,
        "1 new, 1 duplicate, 1 rejected\nrow 4: rating: Input should be less than or equal to 5\n",
    )
    assert second == (
        1,
        "0 new, 2 duplicate, 1 rejected\nrow 4: rating: Input should be less than or equal to 5\n",
    )
    assert _run(["import-reviews", str(FIXTURES / "import_example.json"), "--channel", "imported"]) == (
        0,
        "1 new, 0 duplicate, 0 rejected\n",
    )
