from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "lara.analysis"
    label = "analysis"
