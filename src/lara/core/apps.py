from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "lara.core"
    label = "lara_core"
