"""Reminders before due times, sent by the task queue."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.tasks.services import tasks_remind_due


@db_periodic_task(crontab(minute="*/5"))
def remind_due_tasks() -> None:
    """Notify assignees of tasks due soon (each task's own lead time); idempotent."""
    tasks_remind_due(now=timezone.now())
