"""Writing the audit trail. Every reveal, export and sign-in event goes through ``audit_log``.

The edges (views, API handlers) pass their ``request``; services, which never see HTTP, pass
the ``ip_address`` their caller read with ``kehu.core.http.client_ip``.
"""

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from kehu.core.http import client_ip
from kehu.core.models import AuditEvent


def audit_log(
    *,
    action: str,
    actor: Any = None,
    request: HttpRequest | None = None,
    ip_address: str | None = None,
    username: str = "",
    object_type: str = "",
    object_id: str | int = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        username=username or (actor.get_username() if actor else ""),
        ip_address=ip_address or (client_ip(request) or None if request is not None else None),
        object_type=object_type,
        object_id=str(object_id),
        detail=detail or {},
    )


def setting_changed(
    *, actor: Any, what: Any, changed: Iterable[str] = (), deleted: bool = False
) -> AuditEvent:
    """Record a change to a setting or rule (``what``: the model instance changed): which
    fields changed, or that it was deleted; never the values (they may be personal data)."""
    return audit_log(
        action=AuditEvent.Action.SETTINGS_CHANGED,
        actor=actor,
        object_type=what._meta.label_lower,
        object_id=what.pk or "",
        detail={"deleted": True} if deleted else {"changed": sorted(changed)},
    )


def audit_prune(*, keep_days: int, now: datetime | None = None) -> int:
    """Delete audit events older than ``keep_days`` days (none when 0); the deletion itself is
    recorded with its count. Returns how many were deleted."""
    if keep_days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    deleted, _by_model = AuditEvent.objects.filter(at__lt=cutoff).delete()
    if deleted:
        audit_log(
            action=AuditEvent.Action.AUDIT_PRUNED,
            detail={"deleted": deleted, "before": cutoff.isoformat(), "keep_days": keep_days},
        )
    return deleted


def audit_events(
    *,
    action: str = "",
    username: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    object_type: str = "",
    object_id: str = "",
) -> QuerySet[AuditEvent]:
    """The audit trail, newest first, filtered; days are whole days in the current time zone."""
    events = AuditEvent.objects.select_related("actor").order_by("-at", "-id")
    if object_type:
        events = events.filter(object_type=object_type.strip())
    if object_id:
        events = events.filter(object_id=str(object_id).strip())
    if action:
        events = events.filter(action=action)
    if username:
        events = events.filter(username__iexact=username.strip())
    if date_from:
        events = events.filter(at__gte=timezone.make_aware(datetime.combine(date_from, time.min)))
    if date_to:
        events = events.filter(at__lte=timezone.make_aware(datetime.combine(date_to, time.max)))
    return events


AUDIT_CSV_HEADER = [
    "time",
    "action",
    "username",
    "ip_address",
    "object_type",
    "object_id",
    "detail",
]


def audit_csv_rows(events: QuerySet[AuditEvent]) -> Iterator[list[str]]:
    """The events as CSV rows (header first), streamed; cells that a spreadsheet would run as a
    formula are neutralised."""
    from kehu.exports.writers import neutralise

    yield AUDIT_CSV_HEADER
    for event in events.iterator(chunk_size=2000):
        yield [
            str(neutralise(value))
            for value in (
                timezone.localtime(event.at).isoformat(timespec="seconds"),
                event.action,
                event.username,
                event.ip_address or "",
                event.object_type,
                event.object_id,
                json.dumps(event.detail, ensure_ascii=False, sort_keys=True),
            )
        ]
