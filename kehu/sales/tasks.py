"""The nightly rebuild of the daily sales summary."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.sales.summary import summary_rebuild


@db_periodic_task(crontab(hour="1", minute="50"))
def nightly_summary_rebuild() -> None:
    """Re-create the summary from the raw rows each night, before the key-account risk run:
    the services keep it exact during the day; the rebuild repairs what changed outside them
    (a restore, a correction made in the database)."""
    summary_rebuild()
