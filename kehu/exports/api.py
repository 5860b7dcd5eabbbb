"""``/api/v1/exports``: export the customer list (filters or a segment, chosen columns) to XLSX
or CSV. Small exports are finished in the response (201), larger ones run in the background
(202) — poll ``GET /exports/{id}`` until ``status`` is ``done``, then download. A job is only
its requester's: anyone else gets 404.
"""

from datetime import datetime
from typing import Any

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.encryption import decrypted_chunks
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest, client_ip, download_response
from kehu.core.pagination import KeysetPagination
from kehu.exports import selectors, services
from kehu.exports.columns import export_columns
from kehu.exports.models import ExportJob

router = Router(tags=["exports"])


class ExportIn(Schema):
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "List filters as in `GET /customers/` and segments: kind, stage, grade, status, "
            "owner_id, team_id, tag, province, city, channel, q, order, created_from, "
            "created_to, updated_from, updated_to (YYYY-MM-DD), custom: [[code, value], …]."
        ),
    )
    segment: int | None = Field(None, description="Export a saved segment instead of filters.")
    columns: list[str] = Field(description="Column codes, see `GET /exports/columns`.")
    format: str = Field(description="`xlsx` or `csv` (UTF-8 with BOM).")
    purpose: str = Field(
        "",
        description=(
            "What the people will be contacted for: marketing_email, marketing_sms, "
            "marketing_phone, data_sharing, sensitive_data; only those who agreed are exported. "
            "Empty (record keeping, no contact) only for archive administrators and admins."
        ),
    )


class ExportOut(Schema):
    id: int
    kind: str = Field(
        description="What the file holds: `customers` (by filters), or `opportunities`, "
        "`orders`, `cases` selected on their list in the browser."
    )
    format: str
    status: str
    row_count: int | None
    columns: list[str]
    filters: dict[str, Any]
    purpose: str
    error: str
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    download_url: str | None

    @staticmethod
    def resolve_status(obj: ExportJob) -> str:
        return obj.shown_status

    @staticmethod
    def resolve_error(obj: ExportJob) -> str:
        return obj.shown_error

    @staticmethod
    def resolve_download_url(obj: ExportJob) -> str | None:
        if obj.status != ExportJob.Status.DONE:
            return None
        return reverse("api:export_download", args=[obj.pk])


class ColumnOut(Schema):
    code: str
    label: str
    sensitive: str | None


ONE = {200: ExportOut, 404: ErrorBody, **ERROR_RESPONSES}


@router.get("/columns", response={200: list[ColumnOut], **ERROR_RESPONSES}, summary="Columns")
def export_column_list(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    return [
        {"code": c.code, "label": str(c.label), "sensitive": c.sensitive}
        for c in export_columns().values()
    ]


@router.post(
    "/",
    response={201: ExportOut, 202: ExportOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Export the customer list",
)
def export_create(request: AuthenticatedRequest, payload: ExportIn) -> Status[ExportJob]:
    filters = services.export_filters_from_input(
        user=request.user, filters=payload.filters, segment_id=payload.segment
    )
    job = services.export_request(
        user=request.user,
        filters=filters,
        columns=payload.columns,
        format=payload.format,
        purpose=payload.purpose,
        ip_address=client_ip(request),
    )
    return Status(201 if job.is_finished else 202, job)


@router.get("/", response={200: list[ExportOut], **ERROR_RESPONSES}, summary="My exports")
@paginate(KeysetPagination)
def export_list(request: AuthenticatedRequest) -> Any:
    return selectors.export_jobs_for(request.user)


@router.get("/{job_id}", response=ONE, summary="One of my exports")
def export_detail(request: AuthenticatedRequest, job_id: int) -> ExportJob:
    return selectors.export_job_get_for_user(user=request.user, job_id=job_id)


@router.get(
    "/{job_id}/download",
    response={200: None, 404: ErrorBody, 409: ErrorBody, **ERROR_RESPONSES},
    url_name="export_download",
    summary="Download a finished export",
)
def export_download(request: AuthenticatedRequest, job_id: int) -> FileResponse:
    job = selectors.export_job_get_for_user(user=request.user, job_id=job_id)
    path = selectors.export_file(job)
    if path is None:
        raise Conflict(_("This export is not ready, failed or has expired."))
    return download_response(
        decrypted_chunks(path), filename=job.file_name, content_type=job.content_type
    )
