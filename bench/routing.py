"""Measure routing: webhook arrival to a routed, assigned case in the inbox API, and rule evaluation.

``python -m bench.routing sqlite|postgres`` starts the real server (``lara run
--no-demo``: uvicorn with the embedded workers) on a fresh database with the
default teams and rules and ten agents, then sends one signed webhook
delivery every 20 ms (a steady 50 messages/s) for ``SECONDS`` seconds. A
watcher polls the cases API as an inbox client would (the newest 50 cases
every 50 ms, more pages only after a burst) and notes when each message's
case first shows up with a team and an assignee; the latency is that moment
minus the send, so it includes up to one poll interval of waiting.
``rules_eval_per_s`` times the pure rule evaluation with 100 rules.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import threading
import time
from contextlib import nullcontext
from typing import Any

import httpx

from .workspace import ROOT, _django, _percentile, server, throwaway_postgres

RATE = 50  # messages per second
PAGE = 50  # cases per inbox poll
POLL = 0.05  # seconds between polls
SECONDS = int(os.environ.get("LARA_BENCH_ROUTE_SECONDS", "30"))
SECRET = "bench-secret"  # noqa: S105 - the bench channel's own throwaway secret
COMPLAINTS = (
    "My Volta scooter is broken again and nobody answers",
    "The app keeps crashing when I unlock the bike, terrible",
    "Still waiting for my refund after two weeks, worst service",
    "Моя батарея не заряжается, это ужасно",
    "האופניים הגיעו שבורים ואף אחד לא עונה",
)


def build_org() -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from lara.cases.defaults import defaults_install
    from lara.channels.models import Channel
    from lara.core.models import AgentProfile, Membership, Role, Team
    from lara.core.services import api_token_create

    defaults_install()
    channel = Channel.objects.create(slug="hook", name="Hook", network="webhook", poll_interval_seconds=0)
    channel.credentials = {"secret": SECRET}
    channel.save()
    User = get_user_model()
    for i, team in enumerate(Team.objects.order_by("pk")):
        for j in range(2):
            user = User.objects.create_user(username=f"agent{i}{j}")
            Membership.objects.create(user=user, team=team, role=Role.AGENT)
            AgentProfile.objects.create(user=user, languages=["en", "he", "ru", "uk"], capacity=100_000)
    admin = User.objects.create_superuser("benchadmin", "admin@volta.example", None)
    return {"token": api_token_create(user=admin)}


def _delivery(n: int) -> tuple[bytes, dict[str, str]]:
    from lara.channels.webhook.adapter import sign

    body = json.dumps(
        {
            "channel": "hook",
            "external_id": f"route-{n}",
            "kind": "post",
            "text": f"{COMPLAINTS[n % len(COMPLAINTS)]} [{n}]",
            "created_at": "2026-11-20T09:14:00+00:00",
            "author": {"external_id": f"route-author-{n}", "handle": f"@r{n}", "followers": 40},
        }
    ).encode()
    return body, {"Content-Type": "application/json", "X-Lara-Signature": sign(SECRET, body)}


def measure(base: str, token: str) -> tuple[list[float], int]:
    """Send at RATE for SECONDS; return the routed-and-assigned latencies and how many were sent."""
    sent: dict[int, float] = {}
    seen: dict[int, float] = {}
    done = threading.Event()

    def watch() -> None:
        # An inbox client: the newest PAGE cases every POLL seconds, and the
        # next page too whenever a whole page was new (a burst), so no case is
        # missed without paying for 200 rows on every poll.
        known: set[int] = set()
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            while True:
                for offset in range(0, 200 * PAGE, PAGE):
                    items = client.get("/api/cases", params={"limit": PAGE, "offset": offset}).json()["items"]
                    now = time.perf_counter()
                    fresh = 0
                    for case in items:
                        subject = case.get("subject") or ""
                        if not subject.endswith("]"):
                            continue
                        n = int(subject.rsplit("[", 1)[1].rstrip("]"))
                        fresh += n not in known
                        known.add(n)
                        if case.get("team") and case.get("assignee"):
                            seen.setdefault(n, now)
                    if fresh < PAGE:
                        break
                if done.is_set() and (sent.keys() <= seen.keys() or time.perf_counter() - last_send[0] > 30):
                    return
                time.sleep(POLL)

    last_send = [time.perf_counter()]
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    with httpx.Client(base_url=base, timeout=30) as client:
        for n in range(RATE * SECONDS):
            due = start + n / RATE
            time.sleep(max(0.0, due - time.perf_counter()))
            body, headers = _delivery(n)
            sent[n] = time.perf_counter()
            response = client.post("/hooks/hook", content=body, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"webhook answered {response.status_code}: {response.text}")
            last_send[0] = time.perf_counter()
    done.set()
    watcher.join(timeout=120)
    missing = sorted(set(sent) - set(seen))
    if missing:
        print(f"never seen routed and assigned: {missing[:20]}", file=sys.stderr)
    return [(seen[n] - sent[n]) * 1000 for n in seen if n in sent], len(sent)


def rules_eval_per_s() -> float:
    """Evaluate 100 rules (the last one matches) against varied facts; median of three runs."""
    from lara.cases.routing import RuleSpec, evaluate

    rules = [
        RuleSpec(
            i,
            f"rule {i}",
            "all" if i % 2 else "any",
            [
                {"field": "type", "op": "in", "value": ["suggestion"] if i < 99 else ["complaint"]},
                {"field": "followers", "op": "gte", "value": 10_000_000 if i < 99 else 0},
                {"field": "topics", "op": "contains_any", "value": [f"topic-{i}"]},
                {"field": "language", "op": "eq", "value": "xx" if i < 99 else "en"},
            ],
            {"team": "service", "priority": "P2", "tags": [f"t{i}"]},
            i == 99,
        )
        for i in range(100)
    ]
    facts = [
        {
            "type": "complaint",
            "followers": n,
            "topics": ["battery", "app"],
            "language": "en",
            "sentiment": "negative",
            "text": "my battery died",
        }
        for n in range(1000)
    ]
    runs = []
    for _ in range(3):
        began = time.perf_counter()
        for f in facts:
            evaluate(rules, f)
        runs.append(len(facts) / (time.perf_counter() - began))
    return statistics.median(runs)


def run(database: str) -> dict[str, Any]:
    work = ROOT / "var" / f"bench-routing-{database}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {"LARA_VAR_DIR": str(work), "LARA_JOB_MAX_ATTEMPTS": "3"}
    context = throwaway_postgres(work / "pg") if database == "postgres" else nullcontext(None)
    with context as url:
        if url:
            env["DATABASE_URL"] = url
        _django(env)
        org = build_org()
        with server(env) as base:
            for n in range(-5, 0):  # warm the analyzer up in the server
                body, headers = _delivery(n)
                httpx.post(f"{base}/hooks/hook", content=body, headers=headers, timeout=60)
            time.sleep(5)
            latencies, sent = measure(base, org["token"])
    if not os.environ.get("LARA_BENCH_KEEP"):
        shutil.rmtree(work, ignore_errors=True)
    figures: dict[str, Any] = {}
    if latencies:
        unit = f"ms webhook → routed, assigned case in the API at {RATE} msg/s ({len(latencies)} of {sent})"
        figures[f"e2e_route_p50_ms_{database}"] = {
            "value": round(statistics.median(latencies), 1),
            "unit": unit,
        }
        figures[f"e2e_route_p99_ms_{database}"] = {
            "value": round(_percentile(latencies, 0.99), 1),
            "unit": unit,
        }
    if database == "sqlite":
        figures["rules_eval_per_s"] = {"value": round(rules_eval_per_s(), 1), "unit": "messages/s, 100 rules"}
    return figures


def main() -> int:
    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "sqlite")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
