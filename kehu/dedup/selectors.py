"""Reads of the duplicate finder's results and of merges, for archive administrators."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from kehu.core.access import can_administer_archive
from kehu.dedup.models import DuplicateCandidate, DuplicateRun, Merge


def duplicates_pending_count() -> int:
    """How many candidate pairs wait for review (one indexed count)."""
    return DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.PENDING).count()


def duplicates_pending_count_for(user: Any) -> int:
    """The navigation badge: the pending count for archive administrators, else 0."""
    return duplicates_pending_count() if can_administer_archive(user) else 0


def require_archive_admin(user: Any) -> None:
    if not can_administer_archive(user):
        raise PermissionDenied(_("Only archive administrators may find and merge duplicates."))


def candidates_for(
    *, user: Any, status: str = DuplicateCandidate.Status.PENDING, kind: str = ""
) -> QuerySet[DuplicateCandidate]:
    """The review queue, most likely duplicates first."""
    require_archive_admin(user)
    queryset = DuplicateCandidate.objects.filter(status=status or "pending")
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.select_related("customer_a", "customer_b").order_by("-match_probability", "-id")


def candidate_get(*, user: Any, candidate_id: int) -> DuplicateCandidate:
    require_archive_admin(user)
    candidate = (
        DuplicateCandidate.objects.select_related("customer_a", "customer_b")
        .filter(pk=candidate_id)
        .first()
    )
    if candidate is None:
        raise Http404
    return candidate


def runs_for(*, user: Any) -> QuerySet[DuplicateRun]:
    require_archive_admin(user)
    return DuplicateRun.objects.order_by("-id")


def run_get(*, user: Any, run_id: int) -> DuplicateRun:
    require_archive_admin(user)
    run = DuplicateRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


def run_latest() -> DuplicateRun | None:
    return DuplicateRun.objects.order_by("-id").first()


def merges_for(*, user: Any) -> QuerySet[Merge]:
    require_archive_admin(user)
    return Merge.objects.select_related("survivor", "merged_by").prefetch_related("others")


def merge_get(*, user: Any, merge_id: int) -> Merge:
    require_archive_admin(user)
    merge = (
        Merge.objects.select_related("survivor", "merged_by", "undone_by")
        .prefetch_related("others")
        .filter(pk=merge_id)
        .first()
    )
    if merge is None:
        raise Http404
    return merge
