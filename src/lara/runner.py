"""Start the whole product from one command (`lara run`).

Embedded mode: migrate, seed the demo organisation once, then serve the ASGI
app with uvicorn while worker threads, the scheduler and the demo stream run
in the same process. Scaled mode (REDIS_URL set): serve the web app only;
Celery workers and beat run as their own processes.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from multiprocessing.process import BaseProcess
from typing import Any, TextIO

from django.conf import settings
from django.core.management import call_command

log = logging.getLogger(__name__)


def _print_logins(stdout: TextIO, logins: dict[str, str], url: str) -> None:
    stdout.write(f"\nLara is starting at {url}\n")
    if logins:
        stdout.write("Demo logins (also in var/demo-logins.txt):\n")
        for username, password in logins.items():
            stdout.write(f"  {username:<8} {password}\n")
    stdout.write("\n")
    stdout.flush()


def worker_process_main(threads: int) -> None:
    """Run job-worker threads in a process of their own until the parent stops it.

    Why processes: the pipeline is CPU-bound Python, and the worker threads
    of one process share one core; a second process takes the other core
    when a burst of messages arrives. Claiming a job is a conditional
    UPDATE, so processes never run the same job twice.
    """
    from lara.children import die_with_the_parent

    die_with_the_parent()
    import django

    django.setup()
    from lara.core.jobs import EmbeddedWorker

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    workers = [EmbeddedWorker(stop, name=f"lara-worker-p{i}") for i in range(threads)]
    for worker in workers:
        worker.start()
    while not stop.wait(1.0):
        pass
    for worker in workers:
        worker.join(timeout=5)


def _worker_processes() -> list[BaseProcess]:
    context: Any = multiprocessing.get_context("spawn")
    return [
        context.Process(
            target=worker_process_main,
            args=(settings.LARA_WORKER_THREADS,),
            name=f"lara-workers-{i}",
            daemon=True,
        )
        for i in range(1, max(1, settings.LARA_WORKER_PROCESSES))
    ]


def serve(*, host: str, port: int, demo: bool, stdout: TextIO) -> int:
    import uvicorn

    from lara.core.jobs import EmbeddedScheduler, EmbeddedWorker, jobs_recover_after_restart

    call_command("migrate", interactive=False, verbosity=0)
    logins: dict[str, str] = {}
    if demo:
        from lara.demo.seed import demo_is_seeded, demo_seed
        from lara.demo.stream import demo_backfill

        first_start = not demo_is_seeded()
        logins = demo_seed()
        if first_start:
            demo_backfill(40)
    _print_logins(stdout, logins, f"http://{host}:{port}")

    stop = threading.Event()
    threads: list[threading.Thread] = []
    processes: list[BaseProcess] = []
    if settings.LARA_EMBEDDED:
        recovered = jobs_recover_after_restart()
        if recovered:
            log.info("re-queued %s jobs left running by the previous process", recovered)
        threads += [
            EmbeddedWorker(stop, name=f"lara-worker-{i}") for i in range(settings.LARA_WORKER_THREADS)
        ]
        threads.append(EmbeddedScheduler(stop))
        processes = _worker_processes()
    if demo:
        from lara.demo.stream import demo_stream

        threads.append(
            threading.Thread(target=demo_stream, kwargs={"stop": stop}, name="lara-demo", daemon=True)
        )
    for thread in threads:
        thread.start()
    for process in processes:
        process.start()
    try:
        uvicorn.run(
            "lara.asgi:application",
            host=host,
            port=port,
            log_level="info",
            lifespan="off",
            http="lara.tcp_nodelay:NoDelayH11Protocol",
            workers=max(1, settings.LARA_WEB_WORKERS),
        )
    finally:
        stop.set()
        for process in processes:
            process.terminate()
        for thread in threads:
            thread.join(timeout=5)
        for process in processes:
            process.join(timeout=10)
    return 0
