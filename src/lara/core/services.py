"""Write users' access: API tokens and team membership."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .models import ApiToken


def api_token_create(*, user: Any, name: str = "cli") -> str:
    """Create a token and return it in clear text: the only time it is visible."""
    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, name=name, prefix=raw[:12], digest=ApiToken.hash(raw))
    return raw


def api_token_authenticate(*, raw: str) -> Any | None:
    token = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(raw), revoked=False).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
