"""Replay the demo messages so the inbox fills live while `lara run` is up.

The stream resumes where it stopped (the first message not yet stored), and
once the file is used up it starts another round with fresh ids, so it can
run for days without repeating a stored message or stopping.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections
from django.utils import timezone

from lara.mentions.models import Message
from lara.mentions.services import IngestResult, message_ingest_json

from .seed import demo_data_path

log = logging.getLogger(__name__)


def demo_messages() -> list[dict[str, Any]]:
    path = demo_data_path("messages.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _with_round(item: dict[str, Any], round_no: int) -> dict[str, Any]:
    """Give a message of a later round ids of its own, keeping its thread intact."""
    if round_no == 0:
        return dict(item)
    suffix = f"~r{round_no}"
    copy = dict(item)
    copy["external_id"] = f"{item['external_id']}{suffix}"
    for key in ("in_reply_to", "thread_key"):
        if copy.get(key):
            copy[key] = f"{copy[key]}{suffix}"
    return copy


def _stored_ids() -> set[tuple[str, str]]:
    return set(Message.objects.values_list("channel__slug", "external_id"))


def demo_pending(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield the demo messages not stored yet, round after round."""
    stored = _stored_ids()
    round_no = 0
    while True:
        for item in items:
            candidate = _with_round(item, round_no)
            if (candidate["channel"], candidate["external_id"]) not in stored:
                yield candidate
        round_no += 1


def demo_backfill(count: int) -> list[IngestResult]:
    """Store the first `count` demo messages with their own timestamps (the history)."""
    items = demo_messages()[:count]
    end = timezone.now() - timedelta(minutes=5)
    last = datetime.fromisoformat(items[-1]["created_at"]) if items else end
    shift = end - last
    results = []
    for item in items:
        moved = dict(item)
        moved["created_at"] = (datetime.fromisoformat(item["created_at"]) + shift).isoformat()
        results.append(message_ingest_json(data=moved))
    return results


def demo_stream(
    *,
    stop: threading.Event,
    min_delay: float = 2.0,
    max_delay: float = 7.0,
    limit: int | None = None,
    seed: int | None = None,
) -> int:
    """Ingest pending demo messages one by one with human-like gaps; return how many."""
    rng = random.Random(seed)
    sent = 0
    for item in demo_pending(demo_messages()):
        if stop.is_set() or (limit is not None and sent >= limit):
            break
        item["created_at"] = timezone.now().isoformat()
        try:
            result = message_ingest_json(data=item)
            log.info("demo stream: %s %s:%s", result.outcome, item["channel"], item["external_id"])
        except Exception:
            log.exception("demo stream could not store a message")
        finally:
            close_old_connections()
        sent += 1
        stop.wait(rng.uniform(min_delay, max_delay))
    return sent
