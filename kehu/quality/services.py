"""Taking data-quality snapshots: nightly, or when the archive administrator asks."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import require_archive_admin
from kehu.dedup.selectors import duplicates_pending_count
from kehu.quality.metrics import live_customers, measure_all
from kehu.quality.models import QualitySnapshot

# Up to this many live customers "recompute now" answers at once; beyond, the worker does it.
INLINE_MAX_CUSTOMERS = 5_000
MAX_STALE_MONTHS = 60


def default_stale_months() -> int:
    """Months without an update or review after which a customer counts as stale."""
    return int(getattr(settings, "KEHU_QUALITY_STALE_MONTHS", 6))


def quality_snapshot_take(*, months: int | None = None) -> QualitySnapshot:
    """Measure the whole archive and keep today's snapshot (replacing one taken earlier today).

    Runs for minutes on a million customers: call it from the task queue, not a request.
    """
    months = months or default_stale_months()
    metrics, ids = measure_all(months=months, duplicates_pending=duplicates_pending_count)
    snapshot, _created = QualitySnapshot.objects.update_or_create(
        taken_on=timezone.localdate(),
        defaults={
            "computed_at": timezone.now(),
            "stale_months": months,
            "metrics": metrics,
            "issue_ids": ids,
        },
    )
    return snapshot


def clean_stale_months(raw: Any) -> int:
    try:
        months = int(raw) if raw not in (None, "") else default_stale_months()
    except (TypeError, ValueError):
        months = 0
    if not 1 <= months <= MAX_STALE_MONTHS:
        message = _("Enter a whole number of months from 1 to %(n)s.") % {"n": MAX_STALE_MONTHS}
        raise ValidationError({"months": [message]})
    return months


def quality_recompute(*, user: User, months: Any = None) -> QualitySnapshot | None:
    """Recompute now: a small archive at once (returns the snapshot), a large one in the
    background (returns None; the page shows the new snapshot when it is done)."""
    require_archive_admin(user, _("Only archive administrators may recompute data quality."))
    stale_months = clean_stale_months(months)
    if live_customers().order_by()[: INLINE_MAX_CUSTOMERS + 1].count() <= INLINE_MAX_CUSTOMERS:
        return quality_snapshot_take(months=stale_months)
    from kehu.quality.tasks import compute_snapshot

    transaction.on_commit(lambda: compute_snapshot(stale_months))
    return None
