"""Run a dead-lettered delivery or polled item through its adapter again, after a fix.

A webhook delivery is replayed as the whole request through
``webhook_receive`` (so its signature is checked again and the messages it
already stored come back as duplicates); a polled item goes through the
adapter's ``parse_item`` and ``message_ingest``. Either way a replay can be
repeated safely: each message is stored once per channel and external id.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from lara.channels.base import ChannelError, ItemParser, WebhookRequest
from lara.channels.registry import adapter_for

from .models import DeadLetter
from .services import Outcome, message_ingest
from .webhooks import webhook_receive


@dataclass(frozen=True)
class ReplayResult:
    dead_letter_id: int
    created: int = 0
    duplicate: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def dead_letter_waiting() -> QuerySet[DeadLetter]:
    """Dead letters never replayed, or whose last replay failed."""
    return DeadLetter.objects.filter(Q(replayed_at__isnull=True) | ~Q(replay_error=""))


def _replay_webhook(dead: DeadLetter) -> ReplayResult:
    payload = dead.payload
    request = WebhookRequest(
        headers={str(k): str(v) for k, v in (payload.get("headers") or {}).items()},
        body=str(payload.get("body") or "").encode("utf-8"),
        query={str(k): str(v) for k, v in (payload.get("query") or {}).items()},
    )
    newest = DeadLetter.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    outcome = webhook_receive(channel_slug=dead.channel.slug, request=request)
    # A replay that fails again must not file the same request a second time:
    # this row already holds it, and its replay_error tells the new reason.
    for again in DeadLetter.objects.filter(channel_id=dead.channel_id, pk__gt=newest):
        if again.payload == payload:
            again.delete()
    body = outcome.body
    if outcome.status != 200:
        return ReplayResult(dead.pk, error=f"HTTP {outcome.status}: {body.get('detail', '')}")
    rejected = "; ".join(f"item {r['index']}: {r['reason']}" for r in body.get("rejected_items", []))
    return ReplayResult(
        dead.pk,
        created=int(body.get(Outcome.CREATED.value, 0)),
        duplicate=int(body.get(Outcome.DUPLICATE.value, 0)),
        error=rejected,
    )


def _replay_item(dead: DeadLetter) -> ReplayResult:
    channel = dead.channel
    try:
        adapter: object = adapter_for(channel.network)
    except ChannelError as exc:
        return ReplayResult(dead.pk, error=str(exc))
    if not isinstance(adapter, ItemParser):
        return ReplayResult(dead.pk, error=f"network {channel.network!r} cannot parse a single item again")
    try:
        message = adapter.parse_item(channel=channel.slug, item=dead.payload)
    except (ChannelError, ValueError, KeyError, TypeError) as exc:
        return ReplayResult(dead.pk, error=f"still unparseable: {exc}")
    result = message_ingest(message=message)
    if result.outcome is Outcome.REJECTED:
        return ReplayResult(dead.pk, error=result.reason)
    created = result.outcome is Outcome.CREATED
    return ReplayResult(dead.pk, created=int(created), duplicate=int(not created))


def dead_letter_replay(*, dead_letter_id: int) -> ReplayResult:
    """Replay one dead letter and record when, and with what error, on the row."""
    dead = DeadLetter.objects.select_related("channel").get(pk=dead_letter_id)
    replay = _replay_webhook if dead.source == DeadLetter.Source.WEBHOOK else _replay_item
    result = replay(dead)
    DeadLetter.objects.filter(pk=dead.pk).update(replayed_at=timezone.now(), replay_error=result.error[:2000])
    return result
