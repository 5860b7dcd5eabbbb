"""Sign-in lockout policy, on top of django-axes' failure records.

Three limits, each counted over the failures of the last cool-off period:

- a username from one address (``KEHU_LOGIN_FAILURE_LIMIT``, 5): the usual guessing;
- a username from any address (``KEHU_LOGIN_USER_FAILURE_LIMIT``, 20): guessing spread over
  many addresses;
- an address for any username (``KEHU_LOGIN_ADDRESS_FAILURE_LIMIT``, 50): one client trying
  many usernames, high enough that an office behind one NAT is not locked by one person.

A successful sign-in clears only the failures recorded against the user who signed in, never
another username's. Failures while locked are refused without being recorded, so they do not
extend the lock.
"""

from datetime import datetime, timedelta
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _


def _failures(attempts: "QuerySet[AccessAttempt]") -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def cool_off_start() -> datetime:
    """Failures recorded before this no longer count."""
    return timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)


def is_over_limit(*, username: str | None, ip_address: str | None, since: datetime) -> bool:
    """Whether ``username`` from ``ip_address`` is locked by the failures since ``since``."""
    attempts = AccessAttempt.objects.filter(attempt_time__gte=since)
    return (
        _failures(attempts.filter(username=username, ip_address=ip_address))
        >= settings.AXES_FAILURE_LIMIT
        or _failures(attempts.filter(username=username)) >= settings.KEHU_LOGIN_USER_FAILURE_LIMIT
        or _failures(attempts.filter(ip_address=ip_address))
        >= settings.KEHU_LOGIN_ADDRESS_FAILURE_LIMIT
    )


def lock_filter(username: str | None, ip_address: str | None) -> Q:
    """The failure records an administrator's unlock of a username or an address removes."""
    if username is not None:
        return Q(username=username)
    return Q(ip_address=ip_address)


class LockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]  # axes is untyped
    """django-axes' database handler with Kehu's limits and a reset scoped to one user."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        # axes locks when this reaches AXES_FAILURE_LIMIT; report the limit itself when any
        # of the three rules is exceeded, else the failures of this username and address.
        username = get_client_username(request, credentials)
        ip_address = request.axes_ip_address  # type: ignore[attr-defined]
        since = get_cool_off_threshold(request)
        if is_over_limit(username=username, ip_address=ip_address, since=since):
            return int(settings.AXES_FAILURE_LIMIT)
        pair = AccessAttempt.objects.filter(
            username=username, ip_address=ip_address, attempt_time__gte=since
        )
        return _failures(pair)

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        username = get_client_username(request, credentials)
        count: int = AccessAttempt.objects.filter(username=username).delete()[0]
        return count


def failure_records() -> "QuerySet[AccessAttempt]":
    """Failure records that still count, newest first (for the administrators' lock page)."""
    records: QuerySet[AccessAttempt] = AccessAttempt.objects.filter(
        attempt_time__gte=cool_off_start()
    ).order_by("-attempt_time")
    return records


def lockout_alert_if_repeated(*, username: str, ip_address: str | None) -> bool:
    """Notify every administrator when a username or an address has been refused for a lock
    ``KEHU_LOCKOUT_ALERT_THRESHOLD`` times in a day (once, at that count). Returns whether it
    alerted."""
    from kehu.accounts.models import Role, User
    from kehu.core.models import AuditEvent
    from kehu.interactions.notifications import Topic, notify

    day_ago = timezone.now() - timedelta(days=1)
    events = AuditEvent.objects.filter(action=AuditEvent.Action.LOCKED_OUT, at__gte=day_ago)
    by_user = events.filter(username=username).count() if username else 0
    by_address = events.filter(ip_address=ip_address).count() if ip_address else 0
    threshold = settings.KEHU_LOCKOUT_ALERT_THRESHOLD
    if threshold not in (by_user, by_address):
        return False
    text = _(
        "Repeated sign-in lockouts for “%(username)s” from %(address)s; see Sign-in locks."
    ) % {
        "username": username or "—",
        "address": ip_address or "—",
    }
    admins = User.objects.filter(is_active=True, is_integration=False).filter(
        Q(role=Role.ADMIN) | Q(is_superuser=True)
    )
    for admin in admins:
        notify(topic=Topic.SECURITY, user=admin, text=text, url=reverse("accounts:lockouts"))
    return True
