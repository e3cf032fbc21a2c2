"""The inbox's server-sent events: login required, only the user's own cases wake the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient, Client

from lara.core.jobs import jobs_run_pending
from lara.mentions.services import message_ingest_json

from ..factories import inbound


async def _frames(user: Any, during: Callable[[], object]) -> list[str]:
    """Open the stream as ``user``, run ``during`` once it is listening, collect every frame."""
    client = AsyncClient()
    await client.aforce_login(user)
    response = await client.get("/live/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    frames = []
    stream = aiter(response.streaming_content)
    frames.append((await anext(stream)).decode())  # the baseline is taken before this frame
    await sync_to_async(during)()
    async for chunk in stream:
        frames.append(chunk.decode())
    return frames


def _new_service_case() -> None:
    message_ingest_json(data=inbound(text="It is broken"))
    jobs_run_pending()


def _short_streams(settings: Any) -> None:
    settings.LARA_LIVE_POLL_SECONDS = 0.05
    settings.LARA_LIVE_STREAM_SECONDS = 0.6


def test_the_stream_needs_a_login(org: dict[str, Any]) -> None:
    response = Client().get("/live/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/live/")


def test_a_new_case_of_my_team_sends_an_event(org: dict[str, Any], settings: Any) -> None:
    _short_streams(settings)

    frames = async_to_sync(_frames)(org["alice"], _new_service_case)

    assert frames[0] == "retry: 1000\n\n"
    assert 'event: cases\ndata: {"changed": "cases"}\n\n' in frames
    assert 'event: mentions\ndata: {"changed": "mentions"}\n\n' in frames


def test_a_case_of_another_team_sends_no_case_event(org: dict[str, Any], settings: Any) -> None:
    _short_streams(settings)

    frames = async_to_sync(_frames)(org["bob"], _new_service_case)

    assert not any(frame.startswith("event: cases") for frame in frames)
    assert 'event: mentions\ndata: {"changed": "mentions"}\n\n' in frames  # the stream did see the message


def test_a_quiet_stream_ends_by_itself(org: dict[str, Any], settings: Any) -> None:
    _short_streams(settings)

    frames = async_to_sync(_frames)(org["alice"], lambda: None)

    assert frames == ["retry: 1000\n\n"]
