"""``/api/v1/products``: the catalogue."""

from ninja import Query, Router, Status
from ninja.pagination import paginate

from kehu.core.access import can_manage_catalogue, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.sales import selectors, services
from kehu.sales.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    ProductFilterIn,
    ProductIn,
    ProductOut,
)
from kehu.sales.models import (
    Product,
)

products_router = Router(tags=["products"])


# --- products ---------------------------------------------------------------------------------


@products_router.get(
    "/", response={200: list[ProductOut], 422: ErrorBody, **ERROR_RESPONSES}, summary="Products"
)
@paginate(KeysetPagination)
def product_list(request: AuthenticatedRequest, filters: Query[ProductFilterIn]) -> object:
    return selectors.product_list(
        q=filters.q, status=filters.status or "", category=filters.category
    )


@products_router.post(
    "/",
    response={201: ProductOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Add a product (archive administrators and admins)",
)
def product_create(request: AuthenticatedRequest, payload: ProductIn) -> Status[Product]:
    data = payload.model_dump(exclude={"code"})
    product = services.product_save(user=request.user, code=payload.code, data=data)
    return Status(201, product)


@products_router.get("/{product_id}", response={200: ProductOut, **READ_ERRORS}, summary="Product")
def product_detail(request: AuthenticatedRequest, product_id: int) -> Product:
    return selectors.product_get(product_id=product_id)


@products_router.put(
    "/{product_id}",
    response={200: ProductOut, **WRITE_ERRORS},
    summary="Change a product (archive administrators and admins)",
)
def product_update(request: AuthenticatedRequest, product_id: int, payload: ProductIn) -> Product:
    require(request.user, can_manage_catalogue)
    product = selectors.product_get(product_id=product_id)
    data = payload.model_dump(exclude={"code"})
    return services.product_save(user=request.user, code=payload.code, data=data, product=product)
