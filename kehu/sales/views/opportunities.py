"""Opportunities: the kanban and the list, the opportunity page, edits, moves, products."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.bulk.models import BulkAction
from kehu.bulk.selectors import bulk_bar
from kehu.core.access import can_sell
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest, next_url
from kehu.core.pagination import CappedPaginator
from kehu.customers.selectors import (
    customer_can_change,
    customer_get_for_user,
    require_customer_change,
)
from kehu.sales import selectors, services
from kehu.sales.forms import (
    MoveForm,
    OpportunityEditForm,
    OpportunityFilterForm,
    OpportunityForm,
    ReasonForm,
)
from kehu.sales.models import Opportunity, Order, PipelineStage
from kehu.sales.views.common import PAGE_SIZE, is_htmx
from kehu.sales.views.orders import _line_formset, _line_inputs, _lines_initial


def _opportunity_filters(request: AuthenticatedRequest) -> tuple[OpportunityFilterForm, Any]:
    form = OpportunityFilterForm(request.GET or None)
    return form, form.filters(user=request.user)


def _board_context(request: AuthenticatedRequest) -> dict[str, Any]:
    form, filters = _opportunity_filters(request)
    return {
        "form": form,
        "columns": selectors.kanban_board(user=request.user, filters=filters),
        "can_sell": can_sell(request.user),
        "tab": "opportunities",
        "query": request.GET.urlencode(),
    }


@require_GET
def opportunity_board(request: AuthenticatedRequest) -> HttpResponse:
    if request.GET.get("view") == "list":
        form, filters = _opportunity_filters(request)
        rows = selectors.opportunity_list(user=request.user, filters=filters)
        page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "form": form,
            "page": page,
            "tab": "opportunities",
            "view": "list",
            "bulk": bulk_bar(user=request.user, kind=BulkAction.Kind.OPPORTUNITIES),
        }
        return render(request, "sales/opportunity_list.html", context)
    return render(request, "sales/opportunity_board.html", _board_context(request))


@require_http_methods(["GET", "POST"])
def opportunity_create(request: AuthenticatedRequest) -> HttpResponse:
    customer_id = request.GET.get("customer", "")
    if not customer_id.isdigit():
        messages.info(request, _("Open a customer's page and add the opportunity from there."))
        return redirect("customers:list")
    customer = customer_get_for_user(user=request.user, customer_id=int(customer_id))
    require_customer_change(request.user, customer)
    form = OpportunityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opportunity = services.opportunity_create(
                user=request.user,
                customer=customer,
                name=data["name"],
                amount=data["amount"],
                currency=data["currency"],
                stage=data["stage"],
                expected_close_on=data["expected_close_on"],
                competitors=data["competitors"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Opportunity opened."))
            return redirect(opportunity)
    context = {"customer": customer, "form": form, "tab": "opportunities"}
    return render(request, "sales/opportunity_form.html", context)


@require_GET
def opportunity_detail(request: AuthenticatedRequest, opportunity_id: int) -> HttpResponse:
    opportunity = selectors.opportunity_get_for_user(
        user=request.user, opportunity_id=opportunity_id
    )
    context = {
        "opportunity": opportunity,
        "move_form": MoveForm(initial={"stage": opportunity.stage_id}),
        "moves": opportunity.moves.select_related("from_stage", "to_stage", "moved_by"),
        "can_change": customer_can_change(user=request.user, customer=opportunity.customer),
        "corrections": selectors.corrections_of(opportunity=opportunity),
        "order": getattr(opportunity, "order", None) if _has_order(opportunity) else None,
        "product_lines": list(opportunity.lines.select_related("product")),
        "products_total": services.opportunity_products_total(opportunity),
        "tab": "opportunities",
    }
    return render(request, "sales/opportunity_detail.html", context)


@require_http_methods(["GET", "POST"])
def opportunity_edit(request: AuthenticatedRequest, opportunity_id: int) -> HttpResponse:
    """Change an opportunity's amount, close date, probability, competitors and owner."""
    opportunity = selectors.opportunity_get_for_user(
        user=request.user, opportunity_id=opportunity_id
    )
    require_customer_change(request.user, opportunity.customer)
    form = OpportunityEditForm(
        request.POST or None,
        owners=selectors.possible_owners(customer=opportunity.customer),
        lost=opportunity.stage.outcome == PipelineStage.Outcome.LOST,
        initial={
            "name": opportunity.name,
            "amount": opportunity.amount,
            "probability": opportunity.probability,
            "expected_close_on": opportunity.expected_close_on,
            "competitors": opportunity.competitors,
            "owner": opportunity.owner_id,
            "lost_reason": opportunity.lost_reason,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
        try:
            services.opportunity_update(
                user=request.user,
                opportunity=opportunity,
                data=data,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect(opportunity)
    context = {"opportunity": opportunity, "form": form, "tab": "opportunities"}
    return render(request, "sales/opportunity_edit.html", context)


@require_http_methods(["GET", "POST"])
def opportunity_products(request: AuthenticatedRequest, opportunity_id: int) -> HttpResponse:
    """The products an opportunity is about, with quantities, prices and discounts."""
    opportunity = selectors.opportunity_get_for_user(
        user=request.user, opportunity_id=opportunity_id
    )
    require_customer_change(request.user, opportunity.customer)
    lines = _line_formset(
        request, initial=_lines_initial(opportunity.lines.select_related("product"))
    )
    reason_form = ReasonForm(request.POST or None)
    problems: list[str] = []
    if request.method == "POST" and lines.is_valid() and reason_form.is_valid():
        try:
            services.opportunity_products_set(
                user=request.user,
                opportunity=opportunity,
                lines=_line_inputs(lines),
                reason=reason_form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            problems = exc.messages
        else:
            messages.success(request, _("Products saved."))
            return redirect(opportunity)
    context = {
        "opportunity": opportunity,
        "customer": opportunity.customer,
        "lines": lines,
        "reason_form": reason_form,
        "problems": problems,
        "tab": "opportunities",
    }
    return render(request, "sales/opportunity_products.html", context)


def _has_order(opportunity: Opportunity) -> bool:
    try:
        return opportunity.order is not None
    except Order.DoesNotExist:
        return False


@require_POST
def opportunity_move(request: AuthenticatedRequest, opportunity_id: int) -> HttpResponse:
    """Move between stages: from the kanban (htmx, answers the board) or the detail page."""
    opportunity = selectors.opportunity_get_for_user(
        user=request.user, opportunity_id=opportunity_id
    )
    form = MoveForm(request.POST)
    problem = ""
    if form.is_valid():
        try:
            services.opportunity_move(
                user=request.user,
                opportunity=opportunity,
                stage=form.cleaned_data["stage"],
                lost_reason=form.cleaned_data["lost_reason"],
            )
        except (Conflict, ValidationError) as exc:
            problem = exc.message if isinstance(exc, Conflict) else " ".join(exc.messages)
    else:
        problem = _("Choose a stage.")
    if is_htmx(request):
        context = {**_board_context(request), "problem": problem}
        return render(request, "sales/partials/kanban.html", context)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, _("Opportunity moved."))
    return redirect(next_url(request, opportunity.get_absolute_url()))
