"""Members: enrolment by hand, on the first paid order or by import (``member_add``, used by
``kehu.loyalty.member_import``)."""

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
    try:
        with transaction.atomic():
            return member_add(customer_id=customer.pk, on=on, via=via, user=user)
    except IntegrityError:  # enrolled at the same moment by someone else
        return Member.objects.get(customer=customer)


def member_add(
    *,
    customer_id: int,
    on: date,
    via: str,
    user: User | None,
    level: Level | None = None,
    card_number: str = "",
) -> Member:
    """Save a new member who joined ``on``, at ``level`` or else at the level their 12 months
    before ``on`` earn, with the enrolment in the level history; the card number given, or
    the programme's prefix and the member's number. The caller checks the user's right and
    holds the transaction: an ``IntegrityError`` means the customer is a member already or
    the card is taken."""
    programme = programme_get()
    if level is None:
        level = qualified_level(standing(customer_id=customer_id, today=on), programme, _levels())
    member = Member.objects.create(
        customer_id=customer_id,
        card_number=card_number or f"tmp{uuid4().hex[:16]}",
        level=level,
        joined_on=on,
        level_since=on,
        via=via,
    )
    if not card_number:
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
