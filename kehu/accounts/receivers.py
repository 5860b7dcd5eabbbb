"""Audit of sign-in events. Django and django-axes announce them only as signals."""

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from kehu.accounts.lockout import lockout_alert_if_repeated
from kehu.accounts.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from kehu.accounts.models import SignedInSession, User
from kehu.accounts.services import signed_in_session_record
from kehu.core.audit import audit_log
from kehu.core.http import client_ip
from kehu.core.models import AuditEvent


@receiver(user_logged_in)
def on_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    now = time.time()
    request.session[SESSION_STARTED_KEY] = now
    request.session[SESSION_SEEN_KEY] = now
    if not request.session.session_key:
        request.session.save()
    signed_in_session_record(
        user=user,
        session_key=str(request.session.session_key),
        ip_address=client_ip(request) or None,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    audit_log(action=AuditEvent.Action.LOGIN, actor=user, request=request)


@receiver(user_logged_out)
def on_logout(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if user is not None:
        audit_log(action=AuditEvent.Action.LOGOUT, actor=user, request=request)
        if request.session.session_key:
            SignedInSession.objects.filter(session_key=request.session.session_key).delete()


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    second_factor = bool(credentials.get("factor"))
    audit_log(
        action=(
            AuditEvent.Action.TWO_FACTOR_FAILED if second_factor else AuditEvent.Action.LOGIN_FAILED
        ),
        request=request,
        username=str(credentials.get("username", ""))[:150],
    )


@receiver(user_locked_out)
def on_locked_out(
    sender: Any,
    request: HttpRequest,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    audit_log(
        action=AuditEvent.Action.LOCKED_OUT,
        request=request,
        username=(username or "")[:150],
        detail={"ip_address": ip_address},
    )
    lockout_alert_if_repeated(username=(username or "")[:150], ip_address=ip_address)
