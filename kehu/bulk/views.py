"""Bulk actions on the lists (customers, opportunities, orders, cases): confirm with counts,
run (in the background when large), follow the progress, undo an assignment or a tagging; an
export of the selection goes to "My exports". Each action for the roles that may do it."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.bulk import services, tasks
from kehu.bulk.kinds import EXPORT, BulkKind, kind_get
from kehu.bulk.models import BulkAction
from kehu.core.http import AuthenticatedRequest, client_ip, flash_errors
from kehu.exports.models import ExportJob

# Ticked rows come from one page of a list; more ids than this are not a page.
MAX_TICKED = 1000


def _selection(request: AuthenticatedRequest, kind: BulkKind) -> tuple[Any, str]:
    """The selected records: the ticked ones, or every one matching the list's filter."""
    query = request.POST.get("query", "")
    if request.POST.get("all") == "1":
        return kind.listed(user=request.user, query=QueryDict(query)), query
    ids = [int(v) for v in request.POST.getlist("ids")[:MAX_TICKED] if v.isdigit()]
    return kind.model._default_manager.filter(pk__in=ids), query


def _export(
    request: AuthenticatedRequest, kind: BulkKind, value: str, selection: Any, query: str
) -> HttpResponse:
    try:
        job = services.bulk_export(
            user=request.user,
            kind=kind.code,
            value=value,
            selection=selection,
            ip_address=client_ip(request),
        )
    except ValidationError as exc:
        flash_errors(request, exc)
        return redirect(kind.list_url(query))
    if job.status == ExportJob.Status.DONE:
        messages.success(request, _("Your export is ready."))
    elif job.status == ExportJob.Status.FAILED:
        messages.error(request, job.error)
    else:
        messages.info(request, _("Your export is large; it is being written in the background."))
    return redirect("exports:list")


def _export_page(
    request: AuthenticatedRequest, kind: BulkKind, selection: Any, query: str
) -> HttpResponse | None:
    """To the list's own export page (columns, purpose) with the ticked rows or the filter;
    None when the list has no such page."""
    everything = request.POST.get("all") == "1"
    ticked = [] if everything else list(selection.values_list("pk", flat=True))
    url = kind.export_page(query, ticked)
    if url is None:
        return None
    if not everything and not ticked:
        messages.error(request, _("Nothing to export: select at least one row."))
        return redirect(kind.list_url(query))
    return redirect(url)


def _create_and_run(
    request: AuthenticatedRequest,
    kind: BulkKind,
    action: str,
    value: str,
    note: str,
    selection: Any,
    query: str,
) -> HttpResponse:
    try:
        with transaction.atomic():
            row = services.bulk_action_create(
                user=request.user,
                kind=kind.code,
                action=action,
                value=value,
                note=note,
                selection=selection,
            )
            background = row.total > services.BACKGROUND_ABOVE
            if background:
                transaction.on_commit(lambda: tasks.run_bulk_action(row.pk))
    except ValidationError as exc:
        flash_errors(request, exc)
        return redirect(kind.list_url(query))
    if not background:
        services.bulk_action_run(action_id=row.pk)
    return redirect("bulk:detail", row.pk)


@require_POST
def bulk_confirm(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    """From a list: show what will change and how many; on confirmation, do it."""
    listed = kind_get(kind)
    action = request.POST.get("action", "")
    services.bulk_check(user=request.user, kind=listed.code, action=action)
    selection, query = _selection(request, listed)
    spec = listed.action(action)
    field = spec.field if spec else ""
    value = request.POST.get(f"value_{field}", "") if field else request.POST.get("value", "")
    note = request.POST.get("note", "")
    if action == EXPORT:
        page = _export_page(request, listed, selection, query)
        if page is not None:
            return page
    if request.POST.get("confirm") == "1":
        if action == EXPORT:
            return _export(request, listed, value, selection, query)
        return _create_and_run(request, listed, action, value, note, selection, query)
    error = ""
    try:
        value, note = services.bulk_value_clean(action, value, kind=listed.code, note=note)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    preview = None
    described = None
    if not error:
        preview = services.bulk_preview(
            user=request.user, kind=listed.code, action=action, value=value, selection=selection
        )
        row = BulkAction(user=request.user, kind=listed.code, action=action, value=value)
        described = services.bulk_action_describe(row)
    context = {
        "kind": listed,
        "list_url": listed.list_url(query),
        "preview": preview,
        "allowed_text": listed.count_text(preview.allowed) if preview else "",
        "described": described,
        "error": error,
        "note": note,
        "export": action == EXPORT,
        "cannot_take": listed.cannot_take.get(action, ""),
        "post": request.POST,
        "background": preview is not None and preview.allowed > services.BACKGROUND_ABOVE,
    }
    return render(request, "bulk/confirm.html", context)


def _own(request: AuthenticatedRequest, action_id: int) -> BulkAction:
    row = BulkAction.objects.filter(pk=action_id, user=request.user).first()
    if row is None:
        raise Http404
    return row


@require_GET
def action_detail(request: AuthenticatedRequest, action_id: int) -> HttpResponse:
    row = _own(request, action_id)
    listed = kind_get(row.kind)
    context = {
        "row": row,
        "kind": listed,
        "described": services.bulk_action_describe(row),
        "progress_text": _("%(done)s of %(total)s")
        % {"done": row.done, "total": listed.count_text(row.total)},
        "changed_text": listed.count_text(row.changed),
    }
    return render(request, "bulk/detail.html", context)


@require_POST
def action_undo(request: AuthenticatedRequest, action_id: int) -> HttpResponse:
    row = _own(request, action_id)
    try:
        services.bulk_action_undo_check(user=request.user, row=row)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("bulk:detail", row.pk)
    if row.changed > services.BACKGROUND_ABOVE:
        BulkAction.objects.filter(pk=row.pk).update(status=BulkAction.Status.UNDOING)
        transaction.on_commit(lambda: tasks.undo_bulk_action(row.pk))
    else:
        services.bulk_action_undo(action_id=row.pk)
        messages.success(request, _("Undone."))
    return redirect("bulk:detail", row.pk)
