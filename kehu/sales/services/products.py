"""The product catalogue: create and change products."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_manage_catalogue, require
from kehu.sales.models import (
    Product,
    SalesCorrection,
)
from kehu.sales.services.common import _correction, _diff

PRODUCT_FIELDS = (
    "name",
    "category",
    "unit",
    "list_price",
    "currency",
    "status",
    "structure",
    "product_type",
    "annual_yield",
    "risk_level",
    "description",
)


@transaction.atomic
def product_save(
    *, user: User, code: str, data: dict[str, Any], product: Product | None = None
) -> Product:
    """Create a product (``product`` None) or change one; catalogue managers only."""
    require(
        user, can_manage_catalogue, _("Only archive administrators and admins keep the catalogue.")
    )
    unknown = set(data) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(", ".join(sorted(unknown)))
    changes: dict[str, list[str]] = {}
    if product is None:
        product = Product(code=code)
    else:
        changes = _diff(product, {"code": code, **data})
        product.code = code
    for name, value in data.items():
        setattr(product, name, value)
    product.full_clean()
    product.save()
    if changes:
        _correction(
            kind=SalesCorrection.Kind.PRODUCT,
            user=user,
            reason="",
            changes=changes,
            product=product,
        )
    return product
