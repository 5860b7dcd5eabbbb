"""Orders in the browser: the list, entry with lines, the order page, corrections, payments."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.bulk.models import BulkAction
from kehu.bulk.selectors import bulk_bar
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
    OrderEditForm,
    OrderFilterForm,
    OrderForm,
    PaymentCorrectionForm,
    PaymentForm,
    ProductField,
    ReversalForm,
)
from kehu.sales.models import Opportunity, Order
from kehu.sales.views.common import INVALID, PAGE_SIZE, is_htmx


@require_GET
def order_list(request: AuthenticatedRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None)
    orders = selectors.order_list(user=request.user, filters=form.filters())
    page = CappedPaginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "tab": "orders",
        "bulk": bulk_bar(user=request.user, kind=BulkAction.Kind.ORDERS),
    }
    return render(request, "sales/order_list.html", context)


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
            problems = exc.messages
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
            problems = exc.messages
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
            problems = exc.messages
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
            problems = exc.messages
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
