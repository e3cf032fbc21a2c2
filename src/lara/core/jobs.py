"""Run background work from durable Job rows, in either mode.

A job is a dotted path to a plain function plus JSON arguments (ids). It is
written in the caller's transaction, so nothing can be lost between "stored"
and "processed": the embedded worker threads poll the table; in the scaled
mode each job is also handed to Celery on commit, and the periodic sweep
re-hands anything whose hand-off or worker was lost. Claiming is a
conditional UPDATE, so a job handed out twice still runs once at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from .bell import JOBS, bell_ring, bell_version
from .bulk import rows_insert
from .models import Job, JobStatus

log = logging.getLogger(__name__)

#: Set when a job is committed in this process, so embedded workers wake at once.
wakeup = threading.Event()

#: Periodic jobs: dotted path → interval in seconds. Apps add theirs in ready().
PERIODIC_JOBS: dict[str, int] = {
    "lara.core.jobs.jobs_purge_finished": 3600,
    "lara.core.database.database_analyze": 3600,
}

#: Tasks whose due jobs a worker may run together: task path → dotted path of a
#: function taking the list of those jobs' argument lists. Apps add theirs in ready().
BATCH_TASKS: dict[str, str] = {}

DISPATCH_GRACE = timedelta(seconds=30)

#: How many due jobs an embedded worker takes at a time.
BATCH_SIZE = 50


def task_path(func: Callable[..., Any] | str) -> str:
    return func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"


def job_enqueue(
    *, task: Callable[..., Any] | str, args: Sequence[Any] = (), delay: timedelta | None = None
) -> Job:
    """Write a job row now; hand it to a worker once the transaction commits."""
    run_after = timezone.now() + (delay or timedelta(0))
    job = Job.objects.create(task=task_path(task), args=list(args), run_after=run_after)
    transaction.on_commit(lambda: _dispatch(job.pk, delay))
    return job


def jobs_enqueue_many(*, task: Callable[..., Any] | str, args_list: Sequence[Sequence[Any]]) -> list[int]:
    """Write one job per argument list in one INSERT; hand them to workers once the transaction commits.

    Batched ingest stores hundreds of messages at once: one row per job as
    ``job_enqueue`` would cost a query each. Returns the job ids. Embedded
    workers are woken once; in the scaled mode each job is still handed to
    Celery by id (and the sweep re-hands any whose hand-off was lost).
    """
    if not args_list:
        return []
    now = timezone.now()
    path = task_path(task)
    ids = rows_insert(Job, [{"task": path, "args": list(args), "run_after": now} for args in args_list])
    transaction.on_commit(lambda: _dispatch_many(ids))
    return ids


def _wake_embedded() -> None:
    """Wake the embedded workers: this process's at once, another process's through the jobs bell."""
    wakeup.set()
    bell_ring(JOBS)


def _dispatch_many(job_ids: list[int]) -> None:
    if settings.LARA_EMBEDDED:
        _wake_embedded()
        return
    for job_id in job_ids:
        _dispatch(job_id)


def _dispatch(job_id: int, delay: timedelta | None = None) -> None:
    if settings.LARA_EMBEDDED:
        _wake_embedded()
        return
    from .tasks import run_job_task

    try:
        if delay:
            run_job_task.apply_async(args=(job_id,), countdown=delay.total_seconds())
        else:
            run_job_task.apply_async(args=(job_id,))
    except Exception:  # the broker is down: the sweep will hand the job out again
        log.warning("could not hand job %s to the broker; the sweep will retry", job_id)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 600))


def _claim(job_id: int) -> bool:
    """Take one queued, due job for this worker; False when another worker was first."""
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED, run_after__lte=now).update(
            status=JobStatus.RUNNING,
            lease_until=now + timedelta(seconds=settings.LARA_JOB_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    )


def _finished(job_ids: Sequence[int]) -> None:
    Job.objects.filter(pk__in=job_ids).update(
        status=JobStatus.DONE, finished_at=timezone.now(), lease_until=None, last_error=""
    )


def job_run(job_id: int) -> bool:
    """Claim one job and run it; return True when it finished successfully."""
    if not _claim(job_id):
        return False
    return _execute(Job.objects.get(pk=job_id))


def _execute(job: Job) -> bool:
    try:
        import_string(job.task)(*job.args)
    except Exception as exc:
        failed = job.attempts >= settings.LARA_JOB_MAX_ATTEMPTS
        log.exception("job %s %s failed (attempt %s)", job.pk, job.task, job.attempts)
        # A rate-limited network says how long to wait (retry_after, seconds).
        asked = getattr(exc, "retry_after", None)
        wait = timedelta(seconds=float(asked)) if asked else _backoff(job.attempts)
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED if failed else JobStatus.QUEUED,
            run_after=timezone.now() + wait,
            lease_until=None,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now() if failed else None,
        )
        return False
    _finished([job.pk])
    return True


def jobs_run_batch(job_ids: Sequence[int]) -> int:
    """Run these jobs; those of a task in ``BATCH_TASKS`` go through its batch function together.

    Why: a backlog of single-message jobs costs a claim, a finish and a
    model call per message; run together they share all three, so a burst
    drains in a fraction of the time. If the batch function fails, each of
    its jobs runs again on its own (the tasks are idempotent), so one bad
    message is retried and reported alone and the others finish.
    Returns how many finished successfully.
    """
    tasks = dict(Job.objects.filter(pk__in=job_ids).values_list("pk", "task"))
    ran = 0
    groups: dict[str, list[int]] = {}
    for pk in job_ids:
        task = tasks.get(pk)
        if task is not None and task in BATCH_TASKS:
            groups.setdefault(task, []).append(pk)
        elif task is not None:
            ran += job_run(pk)
    for task, pks in groups.items():
        ran += _run_together(task, pks)
    return ran


def _run_together(task: str, job_ids: list[int]) -> int:
    claimed = [pk for pk in job_ids if _claim(pk)]
    if len(claimed) <= 1:
        return sum(_execute(job) for job in Job.objects.filter(pk__in=claimed))
    jobs = list(Job.objects.filter(pk__in=claimed).order_by("pk"))
    try:
        import_string(BATCH_TASKS[task])([job.args for job in jobs])
    except Exception:
        log.warning("batch of %s %s jobs failed; running them one by one", len(jobs), task, exc_info=True)
        return sum(_execute(job) for job in jobs)
    _finished(claimed)
    return len(claimed)


def jobs_due(limit: int = 50) -> list[int]:
    return list(
        Job.objects.filter(status=JobStatus.QUEUED, run_after__lte=timezone.now())
        .order_by("run_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def jobs_run_pending(max_rounds: int = 100) -> int:
    """Run due jobs until none is left (jobs may enqueue more); return how many ran."""
    ran = 0
    for _ in range(max_rounds):
        batch = jobs_due()
        if not batch:
            break
        ran += jobs_run_batch(batch)
    return ran


def jobs_requeue_stale() -> int:
    """Put back jobs whose worker died while holding them."""
    return Job.objects.filter(status=JobStatus.RUNNING, lease_until__lt=timezone.now()).update(
        status=JobStatus.QUEUED, lease_until=None
    )


def jobs_enqueue_periodic() -> list[Job]:
    """Enqueue each periodic job whose interval has passed since it was last enqueued."""
    now = timezone.now()
    created = []
    # One transaction: the jobs are handed out together after the commit, so a
    # worker never runs the first while the sweep is still writing the others.
    with transaction.atomic():
        for path, seconds in PERIODIC_JOBS.items():
            recent = Job.objects.filter(task=path, created_at__gt=now - timedelta(seconds=seconds))
            if not recent.exists():
                created.append(job_enqueue(task=path))
    return created


def jobs_sweep() -> None:
    """Keep the queue moving: stale leases, periodic jobs, lost hand-offs."""
    jobs_requeue_stale()
    jobs_enqueue_periodic()
    if not settings.LARA_EMBEDDED:
        cutoff = timezone.now() - DISPATCH_GRACE
        for job_id in Job.objects.filter(
            status=JobStatus.QUEUED, run_after__lte=timezone.now(), created_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]:
            _dispatch(job_id)


def jobs_purge_finished(days: int = 7) -> int:
    """Delete finished jobs after a week; failed ones stay for inspection."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = Job.objects.filter(status=JobStatus.DONE, finished_at__lt=cutoff).delete()
    return deleted


#: While idle, how often a worker looks at the jobs bell (a ``stat``, no query).
BELL_CHECK_SECONDS = 0.02


class EmbeddedWorker(threading.Thread):
    """Poll the job table inside `lara run`, waking early when a job is committed.

    Webhooks are stored by the web processes, so the wake-up that matters
    crosses processes: an idle worker checks the jobs bell every 20 ms and
    reads the job table at least once a second.
    """

    def __init__(self, stop: threading.Event, name: str = "lara-worker") -> None:
        super().__init__(name=name, daemon=True)
        self.stop = stop

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                batch = jobs_due(limit=BATCH_SIZE)
                if batch and not self.stop.is_set():
                    jobs_run_batch(batch)
            except Exception:
                log.exception("embedded worker loop error")
                batch = []
            finally:
                close_old_connections()
            if not batch:
                self.idle(seconds=1.0)

    def idle(self, *, seconds: float) -> None:
        """Wait until a job is committed here or elsewhere, the time is up, or we are stopped."""
        rung = bell_version(JOBS)
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and time.monotonic() < deadline:
            if wakeup.wait(timeout=BELL_CHECK_SECONDS):
                wakeup.clear()
                return
            if bell_version(JOBS) != rung:
                return


class EmbeddedScheduler(threading.Thread):
    """Run the periodic sweep every few seconds inside `lara run`."""

    def __init__(self, stop: threading.Event, interval: float = 5.0) -> None:
        super().__init__(name="lara-scheduler", daemon=True)
        self.stop = stop
        self.interval = interval

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                jobs_sweep()
            except Exception:
                log.exception("embedded scheduler error")
            finally:
                close_old_connections()
            self.stop.wait(self.interval)


def jobs_recover_after_restart() -> int:
    """Re-queue every running job when the embedded process starts.

    Only one embedded process runs the queue, so anything still marked
    running was held by the process that just died.
    """
    return Job.objects.filter(status=JobStatus.RUNNING).update(status=JobStatus.QUEUED, lease_until=None)
