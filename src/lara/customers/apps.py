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
        """Schedule the identity suggestions and segment counts (the job queue's sweep runs them)."""
        from lara.core.jobs import PERIODIC_JOBS

        PERIODIC_JOBS.update(PERIODIC)
