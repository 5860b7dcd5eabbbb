"""Housekeeping that runs on a schedule in the task queue."""

from django.conf import settings
from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.core.audit import audit_prune
from kehu.core.backup import backup_nightly


@db_periodic_task(crontab(hour="3", minute="15"))
def purge_expired_sessions() -> None:
    """Delete expired sessions every night; idempotent."""
    call_command("clearsessions")


@db_periodic_task(crontab(hour="3", minute="30"))
def purge_old_login_failure_logs() -> None:
    """Delete django-axes login-failure logs older than 30 days; idempotent."""
    call_command("axes_reset_failure_logs", "--age", "30")


@db_periodic_task(crontab(hour=str(settings.KEHU_BACKUP["hour"]), minute="0"))
def nightly_backup() -> None:
    """The nightly backup (``KEHU_BACKUP_*``), keeping the newest N; idempotent enough: a
    second run the same night writes one more file and prunes."""
    if int(str(settings.KEHU_BACKUP["keep"])) > 0:
        backup_nightly()


@db_periodic_task(crontab(hour="3", minute="45"))
def prune_audit_events() -> None:
    """Delete audit events older than ``KEHU_AUDIT_KEEP_DAYS``; idempotent."""
    audit_prune(keep_days=settings.KEHU_AUDIT_KEEP_DAYS)
