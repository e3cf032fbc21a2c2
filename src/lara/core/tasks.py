"""Celery entry points of the scaled mode; each one is thin and retry-safe."""

from __future__ import annotations

from celery import shared_task

from . import jobs


@shared_task(name="lara.core.run_job")
def run_job_task(job_id: int) -> bool:
    """Run one durable job by id (a duplicate hand-off finds it claimed and returns)."""
    return jobs.job_run(job_id)


@shared_task(name="lara.core.sweep_jobs")
def sweep_jobs_task() -> None:
    """Re-queue stale jobs, enqueue periodic ones, re-hand lost ones."""
    jobs.jobs_sweep()
