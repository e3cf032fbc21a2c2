from django.apps import AppConfig

#: The Relate side's periodic jobs (dotted path → seconds), run by the job queue's sweep.
PERIODIC = {
    "lara.customers.suggestions.suggestions_compute_all_task": 6 * 3600,
    "lara.customers.segments.segments_count_task": 15 * 60,
}


class CustomersConfig(AppConfig):
    name = "lara.customers"
    label = "customers"

    def ready(self) -> None:
        """Schedule identity suggestions and segment counts; a backlog of suggestion jobs runs together."""
        from lara.core.jobs import BATCH_TASKS, PERIODIC_JOBS

        PERIODIC_JOBS.update(PERIODIC)
        BATCH_TASKS["lara.customers.suggestions.suggestions_compute_task"] = (
            "lara.customers.suggestions.suggestions_compute_batch_task"
        )
