"""Background work of imports: the dry run and the import of a batch."""

from huey.contrib.djhuey import db_task

from kehu.imports.services import import_dry_run, import_run


@db_task()
def run_import_batch(batch_id: int, phase: str) -> None:
    """Run the dry run (``phase`` "dry_run") or the import of a batch; an import continues
    after its checkpoint, so running it twice never writes a row twice."""
    if phase == "dry_run":
        import_dry_run(batch_id=batch_id)
    else:
        import_run(batch_id=batch_id)
