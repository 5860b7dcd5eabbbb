"""The service settings as the other reads and writes need them: SLA policies, business hours."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from kehu.accounts.models import Membership, Role, User
from kehu.core.access import CASE_WORKER_ROLES
from kehu.service.business_hours import BusinessHours
from kehu.service.models import (
    Case,
    ServiceSettings,
    SlaPolicy,
    SpecialDay,
)
from kehu.service.selectors.common import DEFAULT_SLA


def service_settings_get() -> ServiceSettings:
    """The business hours and escalation settings (the single row, made on first use)."""
    row = ServiceSettings.objects.select_related("default_supervisor").order_by("pk").first()
    return row if row is not None else ServiceSettings.objects.create()


def special_days_upcoming(*, since: date) -> QuerySet[SpecialDay]:
    return SpecialDay.objects.filter(date__gte=since).order_by("date")


def business_hours_get(*, since: date | None = None) -> BusinessHours:
    """The configured business hours with holidays and make-up days from ``since`` on."""
    row = service_settings_get()
    since = since or timezone.localdate() - timedelta(days=31)
    holidays: set[date] = set()
    workdays: set[date] = set()
    for day, kind in SpecialDay.objects.filter(date__gte=since).values_list("date", "kind"):
        (holidays if kind == SpecialDay.Kind.HOLIDAY else workdays).add(day)
    return BusinessHours(
        zone=ZoneInfo(settings.TIME_ZONE),
        weekdays=frozenset(int(d) for d in row.work_weekdays),
        start=row.day_starts_at,
        end=row.day_ends_at,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
    )


def sla_policies_get() -> dict[tuple[str, str], SlaPolicy]:
    """Every (type, priority) SLA; missing ones are made with the defaults."""
    policies = {(p.case_type, p.priority): p for p in SlaPolicy.objects.all()}
    missing = [
        SlaPolicy(case_type=t, priority=p, response_minutes=r, resolution_minutes=s)
        for (t, p), (r, s) in DEFAULT_SLA.items()
        if (t, p) not in policies
    ]
    if missing:
        SlaPolicy.objects.bulk_create(missing, ignore_conflicts=True)
        policies = {(p.case_type, p.priority): p for p in SlaPolicy.objects.all()}
    return policies


def case_workers() -> QuerySet[User]:
    """Active users a case may be assigned to."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(role__in=CASE_WORKER_ROLES) | Q(is_superuser=True))
        .order_by("username")
    )


def supervisors_for(case: Case) -> list[User]:
    """Who hears of a breached case: the managers of the assigned agent's teams, else the
    default supervisor, else the administrators."""
    if case.assigned_to_id is not None:
        teams = Membership.objects.filter(user_id=case.assigned_to_id).values("team_id")
        managers = list(
            User.objects.filter(
                is_active=True,
                memberships__team_id__in=teams,
                memberships__is_manager=True,
            )
            .exclude(pk=case.assigned_to_id)
            .distinct()
            .order_by("pk")
        )
        if managers:
            return managers
    row = service_settings_get()
    if row.default_supervisor is not None and row.default_supervisor.is_active:
        return [row.default_supervisor]
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
        .order_by("pk")
    )
