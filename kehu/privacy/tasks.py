"""Background work of privacy rights: the nightly retention run."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.privacy.services import retention_run


@db_periodic_task(crontab(hour="3", minute="50"))
def run_retention() -> None:
    """03:50: anonymise the customers approved after review, flag what the rules find next;
    idempotent (an anonymised customer is never found again)."""
    retention_run()
