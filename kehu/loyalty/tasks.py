"""The loyalty module's scheduled jobs; each is idempotent."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.loyalty import care, services


@db_periodic_task(crontab(hour="1", minute="10"))
def loyalty_nightly() -> None:
    """01:10: points past their expiry expire, the yearly level review runs on its date, and
    every balance is reconciled with its ledger."""
    today = timezone.localdate()
    services.points_expire(today=today)
    services.levels_review(today=today)
    services.ledger_reconcile()


@db_periodic_task(crontab(hour="5", minute="30"))
def care_tasks_daily() -> None:
    """05:30: care plans give the owners their tasks ahead of each date."""
    care.care_tasks_generate(today=timezone.localdate())
