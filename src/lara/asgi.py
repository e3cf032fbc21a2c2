"""Expose the ASGI application served by uvicorn."""

import os

from django.core.asgi import get_asgi_application

from lara.children import die_with_the_parent

die_with_the_parent()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lara.settings")
application = get_asgi_application()
