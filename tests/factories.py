"""Build test data that reads like the product: teams, agents, channels, messages."""

from __future__ import annotations

import itertools
from typing import Any

import factory
from django.contrib.auth import get_user_model

from lara.channels.models import Channel
from lara.core.models import AgentProfile, Membership, Role, Team

_ids = itertools.count(1)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"team-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.LazyAttribute(lambda o: o.username.title())
    password = factory.django.Password("correct horse battery")


def agent(
    username: str,
    *,
    team: Team | None,
    role: str = Role.AGENT,
    languages: list[str] | None = None,
    away: bool = False,
    capacity: int = 20,
) -> Any:
    """Create a user with a profile and, when given, a team membership."""
    user = UserFactory(username=username)
    AgentProfile.objects.update_or_create(
        user=user, defaults={"languages": languages or ["en"], "is_away": away, "capacity": capacity}
    )
    if team is not None:
        Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
    return user


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("slug",)

    slug = "x"
    name = factory.LazyAttribute(lambda o: f"Channel {o.slug}")
    network = "twitter"
    account_name = "@volta"


def inbound(**overrides: Any) -> dict[str, Any]:
    """An InboundMessage as JSON, valid unless overridden otherwise."""
    n = next(_ids)
    author = {"external_id": f"author-{n}", "handle": f"@author{n}", "name": f"Author {n}", "followers": 120}
    author.update(overrides.pop("author", {}))
    data: dict[str, Any] = {
        "channel": "x",
        "external_id": f"m-{n}",
        "kind": "post",
        "text": "Where can I buy the Volta City?",
        "created_at": "2026-11-20T09:14:00+00:00",
        "author": author,
    }
    data.update(overrides)
    return data
