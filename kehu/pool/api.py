"""``/api/v1/pool/``: the public pool (公海), browsed with contact details masked, and claims."""

from datetime import datetime

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from kehu.core.access import can_view_pool, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.core.phones import mask_phone
from kehu.customers.models import Customer
from kehu.pool import selectors, services

router = Router(tags=["pool"])


class PoolCustomerOut(Schema):
    id: int
    name: str
    kind: Customer.Kind
    grade: Customer.Grade
    lifecycle_stage: Customer.Stage
    province: str
    city: str
    phones: list[str] = Field(description="Masked until you own the customer.")
    updated_at: datetime

    @staticmethod
    def resolve_phones(obj: Customer) -> list[str]:
        return [mask_phone(p.number) for p in obj.phones.all()]


class PoolFilterIn(Schema):
    q: str = Field("", description="Part of the name.")
    grade: Customer.Grade | None = None


class ClaimOut(Schema):
    id: int
    name: str
    claims_left_today: int


@router.get(
    "/",
    response={200: list[PoolCustomerOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="Customers in the public pool, phones masked",
)
@paginate(KeysetPagination)
def pool_list(request: AuthenticatedRequest, filters: Query[PoolFilterIn]) -> object:
    require(request.user, can_view_pool)
    return selectors.pool_list(user=request.user, q=filters.q, grade=filters.grade or "")


@router.post(
    "/{customer_id}/claim",
    response={200: ClaimOut, 404: ErrorBody, 409: ErrorBody, **ERROR_RESPONSES},
    summary="Take a customer from the pool",
    description=(
        "You become the owner. 409 past the daily claim limit, or when someone took it first; "
        "404 if it is not in the pool."
    ),
)
def pool_claim(request: AuthenticatedRequest, customer_id: int) -> dict[str, object]:
    customer = selectors.pool_customer_get(user=request.user, customer_id=customer_id)
    claimed = services.pool_claim(user=request.user, customer=customer)
    allowance = selectors.claim_allowance(user=request.user, day=timezone.localdate())
    return {"id": claimed.pk, "name": claimed.name, "claims_left_today": allowance.left}
