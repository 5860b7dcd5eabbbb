"""Every write of imports: upload a file (one batch per file content), map its columns, save
mappings, run the dry run, the import (``batches``) and its undo (``undo``), in the background
or in the caller's process; chunk by chunk, each chunk with its checkpoint, so a stopped run
continues.

Only archive administrators (``can_administer_archive``) import or undo.
"""

from kehu.imports.services.batches import (
    DEFAULT_CHANNEL,
    FINISHED,
    IMPORT_DIR,
    clean_mapping,
    default_channel,
    import_configure,
    import_dry_run,
    import_kind,
    import_request_dry_run,
    import_request_run,
    import_run,
    import_upload,
    mapping_delete,
    mapping_save,
    upload_store,
)
from kehu.imports.services.undo import (
    import_request_undo,
    import_undo,
    import_undo_continue,
    undo_counts,
)

__all__ = [
    "DEFAULT_CHANNEL",
    "FINISHED",
    "IMPORT_DIR",
    "import_kind",
    "clean_mapping",
    "default_channel",
    "import_configure",
    "import_dry_run",
    "import_request_dry_run",
    "import_request_run",
    "import_run",
    "import_undo",
    "import_undo_continue",
    "import_request_undo",
    "import_upload",
    "upload_store",
    "mapping_delete",
    "mapping_save",
    "undo_counts",
]
