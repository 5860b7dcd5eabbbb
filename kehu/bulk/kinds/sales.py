"""The opportunity and order lists in bulk, through the sales services: an opportunity's new
owner (``opportunity_update``, kept as a correction) or stage (``opportunity_move``, on its
history); an order's new owner (``order_assign``, a correction). Sales records follow their
customer: a user changes those of the customers they may change, and a new owner must be someone
who may change the customer too (else that record is skipped)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kehu.accounts.models import User
from kehu.bulk.kinds.base import (
    ActionSpec,
    BulkKind,
    active_user,
    export_spec,
    owner_choices,
    user_or_none,
)
from kehu.bulk.models import BulkAction
from kehu.core.access import can_own_customers, can_sell
from kehu.customers.selectors import bulk_owner_choices, customers_changeable_q
from kehu.sales.forms import OpportunityFilterForm, OrderFilterForm
from kehu.sales.models import Opportunity, Order, PipelineStage
from kehu.sales.selectors import (
    opportunities_visible_to,
    opportunity_list,
    order_list,
    orders_visible_to,
    pipeline_stages,
)
from kehu.sales.services import opportunity_move, opportunity_update, order_assign

A = BulkAction.Action
REFUSED = gettext_lazy("Your role may not change sales records.")
NEW_OWNER_CANNOT = gettext_lazy("the new owner may not change their customer")


def _owner(value: str) -> User:
    owner = active_user(value)
    if owner is None or not can_own_customers(owner):
        raise ValidationError(
            {"value": [_("Choose an active colleague who may own sales records.")]}
        )
    return owner


def _assign_spec() -> ActionSpec:
    return ActionSpec(
        A.ASSIGN,
        gettext_lazy("Assign to"),
        can_sell,
        REFUSED,
        field="assign",
        label_of_field=gettext_lazy("Assign to"),
        choices=lambda: owner_choices(bulk_owner_choices()),
        placeholder=gettext_lazy("Assign to…"),
        uses_note=True,
    )


def _reason(row: BulkAction) -> str:
    return row.note or _("Bulk action")


class OpportunityKind(BulkKind):
    code = BulkAction.Kind.OPPORTUNITIES
    model = Opportunity
    refused = REFUSED
    cannot_take = {
        A.ASSIGN: NEW_OWNER_CANNOT,
        A.STAGE: gettext_lazy("a won opportunity that became an order stays won"),
    }

    def actions(self) -> list[ActionSpec]:
        return [
            _assign_spec(),
            ActionSpec(
                A.STAGE,
                gettext_lazy("Change stage"),
                can_sell,
                REFUSED,
                field="stage",
                label_of_field=gettext_lazy("Stage"),
                choices=lambda: [(stage.code, stage.label) for stage in pipeline_stages()],
                placeholder=gettext_lazy("Stage…"),
            ),
            export_spec(),
        ]

    def count_text(self, n: int) -> str:
        return ngettext("%(n)s opportunity", "%(n)s opportunities", n) % {"n": n}

    def list_url(self, query: str = "") -> str:
        return reverse("sales:opportunities") + "?" + (query or "view=list")

    def listed(self, *, user: User, query: QueryDict) -> QuerySet[Any]:
        filters = OpportunityFilterForm(query or None).filters(user=user)
        return opportunity_list(user=user, filters=filters)

    def visible(self, user: User) -> QuerySet[Any]:
        return opportunities_visible_to(user)

    def changeable(self, user: User) -> QuerySet[Any]:
        return Opportunity.objects.filter(customers_changeable_q(user, prefix="customer__"))

    def clean(self, action: str, value: str, note: str) -> str:
        value = value.strip()
        if action == A.ASSIGN:
            _owner(value)
        elif action == A.STAGE:
            stage = PipelineStage.objects.filter(code=value, is_active=True).first()
            if stage is None:
                raise ValidationError({"value": [_("Choose a stage.")]})
            if stage.outcome == PipelineStage.Outcome.LOST:
                raise ValidationError(
                    {
                        "value": [
                            _(
                                "Moving to “%(stage)s” needs each opportunity's own lost "
                                "reason: move them one at a time from the opportunity's page."
                            )
                            % {"stage": stage.label}
                        ]
                    }
                )
        else:
            raise ValidationError({"action": [_("Choose what to do.")]})
        return value

    def target(self, row: BulkAction) -> Any:
        if row.action == A.ASSIGN:
            return User.objects.get(pk=int(row.value))
        return PipelineStage.objects.get(code=row.value)

    def takes(self, queryset: QuerySet[Any], action: str, value: str) -> QuerySet[Any]:
        if action == A.ASSIGN:
            owner = _owner(value)
            return queryset.filter(customers_changeable_q(owner, prefix="customer__"))
        if action == A.STAGE:
            stage = PipelineStage.objects.get(code=value)
            if stage.outcome != PipelineStage.Outcome.WON:
                return queryset.exclude(
                    stage__outcome=PipelineStage.Outcome.WON, order__isnull=False
                )
        return queryset

    def for_run(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("customer", "stage", "owner")

    def apply(self, row: BulkAction, record: Opportunity, target: Any) -> str | None:
        if row.action == A.ASSIGN:
            if record.owner_id == target.pk:
                return None
            before = str(record.owner_id or "")
            opportunity_update(
                user=row.user, opportunity=record, data={"owner": target}, reason=_reason(row)
            )
            return before
        if record.stage_id == target.pk:
            return None
        before = record.stage.code
        opportunity_move(user=row.user, opportunity=record, stage=target)
        return before

    def undo_rows(self, row: BulkAction) -> QuerySet[Any]:
        # Only the opportunities still with the owner they were given to.
        return Opportunity.objects.filter(owner_id=int(row.value)).select_related("customer")

    def undo(self, row: BulkAction, record: Opportunity, held: str, note: str) -> None:
        # An opportunity that had no owner keeps its new one: an owner is never taken away.
        opportunity_update(
            user=row.user, opportunity=record, data={"owner": user_or_none(held)}, reason=note
        )

    def describe(self, action: str, value: str) -> str:
        if action == A.ASSIGN:
            owner = user_or_none(value)
            return str(owner) if owner else value
        if action == A.STAGE:
            stage = PipelineStage.objects.filter(code=value).first()
            return stage.label if stage else value
        return value


class OrderKind(BulkKind):
    code = BulkAction.Kind.ORDERS
    model = Order
    refused = REFUSED
    cannot_take = {
        A.ASSIGN: gettext_lazy(
            "a cancelled order keeps its owner, or the new owner may not change its customer"
        )
    }

    def actions(self) -> list[ActionSpec]:
        return [_assign_spec(), export_spec()]

    def count_text(self, n: int) -> str:
        return ngettext("%(n)s order", "%(n)s orders", n) % {"n": n}

    def list_url(self, query: str = "") -> str:
        return reverse("sales:orders") + (f"?{query}" if query else "")

    def listed(self, *, user: User, query: QueryDict) -> QuerySet[Any]:
        return order_list(user=user, filters=OrderFilterForm(query or None).filters())

    def visible(self, user: User) -> QuerySet[Any]:
        return orders_visible_to(user)

    def changeable(self, user: User) -> QuerySet[Any]:
        return Order.objects.filter(customers_changeable_q(user, prefix="customer__"))

    def clean(self, action: str, value: str, note: str) -> str:
        value = value.strip()
        if action != A.ASSIGN:
            raise ValidationError({"action": [_("Choose what to do.")]})
        _owner(value)
        return value

    def target(self, row: BulkAction) -> Any:
        return User.objects.get(pk=int(row.value))

    def takes(self, queryset: QuerySet[Any], action: str, value: str) -> QuerySet[Any]:
        owner = _owner(value)
        return queryset.exclude(status=Order.Status.CANCELLED).filter(
            customers_changeable_q(owner, prefix="customer__") | Q(owner=owner)
        )

    def for_run(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.select_related("customer")

    def apply(self, row: BulkAction, record: Order, target: Any) -> str | None:
        if record.owner_id == target.pk:
            return None
        before = str(record.owner_id or "")
        order_assign(user=row.user, order=record, owner=target, reason=_reason(row))
        return before

    def undo_rows(self, row: BulkAction) -> QuerySet[Any]:
        # Only the orders still with the owner they were given to.
        return Order.objects.filter(owner_id=int(row.value)).select_related("customer")

    def undo(self, row: BulkAction, record: Order, held: str, note: str) -> None:
        order_assign(user=row.user, order=record, owner=user_or_none(held), reason=note)

    def describe(self, action: str, value: str) -> str:
        owner = user_or_none(value) if action == A.ASSIGN else None
        return str(owner) if owner else value
