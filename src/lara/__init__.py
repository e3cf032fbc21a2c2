"""Lara: an open-source Social CRM that listens, analyzes, relates and acts."""

from .celery import app as celery_app

__all__ = ["celery_app"]
