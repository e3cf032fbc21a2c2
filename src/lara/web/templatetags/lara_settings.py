"""Template helpers of the settings screens (the navigation shows Settings to leads and admins)."""

from __future__ import annotations

from typing import Any

from django import template

from lara.core.models import Role
from lara.core.selectors import user_role

register = template.Library()


@register.filter
def opens_settings(user: Any) -> bool:
    """Whether the Settings link is worth showing: the screens answer 403 to everyone else."""
    return bool(getattr(user, "is_authenticated", False)) and user_role(user) in (Role.LEAD, Role.ADMIN)
