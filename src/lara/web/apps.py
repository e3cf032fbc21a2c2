from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "lara.web"
    label = "web"
