"""Scheduled work of the customer archive."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.customers.segments import segments_refresh_all


@db_periodic_task(crontab(hour="2", minute="40"))
def refresh_segment_counts() -> None:
    """Re-count every saved segment each night; idempotent."""
    segments_refresh_all()
