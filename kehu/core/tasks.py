"""Housekeeping that runs on a schedule in the task queue."""

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="3", minute="15"))
def purge_expired_sessions() -> None:
    """Delete expired sessions every night; idempotent."""
    call_command("clearsessions")


@db_periodic_task(crontab(hour="3", minute="30"))
def purge_old_login_failure_logs() -> None:
    """Delete django-axes login-failure logs older than 30 days; idempotent."""
    call_command("axes_reset_failure_logs", "--age", "30")
