"""Serve the public webhook endpoint networks push to (signature-checked, not session-checked)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from lara.channels.base import WebhookRequest

from .webhooks import webhook_receive


@csrf_exempt  # networks cannot send a CSRF token; each adapter verifies the network's signature
@require_POST
def channel_webhook(request: HttpRequest, slug: str) -> JsonResponse:
    outcome = webhook_receive(
        channel_slug=slug,
        request=WebhookRequest(
            headers={k.lower(): v for k, v in request.headers.items()},
            body=request.body,
            query={k: str(v) for k, v in request.GET.items()},
        ),
    )
    return JsonResponse(outcome.body, status=outcome.status)
