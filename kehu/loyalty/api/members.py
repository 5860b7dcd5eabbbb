"""Members, their ledgers, redemption."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from kehu.core.access import can_manage_loyalty, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.customers.selectors import customer_get_for_user
from kehu.loyalty import member_import, redemption, selectors, services
from kehu.loyalty.api.common import READ, WRITE, router
from kehu.loyalty.api.schemas import (
    AdjustIn,
    CardOut,
    EntryFilterIn,
    EntryOut,
    MemberImportOut,
    MemberOut,
    OverviewOut,
    PointsIn,
    RedeemableOut,
    RedeemedOut,
    RewardRedeemIn,
)
from kehu.loyalty.models import (
    Member,
    PointsEntry,
    Reward,
)
from kehu.sales.selectors import order_get_for_user


@router.get(
    "/customers/{customer_id}/card",
    response={200: CardOut, **READ},
    summary="A customer's member card: level, progress, balance, recent ledger",
)
def member_card(request: AuthenticatedRequest, customer_id: int) -> dict[str, object]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    card = selectors.member_card(customer=customer, today=timezone.localdate())
    return {
        "member": card.member,
        "next_level": card.next_level,
        "progress_percent": card.progress,
        "to_go": card.to_go,
        "spend_12_months": card.standing.spend if card.standing else None,
        "orders_12_months": card.standing.orders if card.standing else None,
        "balance_value": card.balance_value,
        "recent": card.recent,
        "history": card.history,
    }


@router.post(
    "/members/import",
    response={200: MemberImportOut, **WRITE},
    summary="Import members from a CSV or XLSX file (a dry run unless dry_run is false)",
)
def members_import(
    request: AuthenticatedRequest, file: File[UploadedFile], dry_run: Form[bool] = True
) -> dict[str, object]:
    """The membership import page's import: a customer key (customer number, ID number, credit
    code or phone) and optionally card number, level, join date and opening points per row;
    each bad row reported with its number, column, value and reason."""
    name = file.name or ""
    report = member_import.members_import_upload(user=request.user, upload=file, name=name)
    if not dry_run:
        report = member_import.members_import_run(user=request.user, token=report.token, name=name)
    return {
        "imported": report.imported,
        "rows": len(report.rows),
        "ready": report.enrolling,
        "enrolled": report.enrolled,
        "already_members": len(report.already),
        "problems": report.problem_lines,
    }


@router.post(
    "/customers/{customer_id}/enrol",
    response={200: MemberOut, 201: MemberOut, **WRITE},
    summary="Enrol a customer (a member already is returned as is)",
)
def member_enrol(request: AuthenticatedRequest, customer_id: int) -> Status[Member]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    existed = Member.objects.filter(customer=customer).exists()
    member = services.member_enrol(user=request.user, customer=customer)
    return Status(200 if existed else 201, member)


@router.post(
    "/customers/{customer_id}/adjust",
    response={201: EntryOut, **WRITE},
    summary="Adjust a member's points by hand, with a reason",
)
def points_adjust(
    request: AuthenticatedRequest, customer_id: int, payload: AdjustIn
) -> Status[PointsEntry]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    require(request.user, can_manage_loyalty, services.MANAGE_REFUSED)
    member = selectors.member_get_for_user(user=request.user, customer_id=customer.pk)
    return Status(
        201,
        services.points_adjust(
            user=request.user, member=member, points=payload.points, reason=payload.reason
        ),
    )


@router.post(
    "/customers/{customer_id}/rewards",
    response={201: EntryOut, **WRITE},
    summary="Exchange points for a reward item",
)
def reward_redeem(
    request: AuthenticatedRequest, customer_id: int, payload: RewardRedeemIn
) -> Status[PointsEntry]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    services.require_member_change(request.user, customer)
    member = selectors.member_get_for_user(user=request.user, customer_id=customer.pk)
    reward = Reward.objects.filter(pk=payload.reward_id, is_active=True).first()
    if reward is None:
        raise ValidationError({"reward_id": [_("No such reward.")]})
    return Status(
        201,
        services.points_redeem(
            user=request.user, member=member, points=reward.points, reward=reward
        ),
    )


@router.get(
    "/orders/{order_id}/redeemable",
    response={200: RedeemableOut, **READ},
    summary="How many points may pay towards an order now",
)
def order_redeemable(request: AuthenticatedRequest, order_id: int) -> dict[str, object]:
    order = order_get_for_user(user=request.user, order_id=order_id)
    member = selectors.orders_of_member(order=order)
    return {
        "member": member is not None,
        "balance": member.points_balance if member else 0,
        "redeemable_points": redemption.redeemable(order=order, member=member) if member else 0,
        "point_value": services.programme_get().point_value,
    }


@router.post(
    "/orders/{order_id}/redeem",
    response={201: RedeemedOut, **WRITE},
    summary="Pay part of an order with points",
    description="Recorded as a payment of method `points`; reversing it gives the points back.",
)
def order_redeem(
    request: AuthenticatedRequest, order_id: int, payload: PointsIn
) -> Status[dict[str, object]]:
    order = order_get_for_user(user=request.user, order_id=order_id)
    payment = redemption.order_points_redeem(user=request.user, order=order, points=payload.points)
    member = Member.objects.get(customer_id=order.customer_id)
    return Status(
        201,
        {
            "payment_id": payment.pk,
            "amount": payment.amount,
            "points": payload.points,
            "balance": member.points_balance,
        },
    )


@router.get(
    "/entries/",
    response={200: list[EntryOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="The points ledger of the customers you may see, newest first",
)
@paginate(KeysetPagination)
def entry_list(request: AuthenticatedRequest, filters: Query[EntryFilterIn]) -> object:
    return selectors.entries_visible_to(
        request.user,
        kind=filters.kind or "",
        customer_id=filters.customer_id,
        level_id=filters.level_id,
        since=filters.since,
        until=filters.until,
    )


@router.get(
    "/overview",
    response={200: OverviewOut, **ERROR_RESPONSES},
    summary="Members per level, points liability, points per month, level migration",
)
def overview(
    request: AuthenticatedRequest, start: date | None = None, end: date | None = None
) -> dict[str, object]:
    o = selectors.overview(user=request.user, today=timezone.localdate(), start=start, end=end)
    return {
        "members": o.members,
        "per_level": [{"level": lv, "members": n} for lv, n in o.levels],
        "liability_points": o.liability_points,
        "liability_value": o.liability_value,
        "months": o.months,
        "earned": o.earned,
        "redeemed": o.redeemed,
        "expired": o.expired,
        "start": o.start,
        "end": o.end,
        "migration": [
            {"from_level": m["from"], "to_level": m["to"], "members": m["members"]}
            for m in o.migration
        ],
    }
