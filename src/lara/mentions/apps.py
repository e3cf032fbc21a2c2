from django.apps import AppConfig


class MentionsConfig(AppConfig):
    name = "lara.mentions"
    label = "mentions"

    def ready(self) -> None:
        """Schedule the feed and search polling."""
        from lara.core.jobs import PERIODIC_JOBS

        PERIODIC_JOBS.setdefault("lara.mentions.polling.channels_poll_due", 30)
        PERIODIC_JOBS.setdefault("lara.mentions.retention.raw_payloads_purge_task", 6 * 3600)
