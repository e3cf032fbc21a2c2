from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "lara.cases"
    label = "cases"

    def ready(self) -> None:
        """Plug the pipeline into ingest without mentions importing cases."""
        from lara.mentions import services as mentions_services

        from .pipeline import message_enqueue_processing

        if message_enqueue_processing not in mentions_services.on_message_stored:
            mentions_services.on_message_stored.append(message_enqueue_processing)
