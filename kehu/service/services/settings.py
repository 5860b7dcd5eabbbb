"""The service settings: SLA policies, business hours, special days, the desk's options."""

from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import (
    require_account_admin,
)
from kehu.core.audit import setting_changed
from kehu.service.models import (
    CaseType,
    Priority,
    ServiceSettings,
    SlaPolicy,
    SpecialDay,
)
from kehu.service.selectors import (
    service_settings_get,
    sla_policies_get,
)
from kehu.service.services.common import SETTINGS_REFUSED


@transaction.atomic
def service_settings_save(
    *,
    user: User,
    work_weekdays: list[int],
    day_starts_at: time,
    day_ends_at: time,
    warn_before_minutes: int,
    default_supervisor: User | None = None,
) -> ServiceSettings:
    """Change business hours and escalation; administrators only. Open cases keep the
    deadlines they were given."""
    require_account_admin(user, SETTINGS_REFUSED)
    errors: dict[str, list[str]] = {}
    if not work_weekdays or any(d not in range(7) for d in work_weekdays):
        errors["work_weekdays"] = [_("Choose at least one working day.")]
    if day_ends_at <= day_starts_at:
        errors["day_ends_at"] = [_("Business hours must end after they start.")]
    if default_supervisor is not None and not default_supervisor.is_active:
        errors["default_supervisor"] = [_("This user is disabled.")]
    if errors:
        raise ValidationError(errors)
    row = service_settings_get()
    row.work_weekdays = sorted(set(work_weekdays))
    row.day_starts_at = day_starts_at
    row.day_ends_at = day_ends_at
    row.warn_before_minutes = warn_before_minutes
    row.default_supervisor = default_supervisor
    row.save()
    setting_changed(actor=user, what=row)
    return row


@transaction.atomic
def sla_policies_save(*, user: User, minutes: dict[tuple[str, str], tuple[int, int]]) -> None:
    """Set (response, resolution) business minutes per (type, priority); admins only."""
    require_account_admin(user, SETTINGS_REFUSED)
    errors: dict[str, list[str]] = {}
    for (case_type, priority), (response, resolution) in minutes.items():
        field = f"{case_type}_{priority}"
        if (case_type, priority) not in {(t, p) for t in CaseType for p in Priority}:
            errors[field] = [_("Unknown type or priority.")]
        elif response <= 0:
            errors[field] = [_("The response time must be more than zero.")]
        elif resolution < response:
            errors[field] = [_("The resolution time cannot be shorter than the response time.")]
    if errors:
        raise ValidationError(errors)
    policies = sla_policies_get()
    changed: list[SlaPolicy] = []
    for key, (response, resolution) in minutes.items():
        policy = policies[key]
        policy.response_minutes, policy.resolution_minutes = response, resolution
        changed.append(policy)
    SlaPolicy.objects.bulk_update(changed, ["response_minutes", "resolution_minutes", "updated_at"])
    for policy in changed:
        setting_changed(actor=user, what=policy, changed=["response_minutes", "resolution_minutes"])


@transaction.atomic
def special_day_save(*, user: User, day: date, kind: str, name: str = "") -> SpecialDay:
    """Mark ``day`` a holiday or a make-up working day (replacing what it was)."""
    require_account_admin(user, SETTINGS_REFUSED)
    if kind not in SpecialDay.Kind.values:
        raise ValidationError({"kind": [_("Choose holiday or make-up working day.")]})
    row, _created = SpecialDay.objects.update_or_create(
        date=day, defaults={"kind": kind, "name": name.strip()[:60]}
    )
    setting_changed(actor=user, what=row)
    return row


@transaction.atomic
def special_day_delete(*, user: User, day_id: int) -> None:
    require_account_admin(user, SETTINGS_REFUSED)
    for row in SpecialDay.objects.filter(pk=day_id):
        setting_changed(actor=user, what=row, deleted=True)
        row.delete()


def minutes_from_hours(value: Any) -> int:
    """Business hours (a number, halves allowed) as whole minutes."""
    return round(float(value) * 60)


def hours_from_minutes(minutes: int) -> float:
    return round(minutes / 60, 2)
