"""Decide who may open a settings screen: leads and admins, some screens admins only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from lara.core.models import Membership, Role
from lara.core.selectors import user_role

View = Callable[..., HttpResponse]


def settings_role(request: HttpRequest) -> str:
    """Return "lead" or "admin", or refuse (403) everyone else."""
    role = user_role(request.user)
    if role not in (Role.LEAD, Role.ADMIN):
        raise PermissionDenied("Settings are for team leads and admins")
    return str(role)


def is_admin(request: HttpRequest) -> bool:
    return user_role(request.user) == Role.ADMIN


def lead_or_admin(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        settings_role(request)
        return view(request, *args, **kwargs)

    return wrapped


def admin_only(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings_role(request) != Role.ADMIN:
            raise PermissionDenied("Only admins may change this")
        return view(request, *args, **kwargs)

    return wrapped


def led_team_ids(user: Any) -> set[int]:
    """Teams in which the user is a lead (an admin leads every team)."""
    return set(Membership.objects.filter(user=user, role=Role.LEAD).values_list("team_id", flat=True))
