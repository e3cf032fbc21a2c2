"""Expose the WSGI application for deployments behind a WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lara.settings")
application = get_wsgi_application()
