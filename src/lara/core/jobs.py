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
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

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

DISPATCH_GRACE = timedelta(seconds=30)


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


def _dispatch_many(job_ids: list[int]) -> None:
    if settings.LARA_EMBEDDED:
        wakeup.set()
        return
    for job_id in job_ids:
        _dispatch(job_id)


def _dispatch(job_id: int, delay: timedelta | None = None) -> None:
    if settings.LARA_EMBEDDED:
        wakeup.set()
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


def job_run(job_id: int) -> bool:
    """Claim one job and run it; return True when it finished successfully."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED, run_after__lte=now).update(
        status=JobStatus.RUNNING,
        lease_until=now + timedelta(seconds=settings.LARA_JOB_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return False
    job = Job.objects.get(pk=job_id)
    try:
        import_string(job.task)(*job.args)
    except Exception as exc:
        failed = job.attempts >= settings.LARA_JOB_MAX_ATTEMPTS
        log.exception("job %s %s failed (attempt %s)", job.pk, job.task, job.attempts)
        # A rate-limited network says how long to wait (retry_after, seconds).
        asked = getattr(exc, "retry_after", None)
        wait = timedelta(seconds=float(asked)) if asked else _backoff(job.attempts)
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED if failed else JobStatus.QUEUED,
            run_after=timezone.now() + wait,
            lease_until=None,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now() if failed else None,
        )
        return False
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.DONE, finished_at=timezone.now(), lease_until=None, last_error=""
    )
    return True


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
        ran += sum(1 for job_id in batch if job_run(job_id))
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


class EmbeddedWorker(threading.Thread):
    """Poll the job table inside `lara run`, waking early when a job is committed."""

    def __init__(self, stop: threading.Event, name: str = "lara-worker") -> None:
        super().__init__(name=name, daemon=True)
        self.stop = stop

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                batch = jobs_due(limit=20)
                for job_id in batch:
                    if self.stop.is_set():
                        break
                    job_run(job_id)
            except Exception:
                log.exception("embedded worker loop error")
                batch = []
            finally:
                close_old_connections()
            if not batch:
                wakeup.wait(timeout=1.0)
                wakeup.clear()


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
