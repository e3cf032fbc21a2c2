"""Tell other systems (an existing CRM) about customer and case events: signed, retried, logged.

An event becomes one ``WebhookDelivery`` row per subscribed endpoint in the
transaction that made the change, plus a durable job per row; the job POSTs
it and records every attempt. 2xx is delivered; a 4xx other than 408/429
means the receiver refuses it for good; anything else (5xx, 408, 429, a
network error) raises so the job queue retries with exponential back-off,
until ``LARA_JOB_MAX_ATTEMPTS`` attempts have been made.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from lara.core.jobs import job_enqueue
from lara.customers.models import Customer

from .models import Case, DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

EVENTS = tuple(WebhookEvent.values)
TIMEOUT_SECONDS = 10.0
USER_AGENT = "Lara-Webhooks/1"


class WebhookError(Exception):
    """A delivery attempt that should be retried (the job queue backs off)."""


# --- payloads -------------------------------------------------------------------------


def customer_payload(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "external_id": customer.external_crm_id,
        "name": customer.name,
        "emails": list(customer.emails),
        "phones": list(customer.phones),
        "status": customer.status,
        "tier": customer.tier,
        "lifetime_value": f"{Decimal(customer.lifetime_value):.2f}",
        "company": customer.company,
        "city": customer.city,
        "owner": customer.owner.get_username() if customer.owner_id and customer.owner else None,
        "attributes": dict(customer.attributes),
        "merged_into": customer.merged_into_id,
    }


def case_payload(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "reference": case.reference,
        "status": case.status,
        "priority": case.priority,
        "subject": case.subject,
        "channel": case.channel.slug if case.channel_id else None,
        "team": case.team.slug if case.team_id and case.team else None,
        "assignee": case.assignee.get_username() if case.assignee_id and case.assignee else None,
        "customer": {"id": case.customer_id, "external_id": case.customer.external_crm_id},
        "created_at": case.created_at.isoformat(),
    }


# --- emitting -------------------------------------------------------------------------


def webhook_emit(*, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue ``event`` for every active endpoint that subscribed to it; call in the change's transaction."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    deliveries = []
    for endpoint in WebhookEndpoint.objects.filter(active=True):
        if event not in endpoint.events:
            continue
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, uuid=uuid.uuid4(), event=event, payload=data
        )
        job_enqueue(task=deliver_webhook_task, args=[delivery.pk])
        deliveries.append(delivery)
    return deliveries


def customer_event_forward(*, event: str, customer: Customer) -> None:
    """The hook the customers app calls (registered in ``CasesConfig.ready``)."""
    webhook_emit(event=event, data={"customer": customer_payload(customer)})


def customer_merged_emit(*, target: Customer, merged: Customer, merge_id: int) -> None:
    webhook_emit(
        event=WebhookEvent.CUSTOMER_MERGED,
        data={
            "merge": merge_id,
            "customer": customer_payload(target),
            "merged": {"id": merged.pk, "external_id": merged.external_crm_id},
        },
    )


def case_created_emit(*, case: Case) -> None:
    webhook_emit(event=WebhookEvent.CASE_CREATED, data={"case": case_payload(case)})


def case_status_changed_emit(*, case: Case, previous: str, reason: str = "") -> None:
    webhook_emit(
        event=WebhookEvent.CASE_STATUS_CHANGED,
        data={"case": case_payload(case), "from": previous, "to": case.status, "reason": reason},
    )


# --- endpoints ------------------------------------------------------------------------


UNRESOLVED = "cannot resolve the host"


def webhook_url_refusal(url: str) -> str:
    """Say why Lara must not POST to this URL ("" when it may).

    A webhook URL is typed by an admin but fetched by the server, so without
    this check it could reach the server's own loopback services, the
    private network or a cloud metadata address (169.254.169.254). Every
    address the host resolves to must be public, unless
    ``LARA_WEBHOOK_ALLOW_PRIVATE`` is set (tests, an on-premise CRM).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "url must start with http:// or https:// and name a host"
    if settings.LARA_WEBHOOK_ALLOW_PRIVATE:
        return ""
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        return f"{UNRESOLVED} {parts.hostname}"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            return (
                f"{parts.hostname} resolves to {address}, a loopback, private or link-local address; "
                "set LARA_WEBHOOK_ALLOW_PRIVATE=1 to allow it"
            )
    return ""


def webhook_endpoint_create(
    *, url: str, events: list[str], secret: str = "", active: bool = True, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; return it and its signing secret (generated when not given)."""
    if refusal := webhook_url_refusal(url):
        raise ValueError(refusal)
    if not events:
        raise ValueError(f"choose at least one event among {', '.join(EVENTS)}")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise ValueError(f"unknown event(s) {', '.join(unknown)}; choose among {', '.join(EVENTS)}")
    secret = secret or secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        url=url, events=sorted(set(events)), active=active, description=description[:200]
    )
    endpoint.secret = secret
    endpoint.save()
    return endpoint, secret


# --- delivering -----------------------------------------------------------------------


def webhook_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent: the same on every attempt, so the signature is too."""
    envelope = {
        "id": str(delivery.uuid),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def webhook_signature(*, secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _record(delivery: WebhookDelivery, *, code: int | None, error: str, status: str | None = None) -> None:
    now = timezone.now()
    log = [*delivery.attempt_log, {"at": now.isoformat(), "status_code": code, "error": error[:500]}]
    updates: dict[str, Any] = {
        "attempt_log": log,
        "last_status_code": code,
        "last_error": error[:2000],
        "last_attempt_at": now,
    }
    if status is not None:
        updates["status"] = status
    if status == DeliveryStatus.DELIVERED:
        updates["delivered_at"] = now
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**updates)


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery:
    """Make one attempt at a queued delivery; raise ``WebhookError`` when it should be retried."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.status != DeliveryStatus.QUEUED:
        return delivery
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    delivery.refresh_from_db(fields=["attempts"])
    last_chance = delivery.attempts >= settings.LARA_JOB_MAX_ATTEMPTS
    endpoint = delivery.endpoint
    if not endpoint.active:
        _record(delivery, code=None, error="the endpoint was deactivated", status=DeliveryStatus.FAILED)
        return _reloaded(delivery)
    try:
        secret = endpoint.secret
    except ValueError as exc:  # the encryption key changed: retrying cannot help
        _record(delivery, code=None, error=str(exc), status=DeliveryStatus.FAILED)
        return _reloaded(delivery)
    # Checked again on every attempt: the host may resolve elsewhere since it was registered.
    if refusal := webhook_url_refusal(endpoint.url):
        unresolved = refusal.startswith(UNRESOLVED)  # DNS may be back on the next attempt
        failed = not unresolved or last_chance
        _record(
            delivery, code=None, error=f"refused: {refusal}", status=DeliveryStatus.FAILED if failed else None
        )
        if failed:
            return _reloaded(delivery)
        raise WebhookError(refusal)
    body = webhook_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Lara-Event": delivery.event,
        "X-Lara-Delivery": str(delivery.uuid),
        "Idempotency-Key": str(delivery.uuid),
        "X-Lara-Signature": webhook_signature(secret=secret, body=body),
    }
    try:
        response = httpx.post(endpoint.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
        _record(delivery, code=None, error=error, status=DeliveryStatus.FAILED if last_chance else None)
        if last_chance:
            return _reloaded(delivery)
        raise WebhookError(error) from exc
    code = response.status_code
    if 200 <= code < 300:
        _record(delivery, code=code, error="", status=DeliveryStatus.DELIVERED)
        return _reloaded(delivery)
    error = f"HTTP {code}: {response.text[:300]}"
    if 400 <= code < 500 and code not in (408, 429):
        _record(delivery, code=code, error=error, status=DeliveryStatus.FAILED)
        return _reloaded(delivery)
    _record(delivery, code=code, error=error, status=DeliveryStatus.FAILED if last_chance else None)
    if last_chance:
        return _reloaded(delivery)
    raise WebhookError(error)


def _reloaded(delivery: WebhookDelivery) -> WebhookDelivery:
    delivery.refresh_from_db()
    return delivery


def deliver_webhook_task(delivery_id: int) -> None:
    """Job entry point: one attempt; raising makes the queue retry with back-off."""
    webhook_deliver(delivery_id=delivery_id)
