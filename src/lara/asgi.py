"""Expose the ASGI application served by uvicorn."""

import ctypes
import multiprocessing
import os
import signal
import sys

from django.core.asgi import get_asgi_application


def _die_with_the_parent() -> None:
    """Make a web worker process of ``lara run`` end when its parent does.

    With ``LARA_WEB_WORKERS`` > 1 uvicorn spawns the web processes; if the
    parent is killed (a crash, ``kill -9``) they would live on holding the
    port, and the restarted ``lara run`` could not listen. Linux's
    PR_SET_PDEATHSIG ends them with their parent.
    """
    if multiprocessing.parent_process() is None or not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before we asked
        os._exit(0)


_die_with_the_parent()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lara.settings")
application = get_asgi_application()
