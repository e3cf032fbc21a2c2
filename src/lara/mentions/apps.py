from django.apps import AppConfig


class MentionsConfig(AppConfig):
    name = "lara.mentions"
    label = "mentions"
