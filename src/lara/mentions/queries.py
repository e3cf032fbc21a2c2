"""Match messages against the monitoring queries (the language is in ``lara.channels.query_syntax``).

Re-exported here because the rest of the product thinks of queries as part
of listening; the implementation sits in ``lara.channels`` so that network
adapters, which may not import this layer, share the very same matcher.
"""

from __future__ import annotations

from lara.channels.query_syntax import Clause, matches, query_matches, query_parse, query_tree

__all__ = ["Clause", "matches", "query_matches", "query_parse", "query_tree"]
