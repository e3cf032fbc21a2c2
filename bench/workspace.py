"""Measure the agent workspace at scale: 100,000 cases, 20 agents at once, live updates.

Run by ``make bench`` once per database (``python -m bench.workspace sqlite``
and ``… postgres``, each in its own process because Django reads
DATABASE_URL at start-up). Each run builds a fresh database with 100,000
cases, starts the real server (``lara run --no-demo``: uvicorn with the
embedded workers), signs in 20 agents of five teams and has them load the
inbox page, a filtered inbox fragment and the cases API at the same time.
Then one agent keeps the live stream open while messages are ingested
through the API, and the delay from the ingest request to the "cases" event
on the agent's stream is recorded. Figures: p95 (and p50) in milliseconds.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
CASES = int(os.environ.get("LARA_BENCH_CASES", "100000"))
AGENTS = int(os.environ.get("LARA_BENCH_AGENTS", "20"))
ROUNDS = 15  # requests of each kind per agent
#: Seconds an agent waits between two clicks (uniform). An agent who clicks
#: every second all day is a busy agent; 0 turns the bench into a stress test.
THINK = float(os.environ.get("LARA_BENCH_THINK_SECONDS", "1.0"))
LIVE_SAMPLES = 20
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered)) - 1)]


@contextmanager
def throwaway_postgres(work: Path) -> Iterator[str]:
    """Start a PostgreSQL 15 cluster on a free loopback port; yield its URL; remove it after."""
    port = _free_port()
    data = work / "pgdata"
    data.mkdir(parents=True)
    run_as = ["su", "postgres", "-s", "/bin/sh", "-c"] if os.geteuid() == 0 else ["/bin/sh", "-c"]
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
        shutil.chown(data, "postgres")
    subprocess.run([*run_as, f"{PG_BIN}/initdb -D {data} -A trust -U lara >/dev/null"], check=True)
    options = f"-p {port} -k {work} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run(
        [*run_as, f"{PG_BIN}/pg_ctl -D {data} -o '{options}' -l {work}/pg.log -w start >/dev/null"],
        check=True,
    )
    try:
        subprocess.run([*run_as, f"{PG_BIN}/createdb -h 127.0.0.1 -p {port} -U lara lara"], check=True)
        yield f"postgres://lara@127.0.0.1:{port}/lara"
    finally:
        subprocess.run([*run_as, f"{PG_BIN}/pg_ctl -D {data} -m immediate stop >/dev/null"], check=False)


def _django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lara.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def build_org() -> dict[str, Any]:
    """The default teams and rules, four channels, 20 agents (4 per team) and a lead."""
    from django.contrib.auth import get_user_model

    from lara.cases.defaults import defaults_install
    from lara.channels.models import Channel
    from lara.core.models import AgentProfile, Membership, Role, Team

    defaults_install()
    channels = [
        Channel.objects.create(slug=slug, name=slug.title(), network=network, poll_interval_seconds=0)
        for slug, network in (("x", "twitter"), ("fb", "facebook"), ("mail", "email"), ("api", "api"))
    ]
    User = get_user_model()
    agents = []
    teams = list(Team.objects.order_by("pk"))
    for i in range(AGENTS):
        team = teams[i % len(teams)]
        user = User.objects.create_user(username=f"agent{i:02d}", email=f"agent{i:02d}@volta.example")
        Membership.objects.create(user=user, team=team, role=Role.AGENT)
        AgentProfile.objects.create(
            user=user, languages=["en", "he", "ru", "uk"][: 1 + i % 4], capacity=10_000
        )
        agents.append(user)
    lead = User.objects.create_user(username="lead", email="lead@volta.example")
    Membership.objects.create(user=lead, team=teams[0], role=Role.LEAD)
    AgentProfile.objects.create(user=lead, languages=["en"], capacity=10_000)
    return {"channels": channels, "agents": agents, "teams": teams, "lead": lead}


def build_cases(org: dict[str, Any], n: int) -> None:
    """Bulk-create ``n`` cases over ``n // 4`` customers, spread over teams, statuses and a year."""
    from django.db import transaction
    from django.utils import timezone

    from lara.cases.models import Case
    from lara.customers.models import Customer

    rng = random.Random(20261123)
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        [Customer(name=f"Customer {i}") for i in range(max(1, n // 4))], batch_size=2000
    )
    statuses = ["new", "open", "open", "pending", "resolved", "closed", "closed", "closed"]
    batch: list[Case] = []
    for i in range(n):
        team = org["teams"][i % len(org["teams"])]
        members = [a for j, a in enumerate(org["agents"]) if j % len(org["teams"]) == i % len(org["teams"])]
        batch.append(
            Case(
                reference=f"LR-{1000 + i}",
                customer=customers[i % len(customers)],
                channel=org["channels"][i % len(org["channels"])],
                conversation_key=f"bench-{i}",
                subject=f"Bench case {i}: my scooter will not unlock",
                status=rng.choice(statuses),
                priority=rng.choice(["P1", "P2", "P3", "P3", "P4"]),
                team=team,
                assignee=rng.choice([*members, None]),
                language=rng.choice(["en", "en", "he", "ru", "uk"]),
                sentiment=rng.choice(["negative", "neutral", "positive"]),
                message_type=rng.choice(["question", "complaint", "compliment", "suggestion", "other"]),
                created_at=now - timedelta(minutes=rng.randrange(525_600)),
            )
        )
        if len(batch) == 5000:
            with transaction.atomic():
                Case.objects.bulk_create(batch)
            batch = []
    if batch:
        Case.objects.bulk_create(batch)


def sessions(users: list[Any]) -> list[str]:
    """Sign each user in (a real session row) and return the session cookies."""
    from django.test import Client

    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return cookies


@contextmanager
def server(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lara.cli", "run", "--no-demo", "--port", str(port)],
        env={**os.environ, **env, "LARA_ALLOWED_HOSTS": "127.0.0.1,localhost"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/login/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure_inbox(base: str, cookies: list[str], tokens: list[str]) -> dict[str, list[float]]:
    """20 agents at once, each loading the page, a filtered fragment and the API ``ROUNDS`` times.

    Each agent waits a think time between clicks (``THINK`` seconds on
    average), so the server sees 20 people working, not 20 load generators.
    """
    timings: dict[str, list[float]] = {"page": [], "fragment": [], "api": []}
    lock = threading.Lock()

    def agent(i: int) -> None:
        rng = random.Random(i)
        with httpx.Client(base_url=base, cookies={"sessionid": cookies[i]}, timeout=60) as client:
            for _ in range(ROUNDS):
                for kind in rng.sample(list(timings), k=3):
                    if kind == "page":
                        args: dict[str, Any] = {"url": "/"}
                    elif kind == "fragment":
                        params = rng.choice(
                            [{"view": "mine"}, {"sentiment": "negative"}, {"priority": "P1"}, {"page": "3"}]
                        )
                        args = {"url": "/", "params": params, "headers": {"HX-Request": "true"}}
                    else:
                        args = {
                            "url": "/api/cases",
                            "params": {"status": "new,open", "limit": 50},
                            "headers": {"Authorization": f"Bearer {tokens[i]}"},
                        }
                    start = time.perf_counter()
                    response = client.get(**args)
                    elapsed = (time.perf_counter() - start) * 1000
                    if response.status_code != 200:
                        raise RuntimeError(f"{args['url']} answered {response.status_code}")
                    with lock:
                        timings[kind].append(elapsed)
                    time.sleep(rng.uniform(0.5 * THINK, 1.5 * THINK))

    with ThreadPoolExecutor(max_workers=AGENTS) as pool:
        list(pool.map(agent, range(AGENTS)))
    return timings


def _listen(base: str, cookie: str, ready: threading.Event, got: threading.Event) -> None:
    """Hold the agent's live stream open; flag when it starts and when a "cases" event comes."""
    with (
        httpx.Client(base_url=base, cookies={"sessionid": cookie}, timeout=30) as client,
        client.stream("GET", "/live/") as stream,
    ):
        for line in stream.iter_lines():
            if line.startswith("retry:"):
                ready.set()
            if line == "event: cases":
                got.set()
                return


def measure_live(base: str, cookie: str, token: str) -> list[float]:
    """Ingest one message at a time; time until the agent's stream reports the new case."""
    delays: list[float] = []
    for i in range(LIVE_SAMPLES + 2):  # the first two warm the analyzer up
        got = threading.Event()
        ready = threading.Event()
        listener = threading.Thread(target=_listen, args=(base, cookie, ready, got), daemon=True)
        listener.start()
        ready.wait(10)
        time.sleep(0.6)  # let the stream take its baseline
        body = {
            "channel": "api",
            "external_id": f"live-{i}",
            "kind": "post",
            "text": "My Volta scooter is broken and support is not answering",
            "created_at": "2026-11-20T09:14:00+00:00",
            "author": {"external_id": f"live-author-{i}", "handle": f"@live{i}", "followers": 50},
        }
        start = time.perf_counter()
        response = httpx.post(
            f"{base}/api/messages", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        if response.status_code not in (200, 201):
            raise RuntimeError(f"ingest answered {response.status_code}: {response.text}")
        if got.wait(30) and i >= 2:
            delays.append((time.perf_counter() - start) * 1000)
        listener.join(timeout=1)
    return delays


def run(database: str) -> dict[str, Any]:
    work = ROOT / "var" / f"bench-workspace-{database}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {"LARA_VAR_DIR": str(work), "LARA_JOB_MAX_ATTEMPTS": "3"}
    with throwaway_postgres(work / "pg") if database == "postgres" else _nothing() as url:
        if url:
            env["DATABASE_URL"] = url
        _django(env)
        from lara.core.services import api_token_create

        org = build_org()
        started = time.perf_counter()
        build_cases(org, CASES)
        print(
            f"workspace/{database}: {CASES} cases built in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        if database == "postgres":
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        cookies = sessions([*org["agents"], org["lead"]])
        tokens = [api_token_create(user=u) for u in [*org["agents"], org["lead"]]]
        with server(env) as base:
            measure_inbox(base, cookies[:AGENTS], tokens[:AGENTS])  # warm-up round
            timings = measure_inbox(base, cookies[:AGENTS], tokens[:AGENTS])
            delays = measure_live(base, cookies[-1], tokens[-1])
    page_and_api = timings["page"] + timings["fragment"] + timings["api"]
    figures = {
        f"inbox_p95_ms_{database}": {
            "value": round(_percentile(page_and_api, 0.95), 1),
            "unit": (
                f"ms (inbox page, filtered fragment, /api/cases; {CASES} cases, "
                f"{AGENTS} agents clicking every {THINK:g} s)"
            ),
        },
        f"inbox_p50_ms_{database}": {"value": round(statistics.median(page_and_api), 1), "unit": "ms"},
        f"inbox_page_p95_ms_{database}": {
            "value": round(_percentile(timings["page"], 0.95), 1),
            "unit": "ms",
        },
        f"inbox_api_p95_ms_{database}": {"value": round(_percentile(timings["api"], 0.95), 1), "unit": "ms"},
    }
    if delays:
        figures[f"live_update_p95_ms_{database}"] = {
            "value": round(_percentile(delays, 0.95), 1),
            "unit": f"ms from ingest request to the agent's event ({len(delays)} of {LIVE_SAMPLES} arrived)",
        }
    shutil.rmtree(work, ignore_errors=True)
    return figures


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def main() -> int:
    database = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    print(json.dumps(run(database)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
