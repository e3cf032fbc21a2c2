"""Match messages against the monitoring queries (the syntax is in ``lara.channels.query_syntax``).

Re-exported here because the rest of the product thinks of queries as part
of listening; the implementation sits in ``lara.channels`` so that network
adapters, which may not import this layer, share the very same matcher.
"""

from __future__ import annotations

from lara.channels.query_syntax import Clause, query_matches, query_parse

__all__ = ["Clause", "query_matches", "query_parse"]
