"""A loopback Graph API for the Facebook, Instagram and WhatsApp tests.

It records every request (method, path, query, JSON body, headers) and
answers with whatever the test put on that route: recorded payloads in
Meta's documented format, errors included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..loopback import QuietHandler, serving

VERSION = "/v21.0"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class GraphApi:
    """What the fake Graph answers (per method and path) and what it was asked."""

    base: str = ""
    routes: dict[tuple[str, str], tuple[int, Any, dict[str, str]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def answer(
        self, method: str, path: str, body: Any, *, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        self.routes[(method, VERSION + path)] = (status, body, headers or {})


class _Handler(QuietHandler):
    api: GraphApi

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.api.requests.append(Recorded(self.command, parts.path, query, body, dict(self.headers)))
        status, answer, headers = self.api.routes.get(
            (self.command, parts.path),
            (
                400,
                {
                    "error": {
                        "message": f"Unknown path {parts.path}",
                        "type": "GraphMethodException",
                        "code": 100,
                    }
                },
                {},
            ),
        )
        self.send_json(status, answer, headers)

    do_GET = _serve
    do_POST = _serve


def graph_api() -> Iterator[GraphApi]:
    """Serve a fresh fake Graph for one test (use as a pytest fixture body)."""
    api = GraphApi()
    handler = type("Handler", (_Handler,), {"api": api})
    with serving(handler) as base:
        api.base = base + VERSION
        yield api


def unreachable_base() -> str:
    """A loopback URL nothing listens on (the server was started and stopped)."""
    with serving(_Handler) as base:
        pass
    return base + VERSION
