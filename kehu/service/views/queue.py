"""The service queue and the case list."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kehu.bulk.models import BulkAction
from kehu.bulk.selectors import bulk_bar
from kehu.core.access import (
    can_manage_accounts,
    can_work_cases,
)
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import CappedPaginator
from kehu.service import selectors
from kehu.service.forms import (
    CaseFilterForm,
)
from kehu.service.views.common import PAGE_SIZE


@require_GET
def case_queue(request: AuthenticatedRequest) -> HttpResponse:
    scope = request.GET.get("scope", "mine")
    if scope not in selectors.QUEUE_SCOPES:
        scope = "mine"
    queue = selectors.case_queue(user=request.user, scope=scope)
    context = {
        "queue": queue,
        "scope": scope,
        "now": timezone.now(),
        "can_work": can_work_cases(request.user),
        "can_edit_settings": can_manage_accounts(request.user),
    }
    return render(request, "service/case_queue.html", context)


@require_GET
def case_list(request: AuthenticatedRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    cases = selectors.case_list(user=request.user, filters=form.filters())
    page = CappedPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_edit_settings": can_manage_accounts(request.user),
        "bulk": bulk_bar(user=request.user, kind=BulkAction.Kind.CASES),
    }
    return render(request, "service/case_list.html", context)
