"""Stream "something changed" to the inbox and mentions pages as server-sent events.

The page keeps one EventSource open; this async view looks at a cheap
fingerprint of what the user may see (how many cases, the newest change, the
newest message and analysis) when this process rang the change bell
(``core/bell.py``) and at least every LARA_LIVE_POLL_SECONDS for changes made
by other processes, and sends an event when it moves, and the page then asks htmx to re-render its rows with
its own filters. Only a fingerprint of cases the user may see is compared, so
a change in another team's case never wakes an agent's page. The stream ends
after LARA_LIVE_STREAM_SECONDS (the browser reconnects at once), so no server
thread or database connection is held forever, and works the same with
SQLite or PostgreSQL and in the embedded or the scaled mode, because it reads
the database every worker writes to.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.db.models import Count, Max
from django.http import HttpRequest, StreamingHttpResponse

from lara.analysis.models import Analysis
from lara.cases.selectors import case_visible_to
from lara.core.bell import bell_version
from lara.mentions.models import Message

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
#: How often a stream looks at the in-process bell (a memory read, no query).
BELL_SECONDS = 0.05


def live_fingerprint(*, user: Any) -> dict[str, str]:
    """Sum up, per event name, the state of what ``user`` may see, in a few indexed aggregates."""
    cases = case_visible_to(user).order_by().aggregate(n=Count("pk"), last=Max("updated_at"), top=Max("pk"))
    newest_message = Message.objects.order_by().aggregate(top=Max("pk"))["top"]
    newest_analysis = Analysis.objects.order_by().aggregate(top=Max("pk"))["top"]
    return {
        "cases": f"{cases['n']}:{cases['top']}:{cases['last'].isoformat() if cases['last'] else ''}",
        "mentions": f"{newest_message}:{newest_analysis}",
    }


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


async def live_events(
    *, user: Any, baseline: dict[str, str], seconds: float, poll: float
) -> AsyncIterator[str]:
    """Yield SSE frames for ``seconds``: one event each time a fingerprint moves from ``baseline``."""
    loop = asyncio.get_running_loop()
    fingerprint = sync_to_async(live_fingerprint)
    last = baseline
    yield "retry: 1000\n\n"
    started = last_sent = last_read = loop.time()
    rung = bell_version()
    while loop.time() - started < seconds:
        await asyncio.sleep(BELL_SECONDS)
        # Read the database when this process rang (a change here) or on the
        # interval (a change made by another process, e.g. a Celery worker).
        if bell_version() == rung and loop.time() - last_read < poll:
            continue
        rung, last_read = bell_version(), loop.time()
        try:
            now = await fingerprint(user=user)
        except DatabaseError:  # a busy SQLite file or a failover: try again next tick
            log.warning("live stream could not read the fingerprint", exc_info=True)
            continue
        for name, value in now.items():
            if value != last.get(name):
                yield _event(name, {"changed": name})
                last_sent = loop.time()
        last = now
        if loop.time() - last_sent >= HEARTBEAT_SECONDS:
            yield ": keep-alive\n\n"  # a comment line keeps proxies from timing the stream out
            last_sent = loop.time()


@login_required
async def live_stream(request: HttpRequest) -> StreamingHttpResponse:
    """Serve ``text/event-stream`` for the signed-in user (events ``cases`` and ``mentions``)."""
    user = await request.auser()
    # The baseline is read before the response starts, so anything that changes
    # once the browser sees the stream open is reported.
    baseline = await sync_to_async(live_fingerprint)(user=user)
    response = StreamingHttpResponse(
        live_events(
            user=user,
            baseline=baseline,
            seconds=settings.LARA_LIVE_STREAM_SECONDS,
            poll=settings.LARA_LIVE_POLL_SECONDS,
        ),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event through at once
    return response
