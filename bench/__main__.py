"""Run every benchmark and write the figures to var/bench.json.

Each figure is a median over repeated runs on a fresh embedded database
(SQLite under var/bench/, or DATABASE_URL when set), in the format
{"figure_name": {"value": …, "unit": "…"}}.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"


def _setup() -> None:
    shutil.rmtree(BENCH_VAR, ignore_errors=True)
    BENCH_VAR.mkdir(parents=True)
    os.environ["LARA_VAR_DIR"] = str(BENCH_VAR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lara.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from lara.demo.seed import demo_seed

    demo_seed(with_passwords=False)


def _messages(n: int, offset: int) -> list[dict[str, Any]]:
    from lara.demo.stream import demo_messages

    demo = demo_messages()
    out = []
    for i in range(n):
        item = dict(demo[i % len(demo)])
        item["external_id"] = f"bench-{offset + i}"
        item["thread_key"] = None
        item["in_reply_to"] = None
        out.append(item)
    return out


def bench_analyzer(figures: dict[str, Any]) -> None:
    from lara.analysis.engine import get_analyzer
    from lara.demo.stream import demo_messages

    analyzer = get_analyzer()
    texts = [m["text"] for m in demo_messages()] * 3
    analyzer.analyze(texts[:10])
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        analyzer.analyze(texts)
        runs.append(len(texts) / (time.perf_counter() - start))
    figures["analyzer_messages_per_s"] = {"value": round(statistics.median(runs), 1), "unit": "messages/s"}


def bench_analyze_fast(figures: dict[str, Any]) -> None:
    """Time the fast tier on the same 1,000 held-out tweets as `lara eval` (all fields, batched)."""
    from lara.analysis.engine import get_analyzer
    from lara.analysis.engine.evaluation import measure_speed, speed_texts

    data = Path(os.environ.get("LARA_DATA_DIR", ROOT.parent / "shared" / "data"))
    texts = speed_texts(data)
    unit = "messages/s"
    if not texts:
        from lara.demo.stream import demo_messages

        texts = [m["text"] for m in demo_messages()] * 3
        unit = "messages/s (demo messages: no labelled test sets found)"
    figures["analyze_fast_per_s"] = {"value": measure_speed(get_analyzer(), texts), "unit": unit}


def bench_ingest_and_pipeline(figures: dict[str, Any]) -> None:
    from django.db import transaction

    from lara.core.jobs import jobs_run_pending
    from lara.mentions.services import message_ingest_json

    ingest_runs, pipeline_runs, duplicate_runs = [], [], []
    for run in range(3):
        batch = _messages(300, run * 1000)
        start = time.perf_counter()
        for item in batch:
            with transaction.atomic():
                message_ingest_json(data=item)
        ingest_runs.append(len(batch) / (time.perf_counter() - start))
        start = time.perf_counter()
        jobs_run_pending(max_rounds=1000)
        pipeline_runs.append(len(batch) / (time.perf_counter() - start))
        dup_start = time.perf_counter()
        for item in batch[:100]:
            message_ingest_json(data=item)
        duplicate_runs.append(100 / (time.perf_counter() - dup_start))
    figures["ingest_messages_per_s"] = {
        "value": round(statistics.median(ingest_runs), 1),
        "unit": "messages/s",
    }
    figures["pipeline_messages_per_s"] = {
        "value": round(statistics.median(pipeline_runs), 1),
        "unit": "messages/s (analyze + relate + route, one thread)",
    }
    figures["duplicate_ingest_per_s"] = {
        "value": round(statistics.median(duplicate_runs), 1),
        "unit": "messages/s",
    }


def bench_cases_api(figures: dict[str, Any]) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from lara.cases.models import Case
    from lara.core.services import api_token_create

    token = api_token_create(user=get_user_model().objects.get(username="admin"))
    client = Client(headers={"authorization": f"Bearer {token}"}, HTTP_HOST="localhost")
    timings = []
    for _ in range(60):
        start = time.perf_counter()
        response = client.get("/api/cases", {"status": "new,open", "limit": 50})
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    timings.sort()
    figures["cases_api_p50_ms"] = {
        "value": round(statistics.median(timings), 2),
        "unit": f"ms ({Case.objects.count()} cases)",
    }
    figures["cases_api_p95_ms"] = {"value": round(timings[int(len(timings) * 0.95) - 1], 2), "unit": "ms"}


def _percentiles(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return round(statistics.median(timings), 2), round(timings[int(len(timings) * 0.95) - 1], 2)


def bench_customer_timeline(figures: dict[str, Any]) -> None:
    """One customer with 10,000 interactions: the first timeline page and one 9,000 items deep."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from lara.cases.models import Case, Task
    from lara.cases.timeline import Cursor
    from lara.channels.models import Channel
    from lara.core.services import api_token_create
    from lara.customers.models import Customer, SocialProfile
    from lara.mentions.models import Message

    start_at = timezone.now() - timedelta(days=400)
    customer = Customer.objects.create(name="Bench Timeline")
    channels = list(Channel.objects.filter(slug__in=["x", "facebook", "email"]))
    profiles = [
        SocialProfile.objects.create(network=c.network, external_id=f"bench-tl-{c.slug}", customer=customer)
        for c in channels
    ]
    Message.objects.bulk_create(
        [
            Message(
                channel=channels[i % len(channels)],
                external_id=f"bench-tl-{i}",
                kind="post",
                text=f"timeline message {i}",
                author_external_id=profiles[i % len(profiles)].external_id,
                author_profile=profiles[i % len(profiles)],
                created_at=start_at + timedelta(minutes=i),
                stage="routed",
            )
            for i in range(9_800)
        ],
        batch_size=1000,
    )
    for i in range(100):
        Case.objects.create(
            customer=customer,
            channel=channels[0],
            subject=f"case {i}",
            created_at=start_at + timedelta(hours=i),
        )
        Task.objects.create(
            title=f"task {i}", customer=customer, created_at=start_at + timedelta(hours=i, minutes=1)
        )
    token = api_token_create(user=get_user_model().objects.get(username="admin"))
    client = Client(headers={"authorization": f"Bearer {token}"}, HTTP_HOST="localhost")
    url = f"/api/customers/{customer.pk}/timeline"
    deep = Cursor(start_at + timedelta(minutes=800), "message", 0).encode()  # ~9,000 items from the top
    for name, params in (("timeline", {"limit": 50}), ("timeline_deep", {"limit": 50, "before": deep})):
        timings = []
        for _ in range(60):
            began = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200 and len(response.json()["items"]) == 50
        p50, p95 = _percentiles(timings)
        figures[f"{name}_p50_ms"] = {
            "value": p50,
            "unit": "ms (one customer, 10,000 interactions, 50 a page)",
        }
        figures[f"{name}_p95_ms"] = {"value": p95, "unit": "ms"}


def per_database(module: str, figures: dict[str, Any]) -> None:
    """Run ``python -m <module> <database>`` for SQLite and, when installed, PostgreSQL 15.

    Each database runs in its own process because Django reads DATABASE_URL
    at start-up; the module prints its figures as JSON on its last line.
    """
    from .workspace import PG_BIN

    databases = ["sqlite"] + (["postgres"] if (PG_BIN / "initdb").exists() else [])
    for database in databases:
        run = subprocess.run(
            [sys.executable, "-m", module, database], cwd=ROOT, capture_output=True, text=True, check=True
        )
        figures.update(json.loads(run.stdout.strip().splitlines()[-1]))


def bench_routing(figures: dict[str, Any]) -> None:
    """Webhook → routed, assigned case at a steady 50 messages/s; 100-rule evaluation (bench/routing.py)."""
    per_database("bench.routing", figures)


def bench_workspace(figures: dict[str, Any]) -> None:
    """Run the 100,000-case workspace bench on SQLite and, when installed, PostgreSQL 15.

    Each database runs in its own process (Django reads DATABASE_URL at
    start-up); see bench/workspace.py. ``live_update_p95_ms`` is the
    embedded default's (SQLite) figure.
    """
    per_database("bench.workspace", figures)
    live = figures.get("live_update_p95_ms_sqlite")
    if live:
        figures["live_update_p95_ms"] = live


def bench_relate(figures: dict[str, Any]) -> None:
    """Identity suggestions' precision and recall (bench/identity.py), then a 100,000-row CSV import."""
    from .identity import identity_benchmark, identity_figures
    from .imports import bench_import_100k

    figures.update(identity_figures(identity_benchmark()))
    bench_import_100k(figures)  # after: its 100,000 customers must not join the identity sets


def bench_webhook_ingest(figures: dict[str, Any]) -> None:
    """Webhook ingest through the real server (bench/ingest.py).

    Batched deliveries → ``ingest_batch_per_s_<db>``; single-message
    deliveries → ``webhook_p50_ms_<db>`` / ``webhook_p99_ms_<db>``.
    """
    per_database("bench.ingest", figures)


def main() -> int:
    _setup()
    figures: dict[str, Any] = {}
    for bench in (
        bench_analyzer,
        bench_analyze_fast,
        bench_ingest_and_pipeline,
        bench_cases_api,
        bench_customer_timeline,
        bench_relate,
        bench_routing,
        bench_webhook_ingest,
        bench_workspace,
    ):
        bench(figures)
        print(f"{bench.__name__}: done", file=sys.stderr)
    out = ROOT / "var" / "bench.json"
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing.update(figures)
    out.write_text(json.dumps(existing, indent=1, sort_keys=True))
    print(json.dumps(figures, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
