"""Growth and decline lists, the watch flag."""

from typing import Any, Literal

from ninja import Status

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.schemas import RecordId
from kehu.customers.selectors import customer_get_for_user
from kehu.oversight import selectors, services
from kehu.oversight.api.common import router
from kehu.oversight.api.schemas import GrowthOut, WatchIn


@router.get(
    "/growth",
    response={200: list[GrowthOut], **ERROR_RESPONSES},
    summary="Customers whose spending grew or fell most (top `limit`, at most 200)",
)
def growth(
    request: AuthenticatedRequest,
    direction: Literal["growth", "decline"] = "growth",
    days: Literal[90, 365] = 365,
    limit: int = 50,
) -> list[dict[str, Any]]:
    rows = list(
        selectors.growth_list(user=request.user, direction=direction, days=days)[
            : max(1, min(limit, 200))
        ]
    )
    watches = selectors.watch_reasons([r.customer_id for r in rows])
    out = []
    for r in rows:
        w = watches.get(r.customer_id)
        out.append(
            {
                "customer": r.customer,
                "spend": r.spend_90 if days == 90 else r.spend_365,
                "spend_before": r.spend_prev_90 if days == 90 else r.spend_prev_365,
                "change": r.change_90 if days == 90 else r.change_365,
                "watched": w is not None,
                "watch_reason": w.reason if w else "",
            }
        )
    return out


@router.put(
    "/customers/{customer_id}/watch",
    response={204: None, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Put the customer on the watch list, with the reason",
)
def watch_set(
    request: AuthenticatedRequest, customer_id: RecordId, payload: WatchIn
) -> Status[None]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    services.watch_set(user=request.user, customer=customer, reason=payload.reason)
    return Status(204, None)


@router.delete(
    "/customers/{customer_id}/watch",
    response={204: None, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Take the customer off the watch list",
)
def watch_clear(request: AuthenticatedRequest, customer_id: RecordId) -> Status[None]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    services.watch_clear(user=request.user, customer=customer)
    return Status(204, None)
