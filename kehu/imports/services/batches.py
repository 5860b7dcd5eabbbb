"""Upload a file (one batch per file content), map its columns, save mappings, run the dry run
and the import (in the background or in the caller's process; chunk by chunk, each chunk with
its checkpoint, so a stopped run continues)."""

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import require_archive_admin
from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent
from kehu.customers.models import Channel, Customer
from kehu.imports import engine, orders
from kehu.imports.kinds import import_targets, suggest_mapping
from kehu.imports.models import ImportBatch, ImportMapping
from kehu.imports.readers import Table, file_extension
from kehu.imports.selectors import IMPORTS_REFUSED

logger = logging.getLogger(__name__)

IMPORT_DIR = "imports"
MAX_FILE_BYTES = 500 * 1024 * 1024
# Files up to this size are checked and imported during the request; larger ones by the worker.
INLINE_MAX_BYTES = 64 * 1024
DEFAULT_CHANNEL = "purchased_list"
# Imported, being undone or undone: never imported (or checked) again.
FINISHED = {ImportBatch.Status.DONE, ImportBatch.Status.UNDOING, ImportBatch.Status.UNDONE}


def default_channel() -> Channel | None:
    return Channel.objects.filter(code=DEFAULT_CHANNEL, is_active=True).first()


def _channel(code: str | None) -> Channel | None:
    if not code:
        return default_channel()
    channel = Channel.objects.filter(code=code, is_active=True).first()
    if channel is None:
        raise ValidationError({"channel": [_("Unknown channel “%(code)s”.") % {"code": code}]})
    return channel


def _owner(username: str | None) -> User | None:
    if not username:
        return None
    owner = User.objects.filter(username=username).first()
    if owner is None:
        raise ValidationError({"owner": [_("No user “%(name)s”.") % {"name": username}]})
    if not owner.is_active:
        raise ValidationError({"owner": [_("This user is disabled.")]})
    return owner


KINDS = (*Customer.Kind.values, orders.ORDERS)  # customers of either kind, or order history


def import_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError({"kind": [_("Choose persons, organizations or order history.")]})
    return kind


def _engine(batch: ImportBatch) -> Any:
    """The module that checks and imports this batch's rows."""
    return orders if batch.kind == orders.ORDERS else engine


def _policy(value: str) -> str:
    if value not in ImportBatch.Duplicates.values:
        allowed = ", ".join(ImportBatch.Duplicates.values)
        raise ValidationError(
            {"duplicates": [_("Choose one of: %(choices)s.") % {"choices": allowed}]}
        )
    return value


def clean_mapping(kind: str, headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Keep the columns of this file mapped to a field of this kind; one column per field."""
    codes = {target.code for target in import_targets(kind)}
    cleaned: dict[str, str] = {}
    errors: list[str] = []
    for header, code in mapping.items():
        if not code or header not in headers:
            continue
        if code not in codes:
            errors.append(_("Unknown field “%(code)s”.") % {"code": code})
        elif code in cleaned.values():
            errors.append(_("Two columns are mapped to “%(code)s”.") % {"code": code})
        else:
            cleaned[header] = code
    if kind == orders.ORDERS:
        errors += orders.mapping_errors(cleaned)
    elif "name" not in cleaned.values():
        errors.append(_("Map a column to the name: every customer needs one."))
    if (
        any(c.startswith("contact.") for c in cleaned.values())
        and "contact.name" not in cleaned.values()
    ):
        errors.append(_("Map the contact's name too, or none of the contact columns."))
    if errors:
        raise ValidationError({"mapping": errors})
    return cleaned


def upload_store(upload: IO[bytes], name: str, folder: str = IMPORT_DIR) -> tuple[Path, str, int]:
    """Copy the upload into ``folder`` of the data directory, hashing it on the way, as
    ``HASH.ext``; refuse it when too big or empty. Also the membership import's
    (``kehu.loyalty.member_import``)."""
    directory = Path(settings.DATA_DIR) / folder
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    partial = directory / f"upload-{timezone.now().timestamp()}.part"
    with partial.open("wb") as out:
        while chunk := upload.read(1 << 20):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                out.close()
                partial.unlink(missing_ok=True)
                message = _("The file is larger than %(mb)s MB: split it.")
                raise ValidationError({"file": [message % {"mb": MAX_FILE_BYTES // (1024 * 1024)}]})
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        partial.unlink(missing_ok=True)
        raise ValidationError({"file": [_("The file is empty: it has no rows.")]})
    content_hash = digest.hexdigest()
    path = directory / f"{content_hash}{file_extension(name)}"
    partial.replace(path)
    return path, content_hash, size


def import_upload(
    *,
    user: User,
    upload: IO[bytes],
    name: str,
    kind: str = Customer.Kind.PERSON,
    channel: str | None = None,
    owner: str | None = None,
    duplicates: str = ImportBatch.Duplicates.SKIP,
    mapping: str | dict[str, str] | None = None,
    create_products: bool = True,
) -> ImportBatch:
    """Store an uploaded file as a batch (or return the unfinished batch of the same content
    and kind, so an interrupted import continues), with suggested or saved column mapping."""
    require_archive_admin(user, IMPORTS_REFUSED)
    errors: dict[str, list[str]] = {}
    checks: tuple[tuple[Callable[[str], str], str], ...] = (
        (import_kind, kind),
        (file_extension, name),
        (_policy, duplicates),
    )
    for check, value in checks:
        try:
            check(value)
        except ValidationError as exc:
            errors.update(
                exc.message_dict if hasattr(exc, "error_dict") else {"file": exc.messages}
            )
    channel_obj = owner_obj = None
    try:
        channel_obj = _channel(channel)
        owner_obj = _owner(owner)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    path, content_hash, size = upload_store(upload, name)
    existing = (
        ImportBatch.objects.filter(content_hash=content_hash, kind=kind)
        .exclude(status__in=FINISHED)
        .first()
    )
    if existing is not None and existing.processed_rows:
        return existing
    try:
        table = Table(path, path.suffix.lower())
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    columns = table.headers
    suggested = suggest_mapping(columns, kind)
    if not suggested and _looks_like_data(columns):
        raise ValidationError(
            {"file": [_("The first row holds data, not column names: add a header row.")]}
        )
    chosen = suggested
    if isinstance(mapping, str) and mapping:
        saved = ImportMapping.objects.filter(name=mapping).first()
        if saved is None:
            raise ValidationError(
                {"mapping": [_("No saved mapping “%(name)s”.") % {"name": mapping}]}
            )
        chosen = {h: c for h, c in saved.columns.items() if h in columns}
    elif isinstance(mapping, dict):
        chosen = mapping
    batch = existing or ImportBatch(created_by=user, kind=kind, content_hash=content_hash)
    batch.original_name = Path(name).name[:255]
    batch.file_path = str(path.relative_to(Path(settings.DATA_DIR)))
    batch.file_size = size
    batch.columns = columns
    mapping_now = {h: c for h, c in chosen.items() if h in columns}
    if batch.mapping != mapping_now:
        batch.checked_hash = ""  # checked with another mapping: the dry run must be run again
        if batch.status == ImportBatch.Status.VALIDATED:
            batch.status = ImportBatch.Status.UPLOADED
    batch.mapping = mapping_now
    batch.channel, batch.owner, batch.duplicates = channel_obj, owner_obj, duplicates
    batch.create_products = create_products
    batch.created_by = user
    batch.save()
    return batch


def _looks_like_data(cells: list[str]) -> bool:
    from kehu.core.idcard import parse_id_number
    from kehu.core.phones import normalize_phone

    for cell in cells:
        for check in (normalize_phone, parse_id_number):
            try:
                check(cell)
                return True
            except (ValidationError, ValueError):
                pass
    return False


@transaction.atomic
def import_configure(
    *,
    user: User,
    batch: ImportBatch,
    mapping: dict[str, str],
    channel: str | None = None,
    owner: str | None = None,
    duplicates: str | None = None,
    save_as: str = "",
    create_products: bool | None = None,
) -> ImportBatch:
    """Set the batch's mapping and options (before it is imported); optionally save the mapping."""
    require_archive_admin(user, IMPORTS_REFUSED)
    if batch.processed_rows or batch.status in FINISHED:
        raise ValidationError(_("This import has started; its mapping can no longer change."))
    mapping = clean_mapping(batch.kind, batch.columns, mapping)
    if mapping != batch.mapping:
        batch.checked_hash = ""  # the dry run must be run again
        if batch.status == ImportBatch.Status.VALIDATED:
            batch.status = ImportBatch.Status.UPLOADED
    batch.mapping = mapping
    batch.channel = _channel(channel) if channel is not None else batch.channel
    batch.owner = _owner(owner) if owner is not None else batch.owner
    if duplicates is not None:
        batch.duplicates = _policy(duplicates)
    if create_products is not None and create_products != batch.create_products:
        batch.create_products = create_products
        batch.checked_hash = ""  # which rows are valid depends on it: check again
        if batch.status == ImportBatch.Status.VALIDATED:
            batch.status = ImportBatch.Status.UPLOADED
    batch.save()
    if save_as.strip():
        mapping_save(user=user, name=save_as, kind=batch.kind, columns=batch.mapping)
    return batch


def mapping_save(*, user: User, name: str, kind: str, columns: dict[str, str]) -> ImportMapping:
    require_archive_admin(user, IMPORTS_REFUSED)
    name = name.strip()[:100]
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("A name is required.")]
    try:
        import_kind(kind)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    codes = {t.code for t in import_targets(kind)} if kind in KINDS else set()
    unknown = sorted({c for c in columns.values() if c and c not in codes})
    if unknown:
        errors["columns"] = [_("Unknown fields: %(codes)s.") % {"codes": ", ".join(unknown)}]
    if errors:
        raise ValidationError(errors)
    saved, _created = ImportMapping.objects.update_or_create(
        name=name,
        defaults={
            "kind": kind,
            "columns": {h: c for h, c in columns.items() if c},
            "created_by": user,
        },
    )
    return saved


def mapping_delete(*, user: User, mapping: ImportMapping) -> None:
    require_archive_admin(user, IMPORTS_REFUSED)
    mapping.delete()


# --- running ------------------------------------------------------------------------------


def _fail(batch: ImportBatch, exc: Exception) -> ImportBatch:
    logger.exception("Import %s failed", batch.pk)
    batch.refresh_from_db()
    batch.status = ImportBatch.Status.FAILED
    message = " ".join(exc.messages) if isinstance(exc, ValidationError) else ""
    batch.error = (message or _("The import stopped with an error; run it again to continue."))[
        :300
    ]
    batch.save(update_fields=["status", "error", "updated_at"])
    return batch


def import_dry_run(*, batch_id: int, progress: engine.Progress | None = None) -> ImportBatch:
    batch = ImportBatch.objects.select_related("channel", "owner", "created_by").get(pk=batch_id)
    if batch.processed_rows or batch.status in FINISHED:
        return batch
    try:
        return _engine(batch).dry_run(batch, progress)  # type: ignore[no-any-return]
    except Exception as exc:
        return _fail(batch, exc)


def import_run(
    *, batch_id: int, progress: engine.Progress | None = None, ip_address: str | None = None
) -> ImportBatch:
    """Import the batch's valid rows (continuing after its checkpoint); audited when done."""
    batch = ImportBatch.objects.select_related("channel", "owner", "created_by").get(pk=batch_id)
    if batch.status in FINISHED:
        return batch
    try:
        batch = _engine(batch).run_import(batch, progress)
    except Exception as exc:
        return _fail(batch, exc)
    audit_log(
        action=AuditEvent.Action.IMPORT,
        actor=batch.created_by,
        ip_address=ip_address,
        object_type="import",
        object_id=batch.pk,
        detail={
            "file": batch.original_name,
            "kind": batch.kind,
            "channel": batch.channel.code if batch.channel else "",
            "created": batch.created_count,
            "updated": batch.updated_count,
            "skipped": batch.skipped_count,
            "invalid": batch.invalid_rows,
        },
    )
    done: ImportBatch = batch
    return done


def _queue(batch: ImportBatch, status: str, phase: str) -> ImportBatch:
    from kehu.imports.tasks import run_import_batch

    if batch.is_running and not batch.is_stalled:
        raise ValidationError(_("This import is already running."))
    if batch.status in FINISHED:
        raise ValidationError(_("This import is finished."))
    batch_id = batch.pk
    if batch.file_size <= INLINE_MAX_BYTES:
        # A small file is done before the page reloads: no waiting for the worker.
        if phase == "dry_run":
            return import_dry_run(batch_id=batch_id)
        return import_run(batch_id=batch_id)
    batch.status = status
    batch.error = ""
    batch.save(update_fields=["status", "error", "updated_at"])
    transaction.on_commit(lambda: run_import_batch(batch_id, phase))
    return batch


def import_request_dry_run(*, user: User, batch: ImportBatch) -> ImportBatch:
    require_archive_admin(user, IMPORTS_REFUSED)
    if batch.processed_rows:
        raise ValidationError(_("This import has started; its rows were checked already."))
    clean_mapping(batch.kind, batch.columns, batch.mapping)
    return _queue(batch, ImportBatch.Status.VALIDATING, "dry_run")


def import_request_run(*, user: User, batch: ImportBatch) -> ImportBatch:
    require_archive_admin(user, IMPORTS_REFUSED)
    clean_mapping(batch.kind, batch.columns, batch.mapping)
    if batch.checked_hash != batch.content_hash:
        raise ValidationError(engine.NOT_CHECKED)
    return _queue(batch, ImportBatch.Status.IMPORTING, "import")
