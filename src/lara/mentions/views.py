"""Serve the public webhook endpoint networks push to (signature-checked, not session-checked)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from lara.channels.base import WebhookRequest

from .webhooks import webhook_handshake, webhook_receive


@csrf_exempt  # networks cannot send a CSRF token; each adapter verifies the network's signature
@require_http_methods(["GET", "POST"])
def channel_webhook(request: HttpRequest, slug: str) -> HttpResponse:
    delivery = WebhookRequest(
        headers={k.lower(): v for k, v in request.headers.items()},
        body=request.body,
        query={k: str(v) for k, v in request.GET.items()},
    )
    if request.method == "GET":  # the network checking the URL (Meta verify token, X CRC)
        status, content_type, body = webhook_handshake(channel_slug=slug, request=delivery)
        return HttpResponse(body, status=status, content_type=content_type)
    outcome = webhook_receive(channel_slug=slug, request=delivery)
    return JsonResponse(outcome.body, status=outcome.status)
