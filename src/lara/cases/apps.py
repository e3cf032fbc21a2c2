from django.apps import AppConfig

#: The Act side's periodic jobs (dotted path → seconds), run by the job queue's sweep.
PERIODIC = {
    "lara.cases.tasks.check_sla_task": 60,
    "lara.cases.tasks.send_task_reminders_task": 60,
    "lara.cases.tasks.wake_snoozed_task": 60,
}


class CasesConfig(AppConfig):
    name = "lara.cases"
    label = "cases"

    def ready(self) -> None:
        """Plug the pipeline into ingest, webhooks into customer changes, the watchers into the scheduler.

        Done here so mentions and core never import cases.
        """
        from lara.core.jobs import BATCH_TASKS, PERIODIC_JOBS
        from lara.customers import services as customers_services
        from lara.mentions import services as mentions_services
        from lara.mentions import webhooks as mentions_webhooks

        from .outgoing import customer_event_forward
        from .pipeline import message_edited, messages_enqueue_processing
        from .services import reply_delivery_status

        if messages_enqueue_processing not in mentions_services.on_messages_stored:
            mentions_services.on_messages_stored.append(messages_enqueue_processing)
        if message_edited not in mentions_services.on_message_edited:
            mentions_services.on_message_edited.append(message_edited)
        if customer_event_forward not in customers_services.customer_event_hooks:
            customers_services.customer_event_hooks.append(customer_event_forward)
        if reply_delivery_status not in mentions_webhooks.on_delivery_status:
            mentions_webhooks.on_delivery_status.append(reply_delivery_status)
        PERIODIC_JOBS.update(PERIODIC)
        BATCH_TASKS["lara.cases.tasks.process_message_task"] = "lara.cases.tasks.process_messages_task"
