"""Give the customer page the customer's survey answers, idea votes and offers.

Kept apart from ``views.customer_detail`` so the 360° page gains the section
by one context line and one include (``lara/_customer_engagement.html``).
"""

from __future__ import annotations

from typing import Any

from lara.customers.models import Customer
from lara.engage.selectors import customer_engagement


def customer_engagement_context(customer: Customer) -> dict[str, Any]:
    """The template context of the engagement partial (three queries, newest first, 20 of each)."""
    return {"engagement": customer_engagement(customer=customer)}
