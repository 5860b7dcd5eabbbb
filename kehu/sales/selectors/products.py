"""The product catalogue."""

from django.db.models import Q, QuerySet
from django.http import Http404

from kehu.sales.models import (
    Product,
)

# --- products ---------------------------------------------------------------------------------


def product_list(*, q: str = "", status: str = "", category: str = "") -> QuerySet[Product]:
    queryset = Product.objects.all()
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if status:
        queryset = queryset.filter(status=status)
    if category:
        queryset = queryset.filter(category=category)
    return queryset.order_by("code")


def product_get(*, product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise Http404
    return product


def products_on_sale() -> QuerySet[Product]:
    return Product.objects.filter(status=Product.Status.ACTIVE).order_by("category", "code")
