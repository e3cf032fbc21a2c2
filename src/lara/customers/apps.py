from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "lara.customers"
    label = "customers"
