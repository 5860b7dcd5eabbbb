"""Customer feedback pages and the product report."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.access import (
    can_manage_accounts,
    can_record_feedback,
    require,
)
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import CappedPaginator
from kehu.customers.forms import apply_service_errors
from kehu.customers.selectors import customer_get_for_user
from kehu.service import selectors, services
from kehu.service.forms import (
    FeedbackFilterForm,
    FeedbackForm,
)
from kehu.service.views.common import PAGE_SIZE


@require_GET
def feedback_list(request: AuthenticatedRequest) -> HttpResponse:
    form = FeedbackFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    filters = selectors.FeedbackFilters(
        q=values.get("q", ""),
        kind=values.get("kind", ""),
        question_type=values.get("question_type", ""),
        product=values.get("product", ""),
    )
    rows = selectors.feedback_list(user=request.user, filters=filters)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_edit_settings": can_manage_accounts(request.user),
    }
    return render(request, "service/feedback_list.html", context)


@require_http_methods(["GET", "POST"])
def feedback_create(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    require(request.user, can_record_feedback)
    form = FeedbackForm(request.POST or None, initial={"kind": request.GET.get("kind", "")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.feedback_record(
                    user=request.user, customer=customer, **form.service_values()
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Feedback recorded."))
                return redirect(f"{customer.get_absolute_url()}#service-feedback")
        status = 400
    return render(
        request,
        "service/feedback_form.html",
        {"form": form, "customer": customer},
        status=status,
    )


@require_GET
def product_report(request: AuthenticatedRequest) -> HttpResponse:
    rows = selectors.product_report(user=request.user)
    context = {"rows": rows, "can_edit_settings": can_manage_accounts(request.user)}
    return render(request, "service/product_report.html", context)
