from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "lara.channels"
    label = "lara_channels"
