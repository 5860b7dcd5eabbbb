"""The programme's settings: levels, earning rules, rewards."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_manage_loyalty, require
from kehu.core.audit import setting_changed
from kehu.loyalty.models import (
    EarnRule,
    Level,
    Programme,
    Reward,
)
from kehu.loyalty.services.common import MANAGE_REFUSED, programme_get

PROGRAMME_FIELDS = (
    "name",
    "card_prefix",
    "qualify_by",
    "review_month",
    "review_day",
    "grace_days",
    "points_per_yuan",
    "birthday_multiplier",
    "point_value",
    "max_redeem_percent",
    "expiry_years",
    "enrol_on_first_payment",
)
LEVEL_FIELDS = (
    "code",
    "name",
    "rank",
    "min_spend",
    "min_orders",
    "min_points",
    "discount_percent",
    "service_priority",
    "free_delivery",
    "dedicated_contact",
    "benefits",
)


def _apply(record: Any, data: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    changed = [name for name, value in data.items() if getattr(record, name) != value]
    for name in changed:
        setattr(record, name, data[name])
    record.full_clean()
    return changed


@transaction.atomic
def programme_update(*, user: User, data: dict[str, Any]) -> Programme:
    """Change the programme's rules; audited (which fields, not the values)."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    programme = Programme.objects.select_for_update().get(pk=programme_get().pk)
    changed = _apply(programme, data, PROGRAMME_FIELDS)
    if changed:
        programme.save()
        setting_changed(actor=user, what=programme, changed=changed)
    return programme


@transaction.atomic
def level_save(*, user: User, data: dict[str, Any], level: Level | None = None) -> Level:
    """Create or change a level; audited."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    level = level or Level()
    changed = _apply(level, data, LEVEL_FIELDS)
    level.save()
    setting_changed(actor=user, what=level, changed=changed)
    return level


@transaction.atomic
def earn_rule_save(*, user: User, data: dict[str, Any], rule: EarnRule | None = None) -> EarnRule:
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    rule = rule or EarnRule()
    fields = ("kind", "product", "category", "campaign", "multiplier", "starts_on", "ends_on")
    changed = _apply(rule, data, (*fields, "is_active"))
    rule.save()
    setting_changed(actor=user, what=rule, changed=changed)
    return rule


@transaction.atomic
def reward_save(*, user: User, data: dict[str, Any], reward: Reward | None = None) -> Reward:
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    reward = reward or Reward()
    changed = _apply(reward, data, ("name", "points", "is_active"))
    reward.save()
    setting_changed(actor=user, what=reward, changed=changed)
    return reward
