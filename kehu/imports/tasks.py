"""Background work of imports: the dry run, the import and the undo of a batch."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kehu.imports.retention import import_files_purge
from kehu.imports.services import import_dry_run, import_run, import_undo_continue


@db_task()
def run_import_batch(batch_id: int, phase: str) -> None:
    """Run the dry run (``phase`` "dry_run") or the import of a batch; an import continues
    after its checkpoint, so running it twice never writes a row twice."""
    if phase == "dry_run":
        import_dry_run(batch_id=batch_id)
    else:
        import_run(batch_id=batch_id)


@db_task()
def run_import_undo(batch_id: int) -> None:
    """Undo a batch being undone, continuing after its checkpoint: running it twice never
    deletes, archives or restores a customer twice."""
    import_undo_continue(batch_id=batch_id)


@db_periodic_task(crontab(minute="*/15"))
def purge_import_files() -> None:
    """Delete uploaded files no batch needs any more (see kehu.imports.retention)."""
    import_files_purge()
