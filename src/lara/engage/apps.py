from django.apps import AppConfig


class EngageConfig(AppConfig):
    """Surveys, ideas with votes, and offers: what the customer told us and was offered (Relate)."""

    name = "lara.engage"
    label = "engage"
