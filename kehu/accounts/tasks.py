"""Background work of accounts: a large handover."""

from huey.contrib.djhuey import db_task

from kehu.accounts.handover import handover_execute


@db_task()
def run_handover(handover_id: int) -> None:
    """Hand over a large book in the background; idempotent (see ``handover_execute``)."""
    handover_execute(handover_id=handover_id)
