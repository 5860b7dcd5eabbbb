import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent

SESSION_STARTED_KEY = "kehu_auth_at"
# Set at sign-in for a user whose role requires two-factor sign-in and who has not set it up.
ENROL_REQUIRED_KEY = "kehu_2fa_enrol"
SESSION_SEEN_KEY = "kehu_seen_at"
# Refresh the last-seen mark at most this often, so reads don't each write the session.
SEEN_RESOLUTION = 60


class SessionTimeoutMiddleware:
    """Signs a user out after an idle period and after an absolute session lifetime."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            started = request.session.get(SESSION_STARTED_KEY, now)
            seen = request.session.get(SESSION_SEEN_KEY, now)
            idle = now - seen > settings.SESSION_IDLE_TIMEOUT
            if idle or now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                audit_log(
                    action=AuditEvent.Action.SESSION_EXPIRED,
                    actor=user,
                    request=request,
                    detail={"reason": "idle" if idle else "absolute"},
                )
                logout(request)
                messages.info(request, _("Your session has expired. Please sign in again."))
            elif now - seen > SEEN_RESOLUTION or SESSION_STARTED_KEY not in request.session:
                request.session[SESSION_STARTED_KEY] = started
                request.session[SESSION_SEEN_KEY] = now
        return self.get_response(request)


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page requires a signed-in user unless marked ``@login_not_required``.

    The API is left to django-ninja, whose default authentication answers 401 in JSON instead
    of redirecting to the sign-in page.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class TwoFactorEnrolmentMiddleware:
    """A signed-in user whose role requires two-factor sign-in and who has not set it up may
    only set it up (or sign out) until they do. API tokens are not affected."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated and request.session.get(ENROL_REQUIRED_KEY):
            allowed = {
                reverse("accounts:twofactor"),
                reverse("accounts:logout"),
                reverse("accounts:language"),
            }
            path = request.path_info
            if path not in allowed and not path.startswith(settings.STATIC_URL):
                message = _("Your role must sign in with two factors: set it up first.")
                if path.startswith("/api/"):
                    body = {"code": "two_factor_required", "message": message, "errors": []}
                    return JsonResponse(body, status=403)
                messages.warning(request, message)
                return redirect("accounts:twofactor")
        return self.get_response(request)
