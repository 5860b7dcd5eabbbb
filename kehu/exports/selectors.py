"""Reads of export jobs: a job is only ever its requester's."""

from pathlib import Path

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kehu.accounts.models import User
from kehu.exports.models import STUCK_AFTER, ExportJob


def export_jobs_for(user: User) -> QuerySet[ExportJob]:
    """The user's own exports, newest first, each with ``interrupted``: still running after
    ``STUCK_AFTER`` (shown as failed; reading writes nothing, the periodic task does)."""
    lost = Q(status=ExportJob.Status.RUNNING, updated_at__lte=timezone.now() - STUCK_AFTER)
    return (
        ExportJob.objects.filter(requester_id=user.pk)
        .annotate(interrupted=ExpressionWrapper(lost, output_field=BooleanField()))
        .order_by("-id")
    )


def export_job_get_for_user(*, user: User, job_id: int) -> ExportJob:
    """The user's export ``job_id``; 404 for anyone else's (never a hint that it exists)."""
    job = export_jobs_for(user).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def export_file(job: ExportJob) -> Path | None:
    """The finished file of ``job`` on disk, or None (not finished, expired or removed)."""
    if job.status != ExportJob.Status.DONE or not job.file_path:
        return None
    path = Path(settings.DATA_DIR) / job.file_path
    return path if path.is_file() else None


def export_jobs_pending(user: User) -> bool:
    """Whether any of the user's exports is still waiting or running."""
    return (
        export_jobs_for(user)
        .filter(status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING])
        .exists()
    )
