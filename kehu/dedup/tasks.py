"""Background work of the duplicate finder: searches asked for, and one every night."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kehu.dedup.services import duplicate_run_execute, duplicate_run_nightly


@db_task()
def run_duplicate_search(run_id: int) -> None:
    """Run a queued duplicate search; a run that started already is left alone."""
    duplicate_run_execute(run_id=run_id)


@db_periodic_task(crontab(hour="2", minute="10"))
def nightly_duplicate_search() -> None:
    """Every night at 02:10: search the whole archive (skipped while another search runs)."""
    duplicate_run_nightly()
