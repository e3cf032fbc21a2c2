"""Load network adapters lazily by dotted path (the core never imports a network)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Adapter, ChannelError


@cache
def adapter_for(network: str) -> Adapter:
    path = settings.LARA_NETWORKS.get(network)
    if path is None:
        raise ChannelError(f"no outbound connector is installed for network {network!r}", permanent=True)
    try:
        adapter: Adapter = import_string(path)()
    except ImportError as exc:  # one broken connector must not stop every other channel
        raise ChannelError(
            f"the connector for network {network!r} failed to load: {exc}", permanent=True
        ) from exc
    return adapter
