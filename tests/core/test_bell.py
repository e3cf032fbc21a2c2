"""The change bell: rung after a commit, heard by every process on the machine."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from lara.core.bell import bell_ring_on_commit, bell_version
from lara.mentions.services import message_ingest_json

from ..factories import inbound


@pytest.mark.django_db(transaction=True)
def test_the_bell_rings_only_when_the_change_commits(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    assert bell_version() == 0

    with pytest.raises(RuntimeError), transaction.atomic():
        bell_ring_on_commit()
        raise RuntimeError("rolled back")
    assert bell_version() == 0

    with transaction.atomic():
        bell_ring_on_commit()
        assert bell_version() == 0  # not before the commit
    first = bell_version()
    assert first > 0


def test_storing_a_message_rings(
    org: dict[str, Any], settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.VAR_DIR = tmp_path

    with django_capture_on_commit_callbacks(execute=True):
        message_ingest_json(data=inbound(text="Is the app down?"))

    assert bell_version() > 0
    assert (tmp_path / "live.bell").exists()
