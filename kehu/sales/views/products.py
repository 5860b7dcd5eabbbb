"""The product catalogue's pages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.access import can_manage_catalogue, require
from kehu.core.http import AuthenticatedRequest
from kehu.sales import selectors, services
from kehu.sales.forms import (
    ProductForm,
)
from kehu.sales.views.common import PAGE_SIZE


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
            for message in exc.messages:
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
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Product saved."))
            return redirect("sales:products")
    context = {"form": form, "product": product, "tab": "products"}
    return render(request, "sales/product_form.html", context)
