"""Members: enrolment by hand, on the first paid order or by import."""

from dataclasses import dataclass
from datetime import date
from uuid import uuid4

from django.db import IntegrityError, transaction
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.access import can_manage_loyalty, require
from kehu.customers.models import Customer
from kehu.loyalty.models import (
    Level,
    LevelChange,
    Member,
)
from kehu.loyalty.services.common import MANAGE_REFUSED, programme_get, require_member_change
from kehu.loyalty.services.qualification import _level_move, _levels, qualified_level, standing


@transaction.atomic
def member_enrol(
    *,
    user: User | None,
    customer: Customer,
    via: str = Member.Via.MANUAL,
    on: date | None = None,
) -> Member:
    """Make ``customer`` a member at the lowest level (or at the level their last 12 months
    earn). A member already is returned as is."""
    require_member_change(user, customer)
    existing = Member.objects.filter(customer=customer).first()
    if existing is not None:
        return existing
    on = on or timezone.localdate()
    levels = _levels()
    programme = programme_get()
    level = qualified_level(standing(customer_id=customer.pk, today=on), programme, levels)
    member = Member(
        customer=customer,
        card_number=f"tmp{uuid4().hex[:16]}",
        level=level,
        joined_on=on,
        level_since=on,
        via=via,
    )
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:  # enrolled at the same moment by someone else
        return Member.objects.get(customer=customer)
    member.card_number = f"{programme.card_prefix}{member.pk:08d}"
    member.save(update_fields=["card_number"])
    LevelChange.objects.create(
        member=member,
        to_level=level,
        changed_on=on,
        reason=LevelChange.Reason.ENROLLED,
        changed_by=user,
    )
    return member


@dataclass(frozen=True)
class ImportRow:
    customer_id: int
    level_code: str = ""
    joined_on: date | None = None


def members_import(*, user: User, rows: list[ImportRow]) -> dict[str, int]:
    """Enrol customers from a list (e.g. the card holders of an old system), each at the level
    named (else what their last 12 months earn), ``via`` import. Customers already members are
    left as they are; unknown customers or levels are counted, not raised. One transaction per
    row, so a bad row does not undo the others."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    levels = {lv.code: lv for lv in _levels()}
    counts = {"enrolled": 0, "already": 0, "unknown": 0}
    for row in rows:
        customer = Customer.objects.live().filter(pk=row.customer_id).first()
        if customer is None or (row.level_code and row.level_code not in levels):
            counts["unknown"] += 1
            continue
        if Member.objects.filter(customer=customer).exists():
            counts["already"] += 1
            continue
        with transaction.atomic():
            member = member_enrol(
                user=user, customer=customer, via=Member.Via.IMPORT, on=row.joined_on
            )
            level = levels.get(row.level_code)
            if level is not None and level.pk != member.level_id:
                _level_move(
                    member, level, on=member.joined_on, reason=LevelChange.Reason.MANUAL, user=user
                )
        counts["enrolled"] += 1
    return counts


@transaction.atomic
def member_level_set(*, user: User, member: Member, level: Level) -> Member:
    """Put a member on a level by hand (a manager's decision); recorded in the history."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.level_id != level.pk:
        _level_move(
            member, level, on=timezone.localdate(), reason=LevelChange.Reason.MANUAL, user=user
        )
    return member
