"""Shared steps of the engagement tests: API clients and a case written from X."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from lara.cases.models import Case
from lara.core.jobs import jobs_run_pending
from lara.core.services import api_token_create
from lara.mentions.services import message_ingest_json

from ..factories import inbound


def api(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {api_token_create(user=user)}"})


def post(client: Client, url: str, payload: Any) -> Any:
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def case_from_x(text: str = "My bike arrived broken", external_id: str = "dana-x") -> Case:
    """Dana writes on X; the pipeline opens a case of team Service (a complaint)."""
    message_ingest_json(
        data=inbound(text=text, author={"external_id": external_id, "handle": "@dana", "name": "Dana"})
    )
    jobs_run_pending()
    return Case.objects.get(customer__profiles__external_id=external_id)
