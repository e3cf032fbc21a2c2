"""Fixed personas and a deterministic analyzer for every test.

alice is an agent of Customer service, bob an agent of Sales, lena the team
lead, oscar an outsider with a login but no team.
"""

from __future__ import annotations

from typing import Any

import pytest

from lara.cases.defaults import defaults_install
from lara.core.models import Role, Team

from .factories import ChannelFactory, agent


@pytest.fixture(autouse=True)
def _fake_analyzer(settings: Any) -> Any:
    """Use the keyword analyzer so tests assert exact routing outcomes."""
    from lara.analysis import services

    settings.LARA_ANALYZER = "tests.fakes.FakeAnalyzer"
    services.analyzer.cache_clear()
    yield
    services.analyzer.cache_clear()


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    """Start every test with an empty cache (saved-view counts, rate limits are cached per user id)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def org(db: Any) -> dict[str, Any]:
    """The default teams and rules, an X and an API channel, and the personas."""
    defaults_install()
    service = Team.objects.get(slug="service")
    sales = Team.objects.get(slug="sales")
    # X and the mailbox are fed through ingest here, as in the demo: not fetched on a schedule.
    return {
        "x": ChannelFactory(slug="x", network="twitter", poll_interval_seconds=0),
        "api": ChannelFactory(slug="api", network="api", name="API"),
        "email": ChannelFactory(
            slug="email", network="email", name="Support mailbox", poll_interval_seconds=0
        ),
        "service": service,
        "sales": sales,
        "alice": agent("alice", team=service, languages=["en"]),
        "bob": agent("bob", team=sales, languages=["en", "uk"]),
        "lena": agent("lena", team=service, role=Role.LEAD, languages=["en", "he"]),
        "oscar": agent("oscar", team=None),
    }
