"""``/api/v1/imports`` and ``/api/v1/import-mappings``: upload a CSV or XLSX file of customers,
map its columns, dry-run it, import it in the background (poll ``GET /imports/{id}``), read
the per-row report (JSON or XLSX), undo a finished import (in the background too). Archive
administrators only: every other role gets 403.
"""

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from django.http import FileResponse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from kehu.accounts.models import User
from kehu.core.access import require_archive_admin
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest, client_ip
from kehu.core.pagination import KeysetPagination
from kehu.imports import selectors, services
from kehu.imports.kinds import import_targets
from kehu.imports.models import ImportBatch, ImportMapping

router = Router(tags=["imports"])
mappings_router = Router(tags=["imports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportOut(Schema):
    id: int
    original_name: str
    kind: str
    status: str
    channel: str | None
    owner: str | None
    duplicates: str
    create_products: bool = Field(description="Order history: create unknown products.")
    columns: list[str]
    mapping: dict[str, str]
    total_rows: int | None
    checked_rows: int
    processed_rows: int
    progress_percent: int
    valid_rows: int
    invalid_rows: int
    duplicate_rows: int
    created_count: int
    updated_count: int
    skipped_count: int
    error: str
    created_at: datetime
    finished_at: datetime | None
    undo_rows: int
    undone_rows: int
    deleted_count: int
    archived_count: int
    restored_count: int
    undone_at: datetime | None
    earlier_import_id: int | None = Field(
        None,
        description="Another import of the same file that is imported (not undone), if any.",
    )

    @staticmethod
    def resolve_earlier_import_id(obj: ImportBatch, context: dict[str, Any]) -> int | None:
        if hasattr(obj, "earlier_import_pk"):  # annotated by selectors.import_batches
            earlier_pk: int | None = obj.earlier_import_pk
            return earlier_pk
        earlier = selectors.earlier_import(user=context["request"].user, batch=obj)
        return earlier.pk if earlier else None

    @staticmethod
    def resolve_channel(obj: ImportBatch) -> str | None:
        return obj.channel.code if obj.channel else None

    @staticmethod
    def resolve_owner(obj: ImportBatch) -> str | None:
        return obj.owner.username if obj.owner else None


class ImportUpdateIn(Schema):
    mapping: dict[str, str] = Field(description="Column header -> field code (see /targets).")
    channel: str | None = None
    owner: str | None = Field(None, description="Username; empty string: the public pool.")
    duplicates: str | None = Field(None, description="skip, fill or overwrite.")
    save_as: str = Field("", description="Also save the mapping under this name.")
    create_products: bool | None = Field(
        None, description="Order history: create unknown products (else refuse their rows)."
    )


class ReportRowOut(Schema):
    id: int
    row_number: int
    outcome: str
    customer_id: int | None
    problems: list[dict[str, str]]


class TargetOut(Schema):
    code: str
    label: str


class MappingIn(Schema):
    name: str
    kind: str = "person"
    columns: dict[str, str]


class MappingOut(Schema):
    id: int
    name: str
    kind: str
    columns: dict[str, str]


ONE = {200: ImportOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES}


@router.get("/targets", response={200: list[TargetOut], **ERROR_RESPONSES}, summary="Fields")
def import_target_list(request: AuthenticatedRequest, kind: str = "person") -> list[Any]:
    require_archive_admin(request.user, selectors.IMPORTS_REFUSED)
    return [{"code": t.code, "label": t.label} for t in import_targets(services.import_kind(kind))]


@router.post(
    "/", response={201: ImportOut, 422: ErrorBody, **ERROR_RESPONSES}, summary="Upload a file"
)
def import_create(
    request: AuthenticatedRequest,
    file: File[UploadedFile],
    kind: Form[str] = "person",
    channel: Form[str] = "",
    owner: Form[str] = "",
    duplicates: Form[str] = "skip",
    mapping: Form[str] = "",
    create_products: Form[bool] = True,
) -> Status[ImportBatch]:
    batch = services.import_upload(
        user=request.user,
        upload=file,
        name=file.name or "",
        kind=kind,
        channel=channel or None,
        owner=owner or None,
        duplicates=duplicates,
        mapping=mapping or None,
        create_products=create_products,
    )
    return Status(201, batch)


@router.get("/", response={200: list[ImportOut], **ERROR_RESPONSES}, summary="Imports")
@paginate(KeysetPagination)
def import_list(request: AuthenticatedRequest) -> Any:
    return selectors.import_batches(user=request.user)


@router.get("/{batch_id}", response=ONE, summary="One import, with progress and counts")
def import_detail(request: AuthenticatedRequest, batch_id: int) -> ImportBatch:
    return selectors.import_batch_get(user=request.user, batch_id=batch_id)


@router.patch("/{batch_id}", response=ONE, summary="Set the column mapping and options")
def import_update(request: AuthenticatedRequest, batch_id: int, payload: ImportUpdateIn) -> Any:
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    return services.import_configure(
        user=request.user,
        batch=batch,
        mapping=payload.mapping,
        channel=payload.channel,
        owner=payload.owner,
        duplicates=payload.duplicates,
        save_as=payload.save_as,
        create_products=payload.create_products,
    )


@router.post(
    "/{batch_id}/dry-run",
    response={202: ImportOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Check every row (in the background)",
)
def import_dry_run(request: AuthenticatedRequest, batch_id: int) -> Status[ImportBatch]:
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    batch = services.import_request_dry_run(user=request.user, batch=batch)
    return Status(202, batch)


@router.post(
    "/{batch_id}/start",
    response={202: ImportOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Import the valid rows (in the background)",
)
def import_start(request: AuthenticatedRequest, batch_id: int) -> Status[ImportBatch]:
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    batch = services.import_request_run(user=request.user, batch=batch)
    return Status(202, batch)


@router.get(
    "/{batch_id}/report",
    response={200: list[ReportRowOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="Per-row report",
)
@paginate(KeysetPagination)
def import_report(request: AuthenticatedRequest, batch_id: int, outcome: str = "") -> Any:
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    return selectors.import_report(user=request.user, batch=batch, outcome=outcome or None)


@router.get(
    "/{batch_id}/report.xlsx",
    response={200: None, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Per-row report as XLSX",
)
def import_report_xlsx(request: AuthenticatedRequest, batch_id: int) -> FileResponse:
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    return report_response(request.user, batch)


def report_response(user: User, batch: ImportBatch) -> FileResponse:
    rows = selectors.import_report(user=user, batch=batch)
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by the response)
    selectors.write_report_xlsx(Path(handle.name), batch, rows)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=f"import-{batch.pk}-report.xlsx", content_type=XLSX
    )


@router.post(
    "/{batch_id}/undo",
    response={202: ImportOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Undo a finished import (in the background; poll the import for its progress)",
)
def import_undo(request: AuthenticatedRequest, batch_id: int) -> Status[ImportBatch]:
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    batch = services.import_request_undo(
        user=request.user, batch=batch, ip_address=client_ip(request)
    )
    return Status(202, batch)


@mappings_router.get("/", response={200: list[MappingOut], **ERROR_RESPONSES}, summary="Mappings")
@paginate(KeysetPagination)
def mapping_list(request: AuthenticatedRequest) -> Any:
    return selectors.import_mappings(user=request.user)


@mappings_router.post(
    "/", response={201: MappingOut, 422: ErrorBody, **ERROR_RESPONSES}, summary="Save a mapping"
)
def mapping_create(request: AuthenticatedRequest, payload: MappingIn) -> Status[ImportMapping]:
    saved = services.mapping_save(
        user=request.user, name=payload.name, kind=payload.kind, columns=payload.columns
    )
    return Status(201, saved)


@mappings_router.delete(
    "/{mapping_id}",
    response={204: None, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Delete a mapping",
)
def mapping_delete(request: AuthenticatedRequest, mapping_id: int) -> Status[None]:
    mapping = selectors.import_mapping_get(user=request.user, mapping_id=mapping_id)
    services.mapping_delete(user=request.user, mapping=mapping)
    return Status(204, None)
