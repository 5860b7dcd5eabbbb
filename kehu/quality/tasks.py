"""The nightly data-quality snapshot, and the one the archive administrator asks for."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kehu.quality.services import quality_snapshot_take


@db_periodic_task(crontab(hour="3", minute="40"))
def nightly_snapshot() -> None:
    """Measure the archive each night; a second run the same day replaces the first."""
    quality_snapshot_take()


@db_task()
def compute_snapshot(months: int) -> None:
    quality_snapshot_take(months=months)
