"""The scaled mode: the same jobs run by a real Celery worker consuming from a real Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import OperationalError

from lara.celery import app as celery_app
from lara.core import jobs
from lara.core.models import Job, JobStatus
from lara.mentions.models import Message, Stage
from lara.mentions.services import message_ingest_json

from .factories import inbound

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """Use CI's redis-server, or start one on a free loopback port; never skip."""
    if url := os.environ.get("LARA_TEST_REDIS_URL"):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("the scaled-mode tests need redis-server (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""], stdout=subprocess.DEVNULL
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait()


@pytest.fixture
def celery_worker(redis_url: str, settings: Any) -> Iterator[None]:
    settings.LARA_EMBEDDED = False
    redis.Redis.from_url(redis_url).flushdb()
    celery_app.conf.update(broker_url=redis_url, result_backend=None, task_always_eager=False)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        yield


def _wait_for(predicate: Any, seconds: float = 30) -> bool:
    """Poll until true; the test database is in-memory SQLite with a shared cache, where a read
    that meets the worker's write fails with "table is locked" instead of waiting: try again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OperationalError:
            pass
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_on_redis_routes_an_ingested_message(
    org: dict[str, Any], celery_worker: None
) -> None:
    message_ingest_json(data=inbound(text="It is broken"))

    assert _wait_for(lambda: Message.objects.get().stage == Stage.ROUTED)
    pipeline = Job.objects.filter(task="lara.cases.tasks.process_message_task")
    assert _wait_for(lambda: pipeline.get().status == JobStatus.DONE)
    assert Message.objects.get().case_link.case.team == org["service"]


@pytest.mark.django_db(transaction=True)
def test_the_sweep_hands_out_a_job_whose_hand_off_was_lost(
    org: dict[str, Any], celery_worker: None, monkeypatch: Any
) -> None:
    monkeypatch.setattr(jobs, "_dispatch", lambda job_id, delay=None: None)  # the broker hand-off is lost
    message_ingest_json(data=inbound(text="It is broken"))
    monkeypatch.undo()
    # Only the lost hand-off is under test: no periodic jobs for the worker to run
    # while the sweep reads the queue (the in-memory test database cannot wait for a lock).
    monkeypatch.setattr(jobs, "PERIODIC_JOBS", {})
    Job.objects.update(created_at=Job.objects.get().created_at - jobs.DISPATCH_GRACE * 2)

    jobs.jobs_sweep()

    assert _wait_for(lambda: Message.objects.get().stage == Stage.ROUTED)
