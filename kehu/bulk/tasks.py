"""Background work of bulk actions: a large one, and its undo."""

from huey.contrib.djhuey import db_task

from kehu.bulk.services import bulk_action_run, bulk_action_undo


@db_task()
def run_bulk_action(action_id: int) -> None:
    """Apply a large bulk action; idempotent (see ``bulk_action_run``)."""
    bulk_action_run(action_id=action_id)


@db_task()
def undo_bulk_action(action_id: int) -> None:
    bulk_action_undo(action_id=action_id)
