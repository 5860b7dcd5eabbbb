"""Every write of duplicates and merge: finder runs, the review queue, merges and their undo.

Only archive administrators (``kehu.core.access.can_administer_archive``) may call these.
"""

from kehu.dedup.services.candidates import (
    candidate_dismiss,
    candidates_flag_new,
    candidates_store,
)
from kehu.dedup.services.merge import MAX_MERGE, customers_merge, merge_undo
from kehu.dedup.services.runs import (
    RUN_STALE_AFTER,
    duplicate_run_create,
    duplicate_run_execute,
    duplicate_run_nightly,
    duplicate_run_request,
)

__all__ = [
    "MAX_MERGE",
    "RUN_STALE_AFTER",
    "candidate_dismiss",
    "candidates_flag_new",
    "candidates_store",
    "customers_merge",
    "duplicate_run_create",
    "duplicate_run_execute",
    "duplicate_run_nightly",
    "duplicate_run_request",
    "merge_undo",
]
