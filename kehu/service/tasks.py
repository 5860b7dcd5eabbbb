"""The service module's scheduled job."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.service.services import cases_escalate


@db_periodic_task(crontab(minute="*/5"))
def escalate_breached_cases() -> None:
    """Every five minutes: escalate cases past an SLA deadline to a supervisor; idempotent."""
    cases_escalate()
