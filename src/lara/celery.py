"""Create the Celery application shared by the embedded and the scaled mode.

The embedded mode never talks to a broker (jobs run in worker threads); the
scaled mode points the same app at Redis. Task code is identical in both.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lara.settings")

app = Celery("lara")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["lara.core"])
