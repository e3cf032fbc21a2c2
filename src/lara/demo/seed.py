"""Create the demo organisation once: teams, agents, channels, rules, CRM customers.

Passwords are random per install and kept in var/demo-logins.txt (mode 600),
so a demo left running on a network never has a guessable login.
"""

from __future__ import annotations

import json
import os
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from lara.cases.act_defaults import act_demo_install
from lara.cases.defaults import defaults_install
from lara.channels.models import Channel, default_business_hours
from lara.core.models import AgentProfile, Membership, Role, Team
from lara.customers.segments import segment_create
from lara.customers.services import customers_import_csv

#: username, full name, team slug, role, languages
AGENTS = [
    ("admin", "Avery Admin", "service", Role.ADMIN, ["en", "he", "ru", "uk"]),
    ("lead", "Lior Lead", "service", Role.LEAD, ["en", "he"]),
    ("sara", "Sara Cohen", "service", Role.AGENT, ["en", "he"]),
    ("igor", "Igor Petrenko", "service", Role.AGENT, ["ru", "uk", "en"]),
    ("noa", "Noa Barak", "marketing", Role.AGENT, ["he", "en"]),
    ("olena", "Olena Kovalenko", "sales", Role.AGENT, ["uk", "ru", "en"]),
    ("dan", "Dan Rivers", "pr", Role.AGENT, ["en"]),
    ("maya", "Maya Stern", "product", Role.AGENT, ["en", "he", "ru"]),
]

#: slug, name, network, account
CHANNELS = [
    ("api", "API", "api", "api"),
    ("x", "Volta on X", "twitter", "@volta"),
    ("facebook", "Volta Facebook Page", "facebook", "Volta Bikes"),
    ("instagram", "Volta Instagram", "instagram", "volta.bikes"),
    ("reviews", "Reviews", "reviews", "Volta"),
    ("forum", "Cycling forum feed", "rss", "forum"),
    ("email", "Support mailbox", "email", "support@volta.example"),
    ("chat", "Web chat", "chat", "volta.example"),
]

#: name, slug, definition: two segments a routing rule or a lead can use at once
DEMO_SEGMENTS = [
    (
        "VIP at risk",
        "vip-at-risk",
        {"tier": ["gold", "platinum", "vip"], "complaints": {"min": 2, "days": 30}},
    ),
    ("Ready to buy", "ready-to-buy", {"purchase_intent_days": 14}),
]

LOGINS_FILE = "demo-logins.txt"


def demo_data_path(name: str) -> Path:
    return Path(str(resources.files("lara.demo") / "data" / name))


def demo_logins() -> dict[str, str]:
    path = Path(settings.VAR_DIR) / LOGINS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def demo_channel_config(network: str) -> dict[str, Any]:
    """Let the web chat be tried on the app's own demo page (/chat/demo/) where `lara run` listens."""
    if network != "chat":
        return {}
    host, port = os.environ.get("LARA_HOST", "127.0.0.1"), os.environ.get("LARA_PORT", "8000")
    names = [h for h in dict.fromkeys([host, "127.0.0.1", "localhost"]) if h not in ("0.0.0.0", "::")]  # noqa: S104
    origins = [f"http://{name}:{port}" for name in names]
    return {
        "allowed_origins": origins,
        "greeting": "Hi! Ask us anything about Volta bikes, in English, Hebrew, Russian or Ukrainian.",
        "brand_color": "#0b6e4f",
    }


def demo_is_seeded() -> bool:
    return (
        Channel.objects.filter(slug="api").exists()
        and get_user_model().objects.filter(username="admin").exists()
    )


def demo_seed(*, with_passwords: bool = True) -> dict[str, str]:
    """Create the demo organisation if it is not there; return the logins."""
    if demo_is_seeded():
        return demo_logins()
    logins: dict[str, str] = {}
    User = get_user_model()
    with transaction.atomic():
        defaults_install()
        for slug, name, network, account in CHANNELS:
            hours = default_business_hours()
            hours["time_zone"] = "Asia/Jerusalem" if slug in ("facebook", "instagram") else "Europe/Berlin"
            Channel.objects.get_or_create(
                slug=slug,
                # The demo stream feeds these channels; nothing is fetched from a network.
                defaults={
                    "name": name,
                    "network": network,
                    "account_name": account,
                    "business_hours": hours,
                    "poll_interval_seconds": 0,
                    "config": demo_channel_config(network),
                },
            )
        for username, full_name, team_slug, role, languages in AGENTS:
            first, last = full_name.split(" ", 1)
            user = User.objects.create_user(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@volta.example",
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
            )
            password = secrets.token_urlsafe(9) if with_passwords else None
            user.set_password(password) if password else user.set_unusable_password()
            user.save()
            if password:
                logins[username] = password
            # The admin configures; agents and the lead take cases.
            AgentProfile.objects.create(
                user=user, languages=languages, capacity=0 if role == Role.ADMIN else 20
            )
            Membership.objects.create(team=Team.objects.get(slug=team_slug), user=user, role=role)
        customers_import_csv(text=demo_data_path("crm_customers.csv").read_text(encoding="utf-8"))
        for name, slug, definition in DEMO_SEGMENTS:
            segment_create(name=name, slug=slug, definition=definition)
        act_demo_install()
    if logins:
        path = Path(settings.VAR_DIR) / LOGINS_FILE
        path.write_text(json.dumps(logins, indent=1), encoding="utf-8")
        path.chmod(0o600)
    return logins
