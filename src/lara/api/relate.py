"""REST endpoints of the Relate side: identity links, merges, CRM sync, privacy."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["relate"])
