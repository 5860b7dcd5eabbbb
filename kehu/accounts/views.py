from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.accounts import lockout, selectors, services
from kehu.accounts.forms import ApiTokenForm, LanguageForm, LoginForm
from kehu.accounts.models import User
from kehu.accounts.reauth import password_confirms
from kehu.core.access import require_account_admin
from kehu.core.http import AuthenticatedRequest, client_ip


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
        response = super().form_valid(form)
        language = form.get_user().language
        if language:
            set_language_cookie(response, language)
        return response


login_view = login_not_required(LoginView.as_view())
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
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if isinstance(request.user, User):
            services.user_set_language(user=request.user, language=language)
        set_language_cookie(response, language)
    return response


@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedRequest) -> HttpResponse:
    """The user's own settings: language and personal API tokens."""
    user = request.user
    form = ApiTokenForm(request.POST or None)
    new_token = None
    valid = request.method == "POST" and form.is_valid()
    if valid and not password_confirms(request, user=user, password=form.cleaned_data["password"]):
        form.add_error("password", _("The password is wrong."))
    if request.method == "POST" and form.is_valid():
        expires = form.cleaned_data["expires_at"]
        expires_at = timezone.make_aware(datetime.combine(expires, time.max)) if expires else None
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
        "language_form": LanguageForm(initial={"language": request.LANGUAGE_CODE}),
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
