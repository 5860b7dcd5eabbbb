"""Every write of exports: request one, produce its file (inline or in the background), purge.

Only roles with ``can_export`` export; scope is the requester's (``customer_list``); sensitive
columns are masked unless the requester may reveal their group, and then every revealed column
is audited (REVEAL) beside the EXPORT event that names filters, columns, rows and format.
Opportunities, orders and cases selected on their lists are exported the same way, with their
list's columns (``kehu.exports.records``) and the requester's scope; so are a survey's responses
(``kehu.surveys.sheets``), for those who may also read survey results.
"""

import logging
import secrets
from collections.abc import Collection, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import (
    SensitiveGroup,
    can_administer_archive,
    can_export,
    can_read_survey_results,
    can_reveal,
    require,
)
from kehu.core.audit import audit_log
from kehu.core.encryption import EncryptedTextField, encrypt_file
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer, OrganizationProfile, PersonProfile
from kehu.customers.segments import filters_from_json, filters_to_json
from kehu.customers.selectors import CustomerFilters, customer_list, field_specs_for
from kehu.exports.columns import Column, RowMaker, export_columns, is_text_column
from kehu.exports.models import INTERRUPTED, STUCK_AFTER, ExportJob, RecordKind
from kehu.exports.records import RECORD_LISTS
from kehu.exports.writers import write_csv, write_xlsx

if TYPE_CHECKING:
    from kehu.surveys.models import Question, Survey
    from kehu.surveys.sheets import ResponseSheet

logger = logging.getLogger(__name__)

# Up to this many rows the file is written during the request; more go to the task queue.
INLINE_MAX_ROWS = 5_000
CHUNK_SIZE = 1_000
RETENTION = timedelta(days=7)
EXPORT_DIR = "exports"


def _clean_columns(codes: list[str]) -> list[str]:
    known = export_columns()
    codes = list(dict.fromkeys(str(code).strip() for code in codes if str(code).strip()))
    if not codes:
        raise ValidationError({"columns": [_("Choose at least one column.")]})
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError(
            {"columns": [_("Unknown columns: %(codes)s.") % {"codes": ", ".join(unknown)}]}
        )
    return codes


def _clean_format(value: str) -> str:
    if value not in ExportJob.Format.values:
        message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(ExportJob.Format.values)}
        raise ValidationError({"format": [message]})
    return value


def _clean_purpose(user: User, purpose: str) -> str:
    """An export for a purpose holds only the people who agreed to it; an export without one
    (record keeping, no contact) is for the roles that keep the archive."""
    from kehu.privacy.models import Purpose

    if purpose and purpose not in Purpose.values:
        raise ValidationError({"purpose": [_("Choose a purpose from the list.")]})
    if not purpose and not can_administer_archive(user):
        raise ValidationError(
            {"purpose": [_("Say what the people exported will be contacted for.")]}
        )
    return purpose


def exported_customers(
    *, user: User, filters: CustomerFilters, purpose: str = ""
) -> QuerySet[Customer]:
    """The customers of the list view ``user`` may export: for a purpose, only those who agreed
    to it (``kehu.privacy.selectors.customers_consenting``)."""
    queryset = customer_list(user=user, filters=filters)
    if purpose:
        from kehu.privacy.selectors import customers_consenting

        queryset = customers_consenting(purpose, queryset)
    return queryset


def export_customers(
    *, user: User, filters: CustomerFilters, columns: list[Column], purpose: str = ""
) -> QuerySet[Customer]:
    """The customers of the list view, in its order, with the profiles the columns read.

    Encrypted values no column shows are not loaded (each would cost a decryption per row).
    """
    queryset = exported_customers(user=user, filters=filters, purpose=purpose).select_related(
        "person", "organization"
    )
    wanted = {column.code for column in columns}
    deferred = [
        f"{prefix}__{field.name}"
        for prefix, model in (("person", PersonProfile), ("organization", OrganizationProfile))
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedTextField) and f"{prefix}.{field.name}" not in wanted
    ]
    if not any(column.sensitive == SensitiveGroup.CUSTOM for column in columns):
        deferred.append("custom_sensitive")
    return queryset.defer(*deferred)


def _chunks(customers: QuerySet[Customer], size: int) -> Iterator[list[Customer]]:
    chunk: list[Customer] = []
    for customer in customers.iterator(chunk_size=size):
        chunk.append(customer)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _rows(maker: RowMaker, customers: QuerySet[Customer]) -> Iterator[list[Any]]:
    """Rows streamed a chunk at a time: one query per chunk for each kind of related rows."""
    for chunk in _chunks(customers, CHUNK_SIZE):
        maker.load_related([customer.pk for customer in chunk])
        for customer in chunk:
            yield maker.row(customer)


def export_request(
    *,
    user: User,
    filters: CustomerFilters,
    columns: list[str],
    format: str,
    purpose: str = "",
    ip_address: str | None = None,
) -> ExportJob:
    """Ask for an export of the list ``filters`` select; small ones are written at once.

    Returns the job: finished (up to ``INLINE_MAX_ROWS`` rows) or queued for the worker.
    """
    require(user, can_export, _("Your role may not export customers."))
    errors: dict[str, list[str]] = {}
    codes: list[str] = []
    try:
        codes = _clean_columns(columns)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        _clean_format(format)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        _clean_purpose(user, purpose)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    job = ExportJob.objects.create(
        requester=user,
        filters=filters_to_json(filters),
        columns=codes,
        format=format,
        purpose=purpose,
    )
    matching = exported_customers(user=user, filters=filters, purpose=purpose).order_by()[
        : INLINE_MAX_ROWS + 1
    ]
    if matching.count() <= INLINE_MAX_ROWS:
        return export_run(job_id=job.pk, ip_address=ip_address)
    from kehu.exports.tasks import run_export

    job_id = job.pk
    transaction.on_commit(lambda: run_export(job_id))
    return job


def export_records_request(
    *, user: User, kind: str, record_ids: list[int], format: str, ip_address: str | None = None
) -> ExportJob:
    """Ask for an export of records selected on the opportunity, order or case list; up to
    ``INLINE_MAX_ROWS`` are written at once, more by the worker. The requester's scope is
    applied when the file is written. Returns the job, finished or queued."""
    require(user, can_export, _("Your role may not export."))
    if kind not in RECORD_LISTS:
        raise ValidationError({"kind": [_("Choose which list to export.")]})
    _clean_format(format)
    ids = list(dict.fromkeys(int(pk) for pk in record_ids))
    if not ids:
        raise ValidationError(_("Nothing to export: select at least one row."))
    job = ExportJob.objects.create(requester=user, kind=kind, record_ids=ids, format=format)
    if len(ids) <= INLINE_MAX_ROWS:
        return export_run(job_id=job.pk, ip_address=ip_address)
    from kehu.exports.tasks import run_export

    job_id = job.pk
    transaction.on_commit(lambda: run_export(job_id))
    return job


RESPONSES_REFUSED = _("Your role may not export survey responses.")


def _require_responses_exporter(user: User) -> None:
    require(user, can_export, RESPONSES_REFUSED)
    require(user, can_read_survey_results, RESPONSES_REFUSED)


def export_responses_request(
    *, user: User, survey: "Survey", format: str, ip_address: str | None = None
) -> ExportJob:
    """Ask for an export of ``survey``'s responses that ``user`` may see (the survey read
    through ``survey_get_for_user``); up to ``INLINE_MAX_ROWS`` are written at once, more by the
    worker. Returns the job, finished or queued."""
    from kehu.surveys.selectors import responses_for_user

    _require_responses_exporter(user)
    _clean_format(format)
    job = ExportJob.objects.create(
        requester=user, kind=RecordKind.RESPONSES, filters={"survey": survey.pk}, format=format
    )
    responses = responses_for_user(user=user, survey=survey).order_by()[: INLINE_MAX_ROWS + 1]
    if responses.count() <= INLINE_MAX_ROWS:
        return export_run(job_id=job.pk, ip_address=ip_address)
    from kehu.exports.tasks import run_export

    job_id = job.pk
    transaction.on_commit(lambda: run_export(job_id))
    return job


def _record_rows(job: ExportJob, user: User) -> Iterator[list[Any]]:
    """The selected records the requester may still see, a chunk of ids at a time."""
    listed = RECORD_LISTS[job.kind]
    ids = job.record_ids
    for start in range(0, len(ids), CHUNK_SIZE):
        for record in listed.records(user=user, ids=ids[start : start + CHUNK_SIZE]):
            yield listed.row(record)


def _write_file(
    job: ExportJob,
    path: Path,
    header: list[str],
    rows: Iterator[list[Any]],
    title: str,
    text_columns: Collection[int] = (),
) -> int:
    if job.format == ExportJob.Format.CSV:
        return write_csv(path, header, rows)
    return write_xlsx(path, header, rows, title=title, text_columns=text_columns)


def _write(job: ExportJob, path: Path, maker: RowMaker, customers: QuerySet[Customer]) -> int:
    text_columns = [i for i, column in enumerate(maker.columns) if is_text_column(column)]
    return _write_file(
        job, path, maker.header(), _rows(maker, customers), _("Customers"), text_columns
    )


def export_run(*, job_id: int, ip_address: str | None = None) -> ExportJob:
    """Write the job's file, streaming customers in chunks; idempotent (a job runs once).

    On failure the job is marked failed with a message and no file is left behind.
    """
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().select_related("requester").get(pk=job_id)
        if job.status != ExportJob.Status.PENDING:
            return job
        job.status = ExportJob.Status.RUNNING
        job.save(update_fields=["status", "updated_at"])
    user = job.requester
    directory = Path(settings.DATA_DIR) / EXPORT_DIR
    directory.mkdir(parents=True, exist_ok=True)
    relative = f"{EXPORT_DIR}/{job.pk}-{secrets.token_hex(8)}.{job.format}"
    path = Path(settings.DATA_DIR) / relative
    partial = path.with_name(path.name + ".part")
    columns: list[Column] = []
    revealed: frozenset[SensitiveGroup] = frozenset()
    revealed_questions: list[Question] = []
    try:
        require(user, can_export, _("Your role may not export customers."))
        if job.kind == RecordKind.RESPONSES:
            sheet = _response_sheet(job, user)
            revealed_questions = sheet.revealed_questions()
            count = _write_file(job, partial, sheet.header(), sheet.rows(), _("Responses"))
        elif job.kind != RecordKind.CUSTOMERS:
            listed = RECORD_LISTS[job.kind]
            rows = _record_rows(job, user)
            count = _write_file(job, partial, listed.header(), rows, str(listed.title))
        else:
            available = export_columns()
            # A custom field deactivated since the request is left out rather than failing.
            columns = [available[code] for code in job.columns if code in available]
            groups = {column.sensitive for column in columns if column.sensitive is not None}
            revealed = frozenset(group for group in groups if can_reveal(user, group))
            customers = export_customers(
                user=user,
                filters=filters_from_json(job.filters),
                columns=columns,
                purpose=job.purpose,
            )
            count = _write(job, partial, RowMaker(columns, revealed), customers)
        # At rest the file is encrypted; the clear one lives only while it is written.
        encrypt_file(partial, path)
        partial.unlink()
    except Exception as exc:
        partial.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        logger.exception("Export %s failed", job.pk)
        job.status = ExportJob.Status.FAILED
        job.error = (str(exc) if isinstance(exc, PermissionDenied | ValidationError) else "")[:300]
        job.error = job.error or _("The export failed; try again or ask an administrator.")
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at", "updated_at"])
        return job
    with transaction.atomic():
        job.status = ExportJob.Status.DONE
        job.row_count = count
        job.file_path = relative
        job.finished_at = timezone.now()
        job.expires_at = job.finished_at + RETENTION
        job.save()
        _audit(job, user, columns, revealed, ip_address)
        _audit_questions(job, user, revealed_questions, ip_address)
    return job


def _response_sheet(job: ExportJob, user: User) -> "ResponseSheet":
    """The sheet of the job's survey, its scope and masking those of the requester now."""
    from kehu.surveys.models import Survey
    from kehu.surveys.sheets import ResponseSheet

    _require_responses_exporter(user)
    survey = Survey.objects.get(pk=job.filters["survey"])
    return ResponseSheet(user=user, survey=survey)


def _audit_questions(
    job: ExportJob, user: User, questions: list["Question"], ip_address: str | None
) -> None:
    """A REVEAL per sensitive question whose answers the export shows in clear."""
    specs = field_specs_for(Customer.Kind.PERSON)
    for question in questions:
        audit_log(
            action=AuditEvent.Action.REVEAL,
            actor=user,
            ip_address=ip_address,
            object_type="export",
            object_id=job.pk,
            detail={
                "field": question.archive_field,
                "group": str(specs[question.archive_field].sensitive),
                "question": question.pk,
                "export": job.pk,
                "rows": job.row_count,
            },
        )


def _audit(
    job: ExportJob,
    user: User,
    columns: list[Column],
    revealed: frozenset[SensitiveGroup],
    ip_address: str | None,
) -> None:
    object_type = "export"
    if job.kind != RecordKind.CUSTOMERS:
        # The list's fixed columns; which records were selected is kept on the job. Named by
        # its model, so the audit page shows the kind and format in words (its choices).
        object_type = "exports.exportjob"
        detail: dict[str, Any] = {"kind": job.kind, "rows": job.row_count, "format": job.format}
        if job.kind == RecordKind.RESPONSES:
            detail["survey"] = job.filters.get("survey")
    else:
        detail = {
            "filters": job.filters,
            "columns": job.columns,
            "rows": job.row_count,
            "format": job.format,
            "purpose": job.purpose,
        }
    audit_log(
        action=AuditEvent.Action.EXPORT,
        actor=user,
        ip_address=ip_address,
        object_type=object_type,
        object_id=job.pk,
        detail=detail,
    )
    for column in columns:
        if column.sensitive is not None and column.sensitive in revealed:
            audit_log(
                action=AuditEvent.Action.REVEAL,
                actor=user,
                ip_address=ip_address,
                object_type="export",
                object_id=job.pk,
                detail={
                    "field": column.code,
                    "group": str(column.sensitive),
                    "export": job.pk,
                    "rows": job.row_count,
                },
            )


def exports_purge_expired() -> int:
    """Delete the files of exports past their expiry; returns how many. Idempotent."""
    done = 0
    expired = ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lte=timezone.now())
    for job in expired.iterator():
        if job.file_path:
            (Path(settings.DATA_DIR) / job.file_path).unlink(missing_ok=True)
        job.status = ExportJob.Status.EXPIRED
        job.file_path = ""
        job.save(update_fields=["status", "file_path", "updated_at"])
        done += 1
    return done


def exports_fail_stuck() -> int:
    """Mark as failed the jobs running for longer than ``STUCK_AFTER`` since they started (their
    worker was lost); returns how many. Idempotent."""
    now = timezone.now()
    stuck = ExportJob.objects.filter(
        status=ExportJob.Status.RUNNING, updated_at__lte=now - STUCK_AFTER
    )
    return stuck.update(
        status=ExportJob.Status.FAILED, error=str(INTERRUPTED), finished_at=now, updated_at=now
    )


def export_filters_from_input(
    *, user: User, filters: dict[str, Any], segment_id: int | None = None
) -> CustomerFilters:
    """The list filters an API caller sent, or those of one of the caller's segments."""
    from kehu.customers.segments import segment_get_for_user

    if segment_id is not None:
        if filters:
            raise ValidationError({"segment": [_("Send filters or a segment, not both.")]})
        segment = segment_get_for_user(user=user, segment_id=segment_id)
        return filters_from_json(segment.filters)
    return filters_from_json(filters)
