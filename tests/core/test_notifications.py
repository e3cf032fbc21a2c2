"""In-app notifications: written for one person, unread until they read them."""

from __future__ import annotations

from typing import Any

from lara.core.selectors import notification_list_unread
from lara.core.services import notification_create, notification_mark_read


def test_a_notification_is_unread_until_read(org: dict[str, Any]) -> None:
    first = notification_create(user=org["alice"], text="LR-1001: first response due", url="/cases/LR-1001/")
    second = notification_create(user=org["alice"], text="Reminder: call Dana")
    notification_create(user=org["bob"], text="not for alice")

    assert list(notification_list_unread(user=org["alice"])) == [second, first]

    notification_mark_read(notification=first)

    assert list(notification_list_unread(user=org["alice"])) == [second]
    first.refresh_from_db()
    assert first.read_at is not None
