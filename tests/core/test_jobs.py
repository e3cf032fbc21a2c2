"""The durable job queue: retries with back-off, failure after the last attempt, sweeps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from lara.core import jobs
from lara.core.models import Job, JobStatus

CALLS: list[Any] = []


def record(value: Any) -> None:
    CALLS.append(value)


def explode(value: Any) -> None:
    raise RuntimeError(f"boom {value}")


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()


@pytest.mark.django_db
def test_a_job_runs_once_even_when_handed_out_twice() -> None:
    job = jobs.job_enqueue(task=record, args=[7])

    assert jobs.job_run(job.pk) is True
    assert jobs.job_run(job.pk) is False
    assert CALLS == [7]
    assert Job.objects.get().status == JobStatus.DONE


@pytest.mark.django_db
def test_a_failing_job_is_retried_later_then_failed(settings: Any) -> None:
    settings.LARA_JOB_MAX_ATTEMPTS = 2
    job = jobs.job_enqueue(task=explode, args=[1])

    assert jobs.job_run(job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.attempts, job.last_error) == (JobStatus.QUEUED, 1, "RuntimeError: boom 1")
    assert job.run_after > timezone.now()
    Job.objects.update(run_after=timezone.now())
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 2)


@pytest.mark.django_db
def test_a_stale_lease_is_requeued() -> None:
    job = jobs.job_enqueue(task=record, args=[1])
    Job.objects.update(status=JobStatus.RUNNING, lease_until=timezone.now() - timedelta(seconds=1))

    assert jobs.jobs_requeue_stale() == 1
    assert jobs.jobs_run_pending() == 1
    assert CALLS == [1]
    assert job.pk


@pytest.mark.django_db
def test_periodic_jobs_are_enqueued_once_per_interval(monkeypatch: Any) -> None:
    monkeypatch.setattr(jobs, "PERIODIC_JOBS", {"tests.core.test_jobs.record": 60})

    first = jobs.jobs_enqueue_periodic()
    second = jobs.jobs_enqueue_periodic()

    assert [j.task for j in first] == ["tests.core.test_jobs.record"]
    assert second == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_job() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.job_enqueue(task=record, args=[1])
        raise RuntimeError("the ingest failed")

    assert Job.objects.count() == 0


@pytest.mark.django_db
def test_finished_jobs_are_purged_after_a_week() -> None:
    old = jobs.job_enqueue(task=record, args=[1])
    jobs.job_run(old.pk)
    Job.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    jobs.job_enqueue(task=explode, args=[2])

    assert jobs.jobs_purge_finished() == 1
    assert Job.objects.count() == 1


class RateLimited(Exception):
    retry_after = 900.0


def rate_limited(value: Any) -> None:
    raise RateLimited("429 too many requests")


@pytest.mark.django_db
def test_a_job_waits_as_long_as_the_network_asks() -> None:
    job = jobs.job_enqueue(task=rate_limited, args=[1])

    jobs.job_run(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert timedelta(seconds=890) < job.run_after - timezone.now() <= timedelta(seconds=900)


BATCHES: list[list[list[Any]]] = []


def record_batch(args_list: list[list[Any]]) -> None:
    """The batch form of ``record``: refuses the whole batch when one value is bad."""
    if any(args[0] == "bad" for args in args_list):
        raise RuntimeError("a bad value in the batch")
    BATCHES.append(args_list)


def record_or_refuse(value: Any) -> None:
    if value == "bad":
        raise RuntimeError("bad value")
    CALLS.append(value)


@pytest.fixture
def batch_task(monkeypatch: pytest.MonkeyPatch) -> str:
    BATCHES.clear()
    path = jobs.task_path(record_or_refuse)
    monkeypatch.setitem(jobs.BATCH_TASKS, path, jobs.task_path(record_batch))
    return path


@pytest.mark.django_db
def test_due_jobs_of_a_batch_task_run_together_and_finish(batch_task: str) -> None:
    for value in (1, 2, 3):
        jobs.job_enqueue(task=batch_task, args=[value])
    other = jobs.job_enqueue(task=record, args=["alone"])

    assert jobs.jobs_run_pending() == 4

    assert BATCHES == [[[1], [2], [3]]]
    assert CALLS == ["alone"]
    assert set(Job.objects.values_list("status", "attempts")) == {(JobStatus.DONE, 1)}
    assert Job.objects.get(pk=other.pk).status == JobStatus.DONE


@pytest.mark.django_db
def test_a_failing_batch_runs_its_jobs_one_by_one_so_only_the_bad_one_is_retried(batch_task: str) -> None:
    good = [jobs.job_enqueue(task=batch_task, args=[value]) for value in (1, 2)]
    bad = jobs.job_enqueue(task=batch_task, args=["bad"])

    assert jobs.jobs_run_batch([job.pk for job in [*good, bad]]) == 2

    assert BATCHES == []
    assert CALLS == [1, 2]
    assert {Job.objects.get(pk=job.pk).status for job in good} == {JobStatus.DONE}
    bad.refresh_from_db()
    assert (bad.status, bad.attempts, bad.last_error) == (JobStatus.QUEUED, 1, "RuntimeError: bad value")


@pytest.mark.django_db
def test_a_batch_skips_jobs_another_worker_already_claimed(batch_task: str) -> None:
    first, second, third = (jobs.job_enqueue(task=batch_task, args=[value]) for value in (1, 2, 3))
    Job.objects.filter(pk=second.pk).update(status=JobStatus.RUNNING)

    assert jobs.jobs_run_batch([first.pk, second.pk, third.pk]) == 2

    assert BATCHES == [[[1], [3]]]
    assert Job.objects.get(pk=second.pk).status == JobStatus.RUNNING


def test_an_idle_worker_wakes_when_another_process_rings_the_jobs_bell(settings: Any, tmp_path: Any) -> None:
    """A webhook stored by a web process wakes the parent's workers through the bell, not the Event."""
    import threading

    from lara.core.bell import JOBS, bell_ring

    settings.VAR_DIR = tmp_path
    jobs.wakeup.clear()
    worker = jobs.EmbeddedWorker(threading.Event())
    woke = threading.Event()
    waiter = threading.Thread(target=lambda: (worker.idle(seconds=30), woke.set()))
    waiter.start()

    for _ in range(100):  # rung until heard: the worker may still be reading the bell's first time
        bell_ring(JOBS)  # what _dispatch does in a process whose Event this worker cannot see
        if woke.wait(timeout=0.05):
            break

    assert woke.is_set()
    assert not jobs.wakeup.is_set()
    waiter.join()
