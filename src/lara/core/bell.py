"""Ring the live pages the moment something they show changes on this machine.

The live stream (``web/live.py``) compares a database fingerprint; doing so
every few hundred milliseconds for every open page costs queries and still
adds up to a whole interval of delay. Services ring this bell after their
transaction commits; each stream checks it often and runs the fingerprint
query only when it moved — or, for changes made on other machines (Celery
workers in the scaled mode), on its regular interval.

The bell is a file's modification time under ``var/``, so the web processes
and the embedded workers (which run in the parent process of ``lara run``)
hear each other without a broker: a ``stat`` per check, no query. The job
queue has a bell of its own (``JOBS``): a job committed in a web process
wakes the embedded workers of the parent process at once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction

LIVE = "live"
JOBS = "jobs"


def _path(name: str) -> Path:
    return Path(settings.VAR_DIR) / f"{name}.bell"


def bell_ring(name: str = LIVE) -> None:
    """Mark a change now (call after the change is visible to other connections)."""
    path = _path(name)
    try:
        os.utime(path, ns=(time.time_ns(), time.time_ns()))
    except FileNotFoundError:
        path.touch()


def bell_ring_on_commit() -> None:
    """Ring once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(bell_ring)


def bell_version(name: str = LIVE) -> int:
    """The time of the last ring in nanoseconds (0 before the first)."""
    try:
        return _path(name).stat().st_mtime_ns
    except FileNotFoundError:
        return 0
