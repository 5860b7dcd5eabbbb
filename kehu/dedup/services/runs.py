"""Duplicate finder runs: asked for by an administrator, nightly, or from the command line;
the worker runs them one at a time and stores the pairs found as the review queue."""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import require_archive_admin
from kehu.core.progress import stage_progress
from kehu.dedup.finder import DEFAULT_THRESHOLD, find_duplicates
from kehu.dedup.models import DuplicateRun
from kehu.dedup.selectors import DEDUP_REFUSED
from kehu.dedup.services.candidates import candidates_store

logger = logging.getLogger(__name__)

MIN_THRESHOLD, MAX_THRESHOLD = -40.0, 40.0  # match weights (log2 odds)


def _clean_threshold(threshold: Any) -> float:
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        value = -1.0
    if not MIN_THRESHOLD <= value <= MAX_THRESHOLD:
        raise ValidationError(
            {"threshold": [_("Enter a match weight between -40 and 40, e.g. -8.")]}
        )
    return value


@transaction.atomic
def duplicate_run_request(*, user: User, threshold: Any = DEFAULT_THRESHOLD) -> DuplicateRun:
    """Queue a search of the whole archive; the worker runs it (one at a time)."""
    require_archive_admin(user, DEDUP_REFUSED)
    value = _clean_threshold(threshold)
    busy = DuplicateRun.objects.filter(
        status__in=[DuplicateRun.Status.QUEUED, DuplicateRun.Status.RUNNING]
    ).first()
    if busy is not None:
        return busy
    run = DuplicateRun.objects.create(requested_by=user, threshold=value)
    from kehu.dedup.tasks import run_duplicate_search

    transaction.on_commit(lambda: run_duplicate_search(run.pk))
    return run


def duplicate_run_create(*, threshold: Any = DEFAULT_THRESHOLD) -> DuplicateRun:
    """A run for the command line (no user: whoever runs ``kehu`` administers the install)."""
    return DuplicateRun.objects.create(threshold=_clean_threshold(threshold))


# A search still queued or running this long after it was asked for lost its worker (a million
# customers take minutes).
RUN_STALE_AFTER = timedelta(hours=6)


def duplicate_run_nightly() -> DuplicateRun | None:
    """The nightly search of the whole archive at the default threshold, so the review queue is
    fresh every morning; none while another search is queued or running (one whose worker was
    lost long ago does not count)."""
    with transaction.atomic():
        busy = DuplicateRun.objects.filter(
            status__in=[DuplicateRun.Status.QUEUED, DuplicateRun.Status.RUNNING],
            created_at__gt=timezone.now() - RUN_STALE_AFTER,
        )
        if busy.exists():
            return None
        run = DuplicateRun.objects.create(threshold=DEFAULT_THRESHOLD)
    return duplicate_run_execute(run_id=run.pk)


def duplicate_run_execute(
    *, run_id: int, progress: Callable[[str, int], None] | None = None
) -> DuplicateRun:
    """Run a queued search and store its pairs; a run that started already is left alone."""
    claimed = DuplicateRun.objects.filter(pk=run_id, status=DuplicateRun.Status.QUEUED).update(
        status=DuplicateRun.Status.RUNNING, started_at=timezone.now(), stage="load"
    )
    run = DuplicateRun.objects.get(pk=run_id)
    if not claimed:
        return run
    report = stage_progress(DuplicateRun, run_id, progress)

    try:
        result = find_duplicates(threshold=run.threshold, progress=report)
        report("store", 0)
        counts = candidates_store(pairs=result.pairs, run=run)
    except Exception as exc:
        logger.exception("duplicate search %s failed", run_id)
        run.status, run.error = DuplicateRun.Status.FAILED, str(exc)[:300]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at", "updated_at"])
        raise
    run.status, run.stage, run.progress = DuplicateRun.Status.DONE, "", 100
    run.customers, run.pairs_compared = result.customers, result.pairs_compared
    run.candidates, run.new_candidates = len(result.pairs), counts["new"]
    run.timings = {stage: round(seconds, 2) for stage, seconds in result.timings.items()}
    run.parameters = result.parameters
    run.finished_at = timezone.now()
    run.save()
    return run
