"""Keep the query planner's statistics current.

SQLite plans without statistics until ``ANALYZE`` runs; without them it
sorts every open case to show the inbox's first page instead of walking the
``updated_at`` index (0.8 ms instead of 170 ms with 100,000 cases). The job
runs hourly and at start; on PostgreSQL autovacuum already does this.
"""

from __future__ import annotations

import logging

from django.db import connection

log = logging.getLogger(__name__)


def _in_memory() -> bool:
    """A throwaway in-memory database (the test runner's) has nothing worth planning for."""
    return bool(connection.is_in_memory_db())  # type: ignore[attr-defined]


def database_analyze() -> bool:
    """Refresh SQLite's planner statistics; False on other databases (they do it themselves) and in memory."""
    if connection.vendor != "sqlite" or _in_memory():
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log.info("refreshed the SQLite planner statistics")
    return True
