from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get_for_user, customers_visible_to

router = Router(tags=["customers"])


class CustomerOut(Schema):
    id: int
    name: str
    kind: Customer.Kind
    owner_id: int | None
    team_id: int | None
    created_at: datetime
    updated_at: datetime


@router.get("/", response=list[CustomerOut], summary="List the customers you may see")
@paginate
def customer_list(request: HttpRequest) -> object:
    return customers_visible_to(request.user)


@router.get(
    "/{customer_id}",
    response={200: CustomerOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="One customer",
)
def customer_detail(request: HttpRequest, customer_id: int) -> Customer:
    return customer_get_for_user(user=request.user, customer_id=customer_id)
