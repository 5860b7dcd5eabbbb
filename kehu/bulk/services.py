"""Changing many records of a list at once (批量操作): customers (assign, tag, untag, grade,
stage, share, add to a list segment or a campaign), opportunities (assign, stage), orders
(assign), cases (assign, status, priority); and exporting a selection (``bulk_export``,
through ``kehu.exports``).

Each record is changed through its app's own service (see ``kehu.bulk.kinds``), so every change
is on its history with who and when, exactly as a change made one by one; only records the user
may change are touched, and a record that refuses the change is skipped and counted. Assigning
and tagging keep what each record held before, so they can be undone.
"""

from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.bulk.kinds import EXPORT, KINDS, BulkKind
from kehu.bulk.models import BulkAction
from kehu.core.access import require
from kehu.core.audit import audit_log
from kehu.core.exceptions import Conflict
from kehu.core.models import AuditEvent
from kehu.exports.models import ExportJob
from kehu.exports.services import export_records_request

# Up to this many records a bulk action runs in the request; more go to the background.
BACKGROUND_ABOVE = 300
# At most this many records in one action.
MAX_RECORDS = 100_000
PROGRESS_EVERY = 50
# Records are read this many ids at a time (an IN list a database takes whole).
CHUNK = 200

Progress = Callable[[int], None]
# What a single record may answer instead of taking a change: it is skipped.
REFUSALS = (ValidationError, PermissionDenied, Conflict)


def _kind(code: str) -> BulkKind:
    kind = KINDS.get(code)
    if kind is None:
        raise ValidationError({"kind": [_("Choose a list.")]})
    return kind


def bulk_check(*, user: User, kind: str, action: str) -> None:
    """Refuse (``PermissionDenied``) a user whose role may not do ``action`` on the list (or,
    for an unknown action, anything on it)."""
    listed = _kind(kind)
    spec = listed.action(action)
    if spec is None:
        require(user, lambda u: bool(listed.actions_for(u)), listed.refused)
    else:
        require(user, spec.permitted, spec.refused)


def bulk_targets(
    *, user: User, selection: QuerySet[Any], kind: str = BulkAction.Kind.CUSTOMERS, action: str = ""
) -> QuerySet[Any]:
    """Of the selected records, those ``user`` may act on: may change (or, to export, see)."""
    scope = _kind(kind).scope(user, action)
    return scope.filter(pk__in=selection.values("pk")).order_by("id")


def bulk_value_clean(
    action: str, value: str, *, kind: str = BulkAction.Kind.CUSTOMERS, note: str = ""
) -> tuple[str, str]:
    """The action's value and reason, checked; ``ValidationError`` with a clear message."""
    listed = _kind(kind)
    if action == EXPORT and listed.action(EXPORT) is not None:
        if value not in ExportJob.Format.values:
            raise ValidationError({"value": [_("Choose a format.")]})
        return value, ""
    value = listed.clean(action, value, note)
    return value, listed.check_note(action, note)


@dataclass(frozen=True)
class BulkPreview:
    """The counts the confirmation shows."""

    selected: int
    allowed: int  # of them, the user may change (export)
    taking: int | None  # of those, can take the change (None: every one)

    @property
    def refused(self) -> int:
        return max(self.selected - self.allowed, 0)

    @property
    def cannot_take(self) -> int:
        return 0 if self.taking is None else self.allowed - self.taking


def bulk_preview(
    *, user: User, kind: str, action: str, value: str, selection: QuerySet[Any]
) -> BulkPreview:
    """How many are selected, how many ``user`` may change, how many can take the change
    (``value`` checked already)."""
    listed = _kind(kind)
    targets = bulk_targets(user=user, selection=selection, kind=kind, action=action)
    allowed = targets.count()
    taking = None
    if action != EXPORT and action in listed.cannot_take:
        taking = listed.takes(targets, action, value).count()
    return BulkPreview(selected=selection.count(), allowed=allowed, taking=taking)


def _target_ids(user: User, kind: str, action: str, selection: QuerySet[Any]) -> list[int]:
    ids = list(
        bulk_targets(user=user, selection=selection, kind=kind, action=action).values_list(
            "pk", flat=True
        )[: MAX_RECORDS + 1]
    )
    listed = _kind(kind)
    if not ids:
        raise ValidationError(
            _("None of the selected records may be changed by you.")
            if action != EXPORT
            else _("Nothing to export: select at least one row.")
        )
    if len(ids) > MAX_RECORDS:
        raise ValidationError(
            _("At most %(what)s at once; narrow the filter.")
            % {"what": listed.count_text(MAX_RECORDS)}
        )
    return ids


def bulk_action_create(
    *,
    user: User,
    action: str,
    value: str,
    selection: QuerySet[Any],
    kind: str = BulkAction.Kind.CUSTOMERS,
    note: str = "",
) -> BulkAction:
    """Record a bulk action on the selected records ``user`` may change (not run yet)."""
    bulk_check(user=user, kind=kind, action=action)
    if action == EXPORT:
        raise ValidationError({"action": [_("Choose what to do.")]})
    value, note = bulk_value_clean(action, value, kind=kind, note=note)
    ids = _target_ids(user, kind, action, selection)
    return BulkAction.objects.create(
        user=user, kind=kind, action=action, value=value, note=note, record_ids=ids
    )


def bulk_export(
    *,
    user: User,
    kind: str,
    value: str,
    selection: QuerySet[Any],
    ip_address: str | None = None,
) -> ExportJob:
    """Export the selected records ``user`` may see, in the format ``value``, through the
    export machinery (masking rules, audit, background for large files, "My exports")."""
    bulk_check(user=user, kind=kind, action=EXPORT)
    value, _note = bulk_value_clean(EXPORT, value, kind=kind)
    ids = _target_ids(user, kind, EXPORT, selection)
    return export_records_request(
        user=user, kind=kind, record_ids=ids, format=value, ip_address=ip_address
    )


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def bulk_action_run(*, action_id: int, progress: Progress | None = None) -> BulkAction:
    """Apply a recorded bulk action, record by record (each in its own transaction, so a large
    one commits as it goes), in its user's language when they chose one (notes, errors).
    Records the user may no longer change, or that refuse the change, are skipped and counted.
    Idempotent: a finished action is left alone, and a rerun skips records already as wanted."""
    row = BulkAction.objects.select_related("user").get(pk=action_id)
    # Not core.i18n.in_language_of: a user with no language keeps the active one, so a run
    # started from a page stays in that page's language.
    language = row.user.language
    with translation.override(language) if language else nullcontext():
        return _run(row, progress)


def _run(row: BulkAction, progress: Progress | None) -> BulkAction:
    if row.status not in {BulkAction.Status.QUEUED, BulkAction.Status.RUNNING}:
        return row
    BulkAction.objects.filter(pk=row.pk).update(status=BulkAction.Status.RUNNING)
    listed = _kind(row.kind)
    before: dict[str, str] = dict(row.before)
    done = skipped = 0
    try:
        target = listed.target(row)
        scope = listed.for_run(listed.scope(row.user, row.action))
        for ids in _chunks(row.record_ids):
            records = list(scope.filter(pk__in=ids).order_by("id"))
            skipped += len(ids) - len(records)  # no longer theirs to change
            for record in records:
                try:
                    held = listed.apply(row, record, target)
                except REFUSALS:
                    held = None
                    skipped += 1
                if held is not None:
                    before[str(record.pk)] = held
            previous, done = done, done + len(ids)
            if done // PROGRESS_EVERY != previous // PROGRESS_EVERY:
                BulkAction.objects.filter(pk=row.pk).update(
                    done=done, changed=len(before), skipped=skipped, before=before
                )
                if progress is not None:
                    progress(done)
        listed.finish(row, target, len(before))
    except Exception as exc:
        BulkAction.objects.filter(pk=row.pk).update(
            status=BulkAction.Status.FAILED, error=_error_text(exc), before=before
        )
        if isinstance(exc, REFUSALS):
            return BulkAction.objects.get(pk=row.pk)
        raise
    row.status, row.done, row.changed, row.skipped, row.before = (
        BulkAction.Status.DONE,
        done,
        len(before),
        skipped,
        before,
    )
    row.save(update_fields=["status", "done", "changed", "skipped", "before", "updated_at"])
    audit_log(
        action=AuditEvent.Action.SETTINGS_CHANGED,
        actor=row.user,
        object_type="bulk.bulkaction",
        object_id=row.pk,
        detail={
            "kind": row.kind,
            "action": row.action,
            "records": row.total,
            "changed": row.changed,
            "skipped": row.skipped,
        },
    )
    return row


def _error_text(exc: Exception) -> str:
    """What went wrong, for the progress page: a refusal's message as written for the user."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)[:2000]
    return str(exc)[:2000]


def bulk_action_undo_check(*, user: User, row: BulkAction) -> None:
    if row.user_id != user.pk:
        raise PermissionDenied(_("Only who made a bulk action may undo it."))
    if not row.undoable:
        raise ValidationError(_("This bulk action cannot be undone."))


def bulk_action_undo(*, action_id: int) -> BulkAction:
    """Put back what an assignment or a tagging changed, through the same services. An
    assignment is undone only for the records still with the owner they were given to
    (someone may have moved them since); a record that refuses is left as it is."""
    row = BulkAction.objects.select_related("user").get(pk=action_id)
    if row.status == BulkAction.Status.UNDONE:
        return row
    BulkAction.objects.filter(pk=row.pk).update(status=BulkAction.Status.UNDOING)
    listed = _kind(row.kind)
    note = _("Bulk action undone by %(name)s") % {"name": row.user}
    scope = listed.undo_rows(row)
    for ids in _chunks([int(k) for k in row.before]):
        for record in scope.filter(pk__in=ids).order_by("id"):
            try:
                listed.undo(row, record, row.before[str(record.pk)], note)
            except REFUSALS:
                continue
    row.status = BulkAction.Status.UNDONE
    row.save(update_fields=["status", "updated_at"])
    return row


def bulk_action_describe(row: BulkAction) -> dict[str, Any]:
    """What the action does, in words, for its pages."""
    listed = _kind(row.kind)
    spec = listed.action(row.action)
    if row.action == EXPORT:
        value = str(dict(ExportJob.Format.choices).get(row.value, row.value))
    else:
        value = listed.describe(row.action, row.value)
    return {"action": str(spec.label) if spec else row.get_action_display(), "value": value}
