"""Opportunities: create, move between stages, correct, and the products discussed."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.exceptions import Conflict
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_can_change, require_customer_change
from kehu.sales import summary
from kehu.sales.models import (
    DEFAULT_CURRENCY,
    ZERO,
    Opportunity,
    OpportunityLine,
    OpportunityMove,
    Order,
    PipelineStage,
    SalesCorrection,
)
from kehu.sales.services.common import (
    SALES_CHANGE_REFUSED,
    _correction,
    _diff,
    _primary_team_id,
    _text,
    line_amount,
    money,
)
from kehu.sales.services.orders import LineInput, _line_errors


def _closing(stage: PipelineStage, opportunity: Opportunity) -> None:
    if stage.outcome == PipelineStage.Outcome.OPEN:
        opportunity.closed_on = None
    elif opportunity.closed_on is None:
        opportunity.closed_on = timezone.localdate()


def _lost_reason(stage: PipelineStage, lost_reason: str) -> str:
    """The reason, required when ``stage`` is the lost one (empty for other stages)."""
    lost_reason = lost_reason.strip()
    if stage.outcome != PipelineStage.Outcome.LOST:
        return ""
    if not lost_reason:
        raise ValidationError(
            {"lost_reason": [_("Say why the opportunity was lost: the reason is required.")]}
        )
    return lost_reason


@transaction.atomic
def opportunity_create(
    *,
    user: User,
    customer: Customer,
    name: str,
    amount: Decimal,
    stage: PipelineStage | None = None,
    probability: int | None = None,
    expected_close_on: date | None = None,
    competitors: str = "",
    currency: str = DEFAULT_CURRENCY,
    lost_reason: str = "",
) -> Opportunity:
    """Open an opportunity, in the pipeline's first stage unless told; the user owns it.
    Opened straight into the lost stage, it needs ``lost_reason``."""
    require_customer_change(user, customer, SALES_CHANGE_REFUSED)
    if stage is None:
        stage = PipelineStage.objects.filter(is_active=True).order_by("sort_order", "id").first()
        if stage is None:
            raise Conflict(_("The pipeline has no stages; an administrator must add some."))
    lost_reason = _lost_reason(stage, lost_reason)
    now = timezone.now()
    opportunity = Opportunity(
        customer=customer,
        name=name.strip(),
        amount=money(Decimal(amount)),
        currency=currency,
        stage=stage,
        probability=stage.probability if probability is None else probability,
        expected_close_on=expected_close_on,
        competitors=competitors,
        lost_reason=lost_reason,
        owner=user,
        team_id=_primary_team_id(user),
        stage_changed_at=now,
    )
    _closing(stage, opportunity)
    opportunity.full_clean(exclude=["customer", "stage", "owner", "team"])
    opportunity.save()
    summary.opportunity_counted(
        opportunity, outcome=stage.outcome, closed_on=opportunity.closed_on, sign=1
    )
    OpportunityMove.objects.create(
        opportunity=opportunity, from_stage=None, to_stage=stage, moved_by=user, moved_at=now
    )
    return opportunity


@transaction.atomic
def opportunity_move(
    *,
    user: User,
    opportunity: Opportunity,
    stage: PipelineStage,
    lost_reason: str = "",
) -> Opportunity:
    """Move to ``stage``: the probability becomes the stage's, won and lost close it (today),
    moving back to an open stage reopens it. A move to the same stage changes nothing."""
    require_customer_change(user, opportunity.customer, SALES_CHANGE_REFUSED)
    locked = Opportunity.objects.select_for_update().select_related("stage").get(pk=opportunity.pk)
    if not stage.is_active:
        raise ValidationError({"stage": [_("This stage is no longer in use.")]})
    if locked.stage_id == stage.pk:
        return locked
    if (
        locked.stage.outcome == PipelineStage.Outcome.WON
        and Order.objects.filter(opportunity=locked).exists()
    ):
        raise Conflict(_("This opportunity became an order; it stays won."))
    lost_reason = _lost_reason(stage, lost_reason)
    now = timezone.now()
    OpportunityMove.objects.create(
        opportunity=locked, from_stage=locked.stage, to_stage=stage, moved_by=user, moved_at=now
    )
    summary.opportunity_counted(
        locked, outcome=locked.stage.outcome, closed_on=locked.closed_on, sign=-1
    )
    locked.stage = stage
    locked.probability = stage.probability
    locked.stage_changed_at = now
    if stage.outcome == PipelineStage.Outcome.LOST:
        locked.lost_reason = lost_reason
    _closing(stage, locked)
    locked.save()
    summary.opportunity_counted(locked, outcome=stage.outcome, closed_on=locked.closed_on, sign=1)
    return locked


OPPORTUNITY_FIELDS = frozenset(
    {"name", "amount", "probability", "expected_close_on", "competitors", "lost_reason", "owner"}
)


@transaction.atomic
def opportunity_update(
    *, user: User, opportunity: Opportunity, data: dict[str, Any], reason: str = ""
) -> Opportunity:
    """Change an opportunity's details (not its stage: that is ``opportunity_move``), kept as a
    correction with who, when and ``reason``. A new owner must be someone who may change the
    customer; a closed opportunity's won/lost count moves to them in the sales summary."""
    unknown = set(data) - OPPORTUNITY_FIELDS
    if unknown:
        raise TypeError(", ".join(sorted(unknown)))
    require_customer_change(user, opportunity.customer, SALES_CHANGE_REFUSED)
    locked = Opportunity.objects.select_for_update().select_related("stage").get(pk=opportunity.pk)
    if "amount" in data:
        data["amount"] = money(Decimal(data["amount"]))
    for name in ("name", "competitors", "lost_reason"):
        if isinstance(data.get(name), str):
            data[name] = data[name].strip()
    if locked.stage.outcome == PipelineStage.Outcome.LOST and data.get("lost_reason", "x") == "":
        raise ValidationError({"lost_reason": [_("A lost opportunity keeps its lost reason.")]})
    new_owner = data.get("owner")
    if "owner" in data and (
        new_owner is None or not customer_can_change(user=new_owner, customer=locked.customer)
    ):
        raise ValidationError(
            {"owner": [_("The new owner must be someone who may change this customer.")]}
        )
    changes = _diff(locked, data)
    if not changes:
        return locked
    owner_moves = "owner" in changes
    if owner_moves:
        summary.opportunity_counted(
            locked, outcome=locked.stage.outcome, closed_on=locked.closed_on, sign=-1
        )
        locked.team_id = _primary_team_id(new_owner)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["customer", "stage", "owner", "team"])
    locked.save()
    if owner_moves:
        summary.opportunity_counted(
            locked, outcome=locked.stage.outcome, closed_on=locked.closed_on, sign=1
        )
    _correction(
        kind=SalesCorrection.Kind.OPPORTUNITY,
        user=user,
        reason=reason.strip()[:300],
        changes=changes,
        customer_id=locked.customer_id,
        opportunity=locked,
    )
    opportunity.refresh_from_db()
    return locked


def _products_text(lines: Sequence[OpportunityLine]) -> str:
    return "; ".join(
        f"{line.product.code} × {_text(line.quantity)} @ {_text(money(line.unit_price))}"
        + (f" -{_text(line.discount_percent)}%" if line.discount_percent else "")
        for line in lines
    )


@transaction.atomic
def opportunity_products_set(
    *, user: User, opportunity: Opportunity, lines: Sequence[LineInput], reason: str = ""
) -> list[OpportunityLine]:
    """Set the products an opportunity is about (replacing the ones before; none clears them),
    kept as a correction with who, when and ``reason``. A won opportunity's products become
    the order's lines when the order is taken from it."""
    require_customer_change(user, opportunity.customer, SALES_CHANGE_REFUSED)
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    errors = _line_errors(lines, locked.currency) if lines else []
    if errors:
        raise ValidationError(errors)
    before = list(locked.lines.select_related("product"))
    rows = [
        OpportunityLine(
            opportunity=locked,
            product=line.product,
            quantity=line.quantity,
            unit_price=money(
                Decimal(line.product.list_price if line.unit_price is None else line.unit_price)
            ),
            discount_percent=line.discount_percent,
        )
        for line in lines
    ]
    old_text, new_text = _products_text(before), _products_text(rows)
    if old_text == new_text:
        return before
    locked.lines.all().delete()
    OpportunityLine.objects.bulk_create(rows)
    _correction(
        kind=SalesCorrection.Kind.OPPORTUNITY,
        user=user,
        reason=reason.strip()[:300],
        changes={"products": [old_text, new_text]},
        customer_id=locked.customer_id,
        opportunity=locked,
    )
    return list(locked.lines.select_related("product"))


def opportunity_products_total(opportunity: Opportunity) -> Decimal:
    """The value of the opportunity's products, after discounts."""
    return sum(
        (
            line_amount(
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
            )
            for line in opportunity.lines.all()
        ),
        ZERO,
    )
