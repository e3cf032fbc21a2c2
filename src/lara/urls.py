"""Route the agent UI, the REST API and the health check."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from lara.api.api import api
from lara.mentions.views import channel_webhook


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("api/", api.urls),
    path("healthz", healthz),
    path("hooks/<slug:slug>", channel_webhook, name="channel-webhook"),
    path("", include("lara.engage.urls")),  # the public survey page (no login)
    path("", include("lara.web.urls")),
]
