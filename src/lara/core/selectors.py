"""Read who may see what: roles and team visibility."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import ROLE_RANK, Membership, Notification, Role, Team


def user_role(user: Any) -> str | None:
    """Return the user's highest role across teams (superusers are admins)."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    roles = Membership.objects.filter(user=user).values_list("role", flat=True)
    return max(roles, key=lambda r: ROLE_RANK[Role(r)], default=None)


def user_sees_all_teams(user: Any) -> bool:
    return user_role(user) in {Role.LEAD, Role.ADMIN}


def user_team_ids(user: Any) -> list[int]:
    return list(Membership.objects.filter(user=user).values_list("team_id", flat=True))


def team_list() -> list[Team]:
    return list(Team.objects.all())


def notification_list_unread(*, user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, read_at__isnull=True).order_by("-created_at", "-pk")
