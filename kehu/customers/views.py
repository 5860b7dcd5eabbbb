from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kehu.customers.selectors import customer_get_for_user, customers_visible_to

PAGE_SIZE = 50


@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    customers = customers_visible_to(request.user).select_related("owner", "team").order_by("-id")
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/customer_list.html", {"page": page})


@require_GET
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    return render(request, "customers/customer_detail.html", {"customer": customer})
