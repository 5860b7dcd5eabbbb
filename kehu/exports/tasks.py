"""Background work of exports: large files, failing those whose worker was lost, and removing
expired ones each night."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kehu.exports.services import export_run, exports_fail_stuck, exports_purge_expired


@db_task()
def run_export(job_id: int) -> None:
    """Write the file of a queued export; a job that ran already is left alone."""
    export_run(job_id=job_id)


@db_periodic_task(crontab(minute="*/5"))
def fail_stuck_exports() -> None:
    """Every five minutes: mark failed the exports whose worker was lost; idempotent."""
    exports_fail_stuck()


@db_periodic_task(crontab(hour="3", minute="20"))
def purge_expired_exports() -> None:
    exports_purge_expired()
