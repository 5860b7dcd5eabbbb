"""Writing the audit trail. Every reveal, export and sign-in event goes through ``audit_log``."""

from typing import Any

from django.http import HttpRequest

from kehu.core.http import client_ip
from kehu.core.models import AuditEvent


def audit_log(
    *,
    action: str,
    actor: Any = None,
    request: HttpRequest | None = None,
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
        ip_address=client_ip(request) or None if request is not None else None,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail or {},
    )
