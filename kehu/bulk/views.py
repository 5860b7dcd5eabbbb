"""Bulk actions on the customer list: confirm with counts, run (in the background when large),
follow the progress, undo an assignment or a tagging. Roles that change customers only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.bulk import services, tasks
from kehu.bulk.models import BulkAction
from kehu.core.access import is_read_only, require
from kehu.core.http import AuthenticatedRequest
from kehu.customers.forms import CustomerFilterForm
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_list


def _require(request: AuthenticatedRequest) -> None:
    require(request.user, lambda u: not is_read_only(u), _("Your role may not change customers."))


def _selection(request: AuthenticatedRequest) -> tuple[object, str]:
    """The selected customers: the ticked ones, or every one matching the list's filter."""
    query = request.POST.get("query", "")
    if request.POST.get("all") == "1":
        form = CustomerFilterForm(QueryDict(query) or None)
        return customer_list(user=request.user, filters=form.filters()), query
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    return Customer.objects.filter(pk__in=ids), query


@require_POST
def customers_confirm(request: AuthenticatedRequest) -> HttpResponse:
    """From the list: show what will change and how many; on confirmation, do it."""
    _require(request)
    selection, query = _selection(request)
    action = request.POST.get("action", "")
    field = "tag" if action in {BulkAction.Action.TAG, BulkAction.Action.UNTAG} else action
    value = request.POST.get(f"value_{field}", request.POST.get("value", ""))
    selected = selection.count()  # type: ignore[attr-defined]
    targets = services.bulk_targets(user=request.user, selection=selection).count()  # type: ignore[arg-type]
    if request.POST.get("confirm") == "1":
        try:
            with transaction.atomic():
                row = services.bulk_action_create(
                    user=request.user,
                    action=action,
                    value=value,
                    selection=selection,  # type: ignore[arg-type]
                )
                background = row.total > services.BACKGROUND_ABOVE
                if background:
                    transaction.on_commit(lambda: tasks.run_bulk_action(row.pk))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(f"/customers/?{query}")
        if not background:
            services.bulk_action_run(action_id=row.pk)
        return redirect("bulk:detail", row.pk)
    error = ""
    try:
        value = services.bulk_value_clean(action, value)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    preview = BulkAction(user=request.user, action=action, value=value)
    context = {
        "selected": selected,
        "targets": targets,
        "described": services.bulk_action_describe(preview) if not error else None,
        "error": error,
        "action": action,
        "value": value,
        "query": query,
        "post": request.POST,
        "background": targets > services.BACKGROUND_ABOVE,
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
    context = {"row": row, "described": services.bulk_action_describe(row)}
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
