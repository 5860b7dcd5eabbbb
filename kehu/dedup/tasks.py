"""Background work of the duplicate finder."""

from huey.contrib.djhuey import db_task

from kehu.dedup.services import duplicate_run_execute


@db_task()
def run_duplicate_search(run_id: int) -> None:
    """Run a queued duplicate search; a run that started already is left alone."""
    duplicate_run_execute(run_id=run_id)
