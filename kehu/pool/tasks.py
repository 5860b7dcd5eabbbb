"""The public pool's scheduled job."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.pool.services import pool_recycle


# Every night at 01:20 in the configured zone would need a zone-aware schedule; huey counts in
# UTC, so the job runs at 17:20 UTC, which is 01:20 in China (UTC+8), the default zone.
@db_periodic_task(crontab(hour="17", minute="20"))
def return_neglected_customers_to_pool() -> None:
    """Return neglected customers to the public pool and warn their owners; idempotent."""
    pool_recycle()
