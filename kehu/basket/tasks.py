"""Mining the baskets: each night at both levels, and when a user asks."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kehu.basket.models import Level


@db_periodic_task(crontab(hour="2", minute="50"))
def nightly_mining() -> None:
    from kehu.basket.services import mining_run_request

    for level in Level.values:
        mining_run_request(user=None, level=level)


@db_task()
def mine(run_id: int) -> None:
    from kehu.basket.services import mining_run_execute

    mining_run_execute(run_id=run_id)
