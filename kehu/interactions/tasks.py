"""Reminders, computed on a schedule in the task queue."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.interactions.models import ReminderRun
from kehu.interactions.services import reminders_compute


# Hourly rather than at one fixed hour: huey's schedule is in UTC, the day that counts is the
# configured zone's. The first run after local midnight does the work; later ones see the
# day's run recorded and return.
@db_periodic_task(crontab(minute="5"))
def compute_reminders() -> None:
    """Create today's follow-up and birthday reminders for everyone; idempotent."""
    today = timezone.localdate()
    if not ReminderRun.objects.filter(day=today, user=None).exists():
        reminders_compute(today=today)
