"""Child processes of ``lara run`` that must not outlive it."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys


def die_with_the_parent() -> None:
    """Make a child process of ``lara run`` end when its parent does.

    The web processes (``LARA_WEB_WORKERS``) and the extra job-worker
    processes (``LARA_WORKER_PROCESSES``) are spawned children; if the parent
    is killed (a crash, ``kill -9``) they would live on holding the port or
    claiming jobs, and the restarted ``lara run`` could not listen. Linux's
    PR_SET_PDEATHSIG ends them with their parent.
    """
    if multiprocessing.parent_process() is None or not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before we asked
        os._exit(0)
