"""Measure webhook ingest through the real server: batched throughput and single-message latency.

Run by ``make bench`` once per database (``python -m bench.ingest sqlite``
and ``… postgres``, each in its own process because Django reads
DATABASE_URL at start-up). Each run builds a fresh database with the
default teams and rules and one generic ``webhook`` channel with an HMAC
secret, starts the real server (``lara run --no-demo``: uvicorn with the
embedded workers, which analyse what arrives while the bench sends more),
and posts to ``/hooks/<slug>`` signed exactly as a sender does
(``lara.channels.webhook.adapter.sign``):

* single-message deliveries one at a time; p50 and p99 of the time from
  sending to the 200 answer (which comes after the commit);
* then batched deliveries of ``BATCH`` new messages, one after the other;
  the figure is messages stored and acknowledged per second (from sending a
  delivery to its 200 answer), the median of the deliveries after a
  warm-up, while the workers analyse the backlog the batches build.

Every answer is checked (status 200 and every message ``created``), so a
figure can only come from messages that were really stored.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from .workspace import _nothing, _percentile, server, throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent
BATCH = int(os.environ.get("LARA_BENCH_INGEST_BATCH", "500"))
BATCHES = int(os.environ.get("LARA_BENCH_INGEST_BATCHES", "12"))
SINGLES = int(os.environ.get("LARA_BENCH_INGEST_SINGLES", "400"))
WARM_UP = 2
SECRET = "bench-whsec-5f1a"  # noqa: S105 - a throwaway bench channel's secret
SLUG = "orders"

TEXTS = [
    "My Volta City will not unlock since this morning, order 5521",
    "Where can I buy the Volta City in Haifa?",
    "Thanks for the quick help yesterday, the scooter works again",
    "The app charges me twice for the same ride, please refund",
    "Is the Volta Max available in green?",
]


def _item(n: int) -> dict[str, Any]:
    return {
        "external_id": f"bench-ingest-{n}",
        "kind": "post",
        "text": TEXTS[n % len(TEXTS)],
        "created_at": "2026-11-20T09:14:00+00:00",
        "author": {"external_id": f"bench-author-{n % 997}", "handle": f"@rider{n % 997}", "followers": 40},
    }


def _post(client: httpx.Client, items: list[dict[str, Any]] | dict[str, Any]) -> float:
    """Deliver one signed body; return the milliseconds to the 200 answer, after checking it."""
    from lara.channels.webhook.adapter import sign

    body = json.dumps(items).encode()
    headers = {"Content-Type": "application/json", "X-Lara-Signature": sign(SECRET, body)}
    start = time.perf_counter()
    response = client.post(f"/hooks/{SLUG}", content=body, headers=headers)
    elapsed = (time.perf_counter() - start) * 1000
    expected = len(items) if isinstance(items, list) else 1
    if response.status_code != 200 or response.json().get("created") != expected:
        raise RuntimeError(f"delivery answered {response.status_code}: {response.text[:300]}")
    return elapsed


def build() -> None:
    from lara.cases.defaults import defaults_install
    from lara.channels.models import Channel

    defaults_install()
    channel = Channel(slug=SLUG, name="Order system", network="webhook", poll_interval_seconds=0)
    channel.credentials = {"secret": SECRET}
    channel.save()


def measure(base: str) -> tuple[list[float], list[float]]:
    """(messages/s per batched delivery after the warm-up, single-delivery latencies in ms).

    Single deliveries come first, so their latency is the steady state (the
    workers analyse each message as it arrives) rather than the time spent
    behind the backlog the batches leave for the workers.
    """
    rates: list[float] = []
    latencies: list[float] = []
    n = 0
    with httpx.Client(base_url=base, timeout=120) as client:
        for i in range(WARM_UP * 10 + SINGLES):
            elapsed = _post(client, _item(n))
            n += 1
            if i >= WARM_UP * 10:
                latencies.append(elapsed)
        for b in range(WARM_UP + BATCHES):
            elapsed = _post(client, [_item(n + i) for i in range(BATCH)])
            n += BATCH
            if b >= WARM_UP:
                rates.append(BATCH / (elapsed / 1000))
    return rates, latencies


def run(database: str) -> dict[str, Any]:
    work = ROOT / "var" / f"bench-ingest-{database}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {"LARA_VAR_DIR": str(work), "LARA_JOB_MAX_ATTEMPTS": "3"}
    with throwaway_postgres(work / "pg") if database == "postgres" else _nothing() as url:
        if url:
            env["DATABASE_URL"] = url
        from .workspace import _django

        _django(env)
        build()
        with server(env) as base:
            rates, latencies = measure(base)
        from lara.mentions.models import Message

        stored = Message.objects.count()
    expected = (WARM_UP + BATCHES) * BATCH + WARM_UP * 10 + SINGLES
    if stored != expected:
        raise RuntimeError(f"{stored} messages stored, {expected} sent")
    shutil.rmtree(work, ignore_errors=True)
    return {
        f"ingest_batch_per_s_{database}": {
            "value": round(statistics.median(rates), 1),
            "unit": (
                f"messages/s stored and acknowledged (signed webhook deliveries of {BATCH}, "
                f"median of {BATCHES}; real server with its workers analysing meanwhile)"
            ),
        },
        f"webhook_p50_ms_{database}": {
            "value": round(statistics.median(latencies), 2),
            "unit": f"ms (single-message signed webhook delivery, {SINGLES} one at a time)",
        },
        f"webhook_p99_ms_{database}": {
            "value": round(_percentile(latencies, 0.99), 2),
            "unit": f"ms (single-message signed webhook delivery, {SINGLES} one at a time)",
        },
    }


def main() -> int:
    database = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    print(json.dumps(run(database)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
