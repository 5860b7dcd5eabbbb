# Over 500 lines: waits for issue #16's pager and access changes (branch refa); then a
# views/ package like kehu/sales/api (products, orders, opportunities, reports).
"""Sales in the browser: orders with lines and payments, the opportunity kanban and list,
the product catalogue and the sales-performance report.

Records are fetched through the sales selectors (404 outside the user's scope), writes go
through ``kehu.sales.services``; htmx requests get fragments from ``sales/partials/``.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import can_manage_catalogue, can_sell, require, require_archive_admin
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import CappedPaginator
from kehu.core.templatetags.kehu_format import money
from kehu.customers.selectors import (
    customer_can_change,
    customer_get_for_user,
    require_customer_change,
)
from kehu.sales import selectors, services
from kehu.sales.forms import (
    LineFormSet,
    MoveForm,
    OpportunityEditForm,
    OpportunityFilterForm,
    OpportunityForm,
    OrderEditForm,
    OrderFilterForm,
    OrderForm,
    PaymentCorrectionForm,
    PaymentForm,
    PerformanceForm,
    PipelineStageForm,
    ProductField,
    ProductForm,
    ReasonForm,
    ReversalForm,
    StageDeleteForm,
)
from kehu.sales.models import Opportunity, Order, PipelineStage

PAGE_SIZE = 50
INVALID = 422


def is_htmx(request: AuthenticatedRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for messages_ in exc.message_dict.values() for m in messages_]
    return [str(m) for m in exc.messages]


# --- orders -----------------------------------------------------------------------------------


@require_GET
def order_list(request: AuthenticatedRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    orders = selectors.order_list(
        user=request.user,
        filters=selectors.OrderFilters(
            status=values.get("status", ""),
            channel=values.get("channel", ""),
            since=values.get("since"),
            until=values.get("until"),
            unpaid=values.get("unpaid", False),
        ),
    )
    page = CappedPaginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sales/order_list.html", {"form": form, "page": page, "tab": "orders"})


def _line_formset(
    request: AuthenticatedRequest, initial: list[dict[str, Any]] | None = None
) -> Any:
    return LineFormSet(
        request.POST or None,
        prefix="lines",
        initial=initial,
        form_kwargs={"products": selectors.products_on_sale()},
    )


def _lines_initial(rows: Any) -> list[dict[str, Any]]:
    """Order or opportunity lines as the line forms' initial values."""
    return [
        {
            "product": line.product,
            "quantity": line.quantity.normalize(),
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent.normalize() or None,
        }
        for line in rows
    ]


def _line_inputs(lines: Any) -> list[services.LineInput]:
    return [line for line in (f.line() for f in lines.forms) if line is not None]


@require_http_methods(["GET", "POST"])
def order_create(request: AuthenticatedRequest) -> HttpResponse:
    customer_id = request.GET.get("customer", "")
    if not customer_id.isdigit():
        messages.info(request, _("Open a customer's page and take the order from there."))
        return redirect("customers:list")
    customer = customer_get_for_user(user=request.user, customer_id=int(customer_id))
    require_customer_change(request.user, customer)
    opportunity: Opportunity | None = None
    opportunity_id = request.GET.get("opportunity", "")
    if opportunity_id.isdigit():
        opportunity = selectors.opportunity_get_for_user(
            user=request.user, opportunity_id=int(opportunity_id)
        )
    form = OrderForm(request.POST or None)
    initial_lines = None
    if opportunity is not None:
        # The won opportunity's products become the order's lines (the rep may still change
        # them before taking the order).
        form.initial["currency"] = opportunity.currency
        initial_lines = _lines_initial(opportunity.lines.select_related("product")) or None
    lines = _line_formset(request, initial=initial_lines)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            order = services.order_create(
                user=request.user,
                customer=customer,
                lines=_line_inputs(lines),
                ordered_on=form.cleaned_data["ordered_on"],
                channel=form.cleaned_data["channel"],
                currency=form.cleaned_data["currency"],
                notes=form.cleaned_data["notes"],
                opportunity=opportunity,
            )
        except ValidationError as exc:
            problems = _errors(exc)
        except Conflict as exc:
            problems = [exc.message]
        else:
            messages.success(
                request,
                _("Order %(number)s taken: %(total)s.")
                % {"number": order.number, "total": money(order.total_amount, order.currency)},
            )
            return redirect(order)
    context = {
        "customer": customer,
        "form": form,
        "lines": lines,
        "problems": problems,
        "opportunity": opportunity,
        "tab": "orders",
    }
    return render(request, "sales/order_form.html", context)


@require_http_methods(["GET", "POST"])
def order_edit(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    """Correct an order before delivery: lines, prices, discounts, date, with a reason."""
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    require_customer_change(request.user, order.customer)
    if order.status != Order.Status.CONFIRMED:
        messages.error(request, _("Only an order not yet delivered can be corrected."))
        return redirect(order)
    form = OrderEditForm(
        request.POST or None,
        initial={"ordered_on": order.ordered_on, "channel": order.channel, "notes": order.notes},
    )
    lines = _line_formset(
        request,
        initial=_lines_initial(order.lines.select_related("product")),
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            services.order_update(
                user=request.user,
                order=order,
                reason=form.cleaned_data["reason"],
                lines=_line_inputs(lines),
                ordered_on=form.cleaned_data["ordered_on"],
                channel=form.cleaned_data["channel"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            problems = _errors(exc)
        except Conflict as exc:
            problems = [exc.message]
        else:
            messages.success(request, _("Order corrected."))
            return redirect(order)
    context = {
        "customer": order.customer,
        "order": order,
        "form": form,
        "lines": lines,
        "problems": problems,
        "tab": "orders",
    }
    return render(request, "sales/order_form.html", context)


@require_GET
def product_search(request: AuthenticatedRequest) -> HttpResponse:
    """The products on sale matching what is typed in a line (htmx: the datalist's options)."""
    q = request.GET.get("q") or next(
        (str(v) for k, v in request.GET.items() if k.endswith("product")), ""
    )
    q = q.split(ProductField.SEPARATOR, 1)[0].strip()
    products = selectors.product_list(q=q).filter(status="active")[:20]
    return render(request, "sales/partials/product_options.html", {"products": products})


def _order_context(request: AuthenticatedRequest, order: Order, **extra: Any) -> dict[str, Any]:
    can_change = customer_can_change(user=request.user, customer=order.customer)
    return {
        "order": order,
        "can_change": can_change,
        "payment_form": extra.pop("payment_form", None) or PaymentForm(),
        "corrections": selectors.corrections_of(order=order),
        "tab": "orders",
        **extra,
    }


def _payment(request: AuthenticatedRequest, order_id: int, payment_id: int) -> Any:
    payment = selectors.payment_get_for_user(user=request.user, payment_id=payment_id)
    if payment.order_id != order_id:
        raise Http404
    return payment


@require_http_methods(["GET", "POST"])
def payment_reverse(request: AuthenticatedRequest, order_id: int, payment_id: int) -> HttpResponse:
    """Reverse (or, with ``?correct=1``, correct) a payment, with a reason."""
    payment = _payment(request, order_id, payment_id)
    require_customer_change(request.user, payment.order.customer)
    correcting = request.GET.get("correct") == "1"
    form: forms.Form
    if correcting:
        form = PaymentCorrectionForm(
            request.POST or None,
            initial={
                "amount": payment.amount,
                "received_on": payment.received_on,
                "method": payment.method,
                "reference": payment.reference,
            },
        )
    else:
        form = ReversalForm(request.POST or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if correcting:
                services.payment_correct(
                    user=request.user,
                    payment=payment,
                    reason=data["reason"],
                    amount=data["amount"],
                    received_on=data["received_on"],
                    method=data["method"],
                    reference=data["reference"],
                )
            else:
                services.payment_reverse(user=request.user, payment=payment, reason=data["reason"])
        except ValidationError as exc:
            problems = _errors(exc)
        except Conflict as exc:
            problems = [exc.message]
        else:
            messages.success(
                request, _("Payment corrected.") if correcting else _("Payment reversed.")
            )
            return redirect(payment.order)
    context = {
        "payment": payment,
        "order": payment.order,
        "form": form,
        "correcting": correcting,
        "problems": problems,
        "tab": "orders",
    }
    return render(
        request,
        "sales/payment_reverse.html",
        context,
        status=INVALID if request.method == "POST" else 200,
    )


@require_GET
def order_detail(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    return render(request, "sales/order_detail.html", _order_context(request, order))


@require_POST
def payment_create(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    form = PaymentForm(request.POST)
    status = 200
    problems: list[str] = []
    if form.is_valid():
        try:
            services.payment_record(
                user=request.user,
                order=order,
                amount=form.cleaned_data["amount"],
                received_on=form.cleaned_data["received_on"],
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
            )
        except ValidationError as exc:
            problems = _errors(exc)
        except Conflict as exc:
            problems = [exc.message]
        else:
            if not is_htmx(request):
                messages.success(request, _("Payment recorded."))
                return redirect(order)
            order = selectors.order_get_for_user(user=request.user, order_id=order_id)
            context = _order_context(request, order, recorded=True)
            return render(request, "sales/partials/order_payments.html", context)
    status = INVALID
    context = _order_context(request, order, payment_form=form, problems=problems)
    template = (
        "sales/partials/order_payments.html" if is_htmx(request) else "sales/order_detail.html"
    )
    return render(request, template, context, status=status)


@require_POST
def order_cancel(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    try:
        services.order_cancel(user=request.user, order=order)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Order cancelled."))
    return redirect(order)


@require_POST
def order_deliver(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    try:
        services.order_mark_delivered(user=request.user, order=order)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Order marked delivered."))
    return redirect(order)


# --- opportunities ----------------------------------------------------------------------------


def _opportunity_filters(request: AuthenticatedRequest) -> tuple[OpportunityFilterForm, Any]:
    form = OpportunityFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    filters = selectors.OpportunityFilters(
        q=values.get("q", ""), owner_id=request.user.pk if values.get("mine") else None
    )
    return form, filters


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
        context = {"form": form, "page": page, "tab": "opportunities", "view": "list"}
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
            for message in _errors(exc):
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
            for message in _errors(exc):
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
            problems = _errors(exc)
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
            problem = exc.message if isinstance(exc, Conflict) else " ".join(_errors(exc))
    else:
        problem = _("Choose a stage.")
    if is_htmx(request):
        context = {**_board_context(request), "problem": problem}
        return render(request, "sales/partials/kanban.html", context)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, _("Opportunity moved."))
    return redirect(request.POST.get("next") or opportunity.get_absolute_url())


# --- products ---------------------------------------------------------------------------------


@require_GET
def product_list(request: AuthenticatedRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    page = Paginator(selectors.product_list(q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "can_manage": can_manage_catalogue(request.user),
        "tab": "products",
    }
    return render(request, "sales/product_list.html", context)


@require_http_methods(["GET", "POST"])
def product_create(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, can_manage_catalogue)
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            services.product_save(user=request.user, code=form.cleaned_data["code"], data=data)
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Product added."))
            return redirect("sales:products")
    return render(request, "sales/product_form.html", {"form": form, "tab": "products"})


@require_http_methods(["GET", "POST"])
def product_edit(request: AuthenticatedRequest, product_id: int) -> HttpResponse:
    require(request.user, can_manage_catalogue)
    product = selectors.product_get(product_id=product_id)
    form = ProductForm(request.POST or None, instance=selectors.product_get(product_id=product_id))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            services.product_save(
                user=request.user, code=form.cleaned_data["code"], data=data, product=product
            )
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Product saved."))
            return redirect("sales:products")
    context = {"form": form, "product": product, "tab": "products"}
    return render(request, "sales/product_form.html", context)


# --- the pipeline -----------------------------------------------------------------------------


@require_GET
def pipeline_settings(request: AuthenticatedRequest) -> HttpResponse:
    require_archive_admin(request.user)
    stages = selectors.pipeline_stage_rows()
    return render(request, "sales/pipeline.html", {"stages": stages, "tab": "pipeline"})


def _stage_or_404(stage_id: int) -> PipelineStage:
    stage = PipelineStage.objects.filter(pk=stage_id, is_active=True).first()
    if stage is None:
        raise Http404
    return stage


@require_http_methods(["GET", "POST"])
def pipeline_stage_edit(request: AuthenticatedRequest, stage_id: int | None = None) -> HttpResponse:
    require_archive_admin(request.user)
    stage = _stage_or_404(stage_id) if stage_id is not None else None
    form = PipelineStageForm(request.POST or None, instance=stage)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            services.pipeline_stage_save(
                user=request.user, data=data, stage=stage, code=form.cleaned_data.get("code", "")
            )
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Pipeline stage saved."))
            return redirect("sales:pipeline")
    context = {"form": form, "stage": stage, "tab": "pipeline"}
    return render(
        request, "sales/pipeline_stage_form.html", context, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def pipeline_stage_delete(request: AuthenticatedRequest, stage_id: int) -> HttpResponse:
    require_archive_admin(request.user)
    stage = _stage_or_404(stage_id)
    form = StageDeleteForm(request.POST if request.method == "POST" else None, stage=stage)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            deleted = services.pipeline_stage_delete(
                user=request.user, stage=stage, move_to=form.cleaned_data["move_to"]
            )
        except ValidationError as exc:
            problems = _errors(exc)
        else:
            messages.success(
                request,
                _("Pipeline stage deleted.")
                if deleted
                else _("Pipeline stage removed; the opportunities' history still names it."),
            )
            return redirect("sales:pipeline")
    context = {
        "form": form,
        "stage": stage,
        "problems": problems,
        "opportunities": Opportunity.objects.filter(stage=stage).count(),
        "tab": "pipeline",
    }
    return render(
        request,
        "sales/pipeline_stage_delete.html",
        context,
        status=400 if problems or form.errors else 200,
    )


# --- performance ------------------------------------------------------------------------------


@require_GET
def performance(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    form = PerformanceForm(request.GET or None, initial=PerformanceForm.defaults(today))
    values = form.cleaned_data if form.is_bound and form.is_valid() else form.defaults(today)
    report = selectors.sales_performance(
        user=request.user,
        start=values["start"],
        end=values["end"],
        group_by=values["group_by"],
        currency=values["currency"],
    )
    chart = {
        "labels": [row.label for row in report.rows],
        "revenue": [str(row.revenue) for row in report.rows],
        "collected": [str(row.collected) for row in report.rows],
        "names": {"revenue": _("Revenue"), "collected": _("Collected")},
    }
    context = {"form": form, "report": report, "chart": chart, "tab": "performance"}
    return render(request, "sales/performance.html", context)
