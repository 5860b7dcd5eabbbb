import time
from datetime import datetime
from datetime import time as day_time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.accounts import lockout, reset_links, selectors, services, twofactor
from kehu.accounts.forms import (
    ApiTokenForm,
    EnrolmentForm,
    LanguageForm,
    LoginForm,
    NotificationPrefsForm,
    PasswordConfirmForm,
    SecondFactorForm,
)
from kehu.accounts.middleware import ENROL_REQUIRED_KEY
from kehu.accounts.models import User
from kehu.accounts.reauth import password_confirms
from kehu.core.access import require_account_admin
from kehu.core.http import AuthenticatedRequest, client_ip, next_url

# The session key of a sign-in waiting for its second factor, and how long it may wait.
PENDING_KEY = "kehu_2fa_pending"
PENDING_SECONDS = 300


def set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        if twofactor.confirmed_device(user) is not None:
            # The password was right; the session is not signed in until the second factor is.
            self.request.session[PENDING_KEY] = {
                "user_id": user.pk,
                "backend": getattr(user, "backend", ""),
                "at": time.time(),
                "next": self.get_success_url(),
            }
            response: HttpResponse = redirect("accounts:login_verify")
        else:
            response = super().form_valid(form)
            if twofactor.twofactor_required(user):
                self.request.session[ENROL_REQUIRED_KEY] = True
        if user.language:
            set_language_cookie(response, user.language)
        return response


login_view = login_not_required(LoginView.as_view())


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=int(pending.get("user_id") or 0), is_active=True).first()
    return (user, pending) if user is not None else None


@login_not_required
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app or a recovery code.

    A wrong code counts towards the sign-in lockout exactly like a wrong password."""
    found = _pending_user(request)
    if found is None:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, _("Please sign in again."))
        return redirect("accounts:login")
    user, pending = found
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        return lockout_response(request, credentials)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        method = twofactor.second_factor_verify(user=user, code=form.cleaned_data["code"])
        if method is None:
            # Recorded by django-axes (lockout) and audited by accounts.receivers.
            user_login_failed.send(
                sender=__name__, credentials={**credentials, "factor": "code"}, request=request
            )
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request, credentials)
            form.add_error("code", _("That code is wrong."))
        else:
            del request.session[PENDING_KEY]
            login(request, user, backend=pending.get("backend") or None)
            if method == "recovery":
                left = twofactor.recovery_codes_left(user)
                messages.warning(
                    request,
                    _("You signed in with a recovery code; %(n)s are left. Make new ones.")
                    % {"n": left},
                )
            target = str(pending.get("next") or "")
            if not url_has_allowed_host_and_scheme(
                target, {request.get_host()}, request.is_secure()
            ):
                target = settings.LOGIN_REDIRECT_URL
            return redirect(target)
    return render(request, "accounts/login_verify.html", {"form": form})


@require_http_methods(["GET", "POST"])
def twofactor_page(request: AuthenticatedRequest) -> HttpResponse:
    """Set up, renew or turn off two-factor sign-in for oneself."""
    user = request.user
    action = request.POST.get("action", "") if request.method == "POST" else ""
    device = twofactor.confirmed_device(user)
    new_codes: list[str] = []
    enrol_form = EnrolmentForm()
    password_form = PasswordConfirmForm()
    pending = None
    if action == "start":
        pending = twofactor.totp_enrolment_start(user=user)
    elif action == "confirm":
        pending = twofactor.pending_device(user)
        enrol_form = EnrolmentForm(request.POST)
        if pending is None:
            messages.error(request, _("Start the set-up again."))
            return redirect("accounts:twofactor")
        if enrol_form.is_valid():
            try:
                new_codes = twofactor.totp_enrolment_confirm(
                    user=user,
                    device=pending,
                    code=enrol_form.cleaned_data["code"],
                    ip_address=client_ip(request) or None,
                )
            except ValidationError as exc:
                for error in exc.message_dict.get("code", []):
                    enrol_form.add_error("code", error)
            else:
                pending = None
                device = twofactor.confirmed_device(user)
                request.session.pop(ENROL_REQUIRED_KEY, None)
    elif action in {"renew", "disable"}:
        password_form = PasswordConfirmForm(request.POST)
        if password_form.is_valid() and not password_confirms(
            request, user=user, password=password_form.cleaned_data["password"]
        ):
            password_form.add_error("password", _("The password is wrong."))
        if action == "disable" and twofactor.twofactor_required(user):
            messages.error(request, _("Your role must sign in with two factors."))
        elif password_form.is_valid() and device is not None:
            if action == "renew":
                new_codes = twofactor.recovery_codes_renew(user=user)
            else:
                twofactor.twofactor_disable(user=user, disabled_by=user)
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("accounts:twofactor")
    context = {
        "device": device,
        "pending": pending,
        "qr": twofactor.totp_qr_data_uri(pending) if pending else "",
        "secret": twofactor.totp_secret_text(pending) if pending else "",
        "enrol_form": enrol_form,
        "password_form": password_form,
        "new_codes": new_codes,
        "codes_left": twofactor.recovery_codes_left(user) if device else 0,
        "required": twofactor.twofactor_required(user),
    }
    return render(request, "accounts/twofactor.html", context)


logout_view = auth_views.LogoutView.as_view()


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any) -> HttpResponse:
    """What django-axes answers while a username or address is locked out."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    message = _("Too many failed sign-ins. Sign-in is locked for %(minutes)s minutes.") % {
        "minutes": minutes
    }
    context = {"form": LoginForm(request), "lockout_message": message}
    return render(request, "accounts/login.html", context, status=429)


@login_not_required
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in user's choice is kept on their account."""
    form = LanguageForm(request.POST)
    response = HttpResponseRedirect(next_url(request, "/"))
    if form.is_valid():
        language = form.cleaned_data["language"]
        if isinstance(request.user, User):
            services.user_set_language(user=request.user, language=language)
        set_language_cookie(response, language)
    return response


@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedRequest) -> HttpResponse:
    """The user's own settings: language, password, sessions, notifications, API tokens."""
    user = request.user
    form = ApiTokenForm(request.POST or None)
    new_token = None
    valid = request.method == "POST" and form.is_valid()
    if valid and not password_confirms(request, user=user, password=form.cleaned_data["password"]):
        form.add_error("password", _("The password is wrong."))
    if request.method == "POST" and form.is_valid():
        expires = form.cleaned_data["expires_at"]
        expires_at = (
            timezone.make_aware(datetime.combine(expires, day_time.max)) if expires else None
        )
        try:
            _row, new_token = services.api_token_create(
                user=user,
                name=form.cleaned_data["name"],
                expires_at=expires_at,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            form = ApiTokenForm()
    context = {
        "form": form,
        "new_token": new_token,
        "tokens": selectors.api_tokens_of(user=user),
        "sessions": selectors.signed_in_sessions_of(user=user),
        "current_session": request.session.session_key,
        "language_form": LanguageForm(initial={"language": request.LANGUAGE_CODE}),
        "notifications_form": NotificationPrefsForm.of(user),
    }
    return render(request, "accounts/settings.html", context)


@require_POST
def token_revoke(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = selectors.api_token_get_for_user(user=request.user, token_id=token_id)
    if token is None:
        messages.error(request, _("That token does not exist."))
    else:
        services.api_token_revoke(token=token, revoked_by=request.user)
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:settings")


@require_http_methods(["GET", "POST"])
def lockouts(request: AuthenticatedRequest) -> HttpResponse:
    """Administrators: the sign-in failures that still count, and unlocking a username or an
    address."""
    require_account_admin(request.user)
    if request.method == "POST":
        username = request.POST.get("username") or None
        ip_address = request.POST.get("ip_address") or None
        if (username is None) != (ip_address is None):
            services.login_lock_clear(
                cleared_by=request.user,
                username=username,
                ip_address=ip_address,
                request_ip=client_ip(request) or None,
            )
            messages.success(request, _("Unlocked %(what)s.") % {"what": username or ip_address})
        return redirect("accounts:lockouts")
    rows = [
        {
            "attempt": attempt,
            "locked": lockout.is_over_limit(
                username=attempt.username,
                ip_address=attempt.ip_address,
                since=lockout.cool_off_start(),
            ),
        }
        for attempt in lockout.failure_records()[:200]
    ]
    return render(request, "accounts/lockouts.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def password_change(request: AuthenticatedRequest) -> HttpResponse:
    """Change one's own password, with the current one; other sessions end, this one stays."""
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                user=user,
                new_password=form.cleaned_data["new_password1"],
                ip_address=client_ip(request) or None,
            )
        except ValidationError as exc:
            for error in exc.messages:
                form.add_error("new_password1", error)
        else:
            old_key = request.session.session_key
            update_session_auth_hash(request, user)  # this session stays, with a new key
            services.signed_in_session_rekey(old=old_key, new=request.session.session_key)
            services.signed_in_sessions_end(user=user, keep=request.session.session_key)
            messages.success(request, _("Your password is changed."))
            return redirect("accounts:settings")
    return render(request, "accounts/password_change.html", {"form": form})


@require_POST
def notifications_save(request: AuthenticatedRequest) -> HttpResponse:
    """Save my notification preferences (the form on my settings page)."""
    form = NotificationPrefsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose among the listed topics."))
        return redirect(reverse("accounts:settings") + "#notifications")
    services.user_notifications_set(
        user=request.user,
        shown=form.cleaned_data["shown"],
        emailed=form.cleaned_data["emailed"],
        weekly_digest=form.cleaned_data["weekly_digest"],
    )
    messages.success(request, _("Notification preferences saved."))
    return redirect(reverse("accounts:settings") + "#notifications")


@require_POST
def sessions_end(request: AuthenticatedRequest) -> HttpResponse:
    """Sign out of every other session (other browsers, other devices)."""
    ended = services.signed_in_sessions_end(user=request.user, keep=request.session.session_key)
    messages.success(request, _("Signed out of %(n)s other sessions.") % {"n": ended})
    return redirect(reverse("accounts:settings") + "#sessions")


class PasswordResetView(auth_views.PasswordResetConfirmView):
    """Set a new password through a one-time link (``kehu.accounts.reset_links``). Django's
    view moves the token out of the address into the session before showing the form; a link
    that does not open says why (expired, used, not valid)."""

    template_name = "accounts/password_reset.html"
    token_generator = reset_links.reset_tokens
    success_url = reverse_lazy("accounts:login")

    def get_user(self, uidb64: str) -> User | None:
        return reset_links.reset_link_user(uidb64)

    def _token(self) -> str:
        token = str(self.kwargs.get("token", ""))
        if token == self.reset_url_token:
            return str(self.request.session.get(INTERNAL_RESET_SESSION_TOKEN) or "")
        return token

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not self.validlink:
            token = self._token()
            reason = reset_links.reset_tokens.refusal(token) if self.user and token else ""
            context["refusal"] = reset_links.refusal_message(reason)
        context["target"] = self.user if self.validlink else None
        return context

    def form_valid(self, form: "SetPasswordForm[User]") -> HttpResponse:
        assert self.user is not None  # a valid link names its user  # noqa: S101
        try:
            reset_links.password_reset_with_link(
                user=self.user,
                token=self._token(),
                new_password=form.cleaned_data["new_password1"],
                ip_address=client_ip(self.request) or None,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field, error)
            else:
                form.add_error(None, exc)
            return self.form_invalid(form)
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, _("Your new password is set. Sign in with it."))
        return HttpResponseRedirect(self.get_success_url())


password_reset = login_not_required(PasswordResetView.as_view())
