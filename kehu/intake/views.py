"""Intake pages: the agents' screen-pop and the public web form.

The public form (``/f/<slug>/``) needs no sign-in and keeps no session: it sets no cookie, so
Django's cookie-based CSRF check cannot apply (an embedding site's iframe would never send a
SameSite cookie). It is protected instead by a signed token bound to the form and its age
(``kehu.intake.formtoken``), a same-origin check, a honeypot, a per-address rate limit and a
size limit. Only this page may be framed by other sites.
"""

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.access import can_create_leads
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest, client_ip
from kehu.customers.forms import apply_service_errors
from kehu.intake import selectors, services
from kehu.intake.api import SUBMIT_LIMIT, SUBMIT_MAX_BYTES, SUBMIT_WINDOW
from kehu.intake.forms import CallerLookupForm, PublicWebForm
from kehu.intake.formtoken import TokenProblem, form_token, form_token_check
from kehu.intake.models import WebForm
from kehu.intake.ratelimit import rate_limit_hit

# --- the screen-pop ---------------------------------------------------------------------------


@require_GET
def caller_lookup(request: AuthenticatedRequest) -> HttpResponse:
    """``/calls/lookup?number=…``: who is calling, for the agent on the phone."""
    form = CallerLookupForm(request.GET or None)
    lookup = None
    if form.is_valid():
        lookup = selectors.caller_lookup(user=request.user, number=form.cleaned_data["number"])
    context = {"form": form, "lookup": lookup, "can_create_leads": can_create_leads(request.user)}
    return render(request, "intake/caller_lookup.html", context)


# --- the public web form ----------------------------------------------------------------------


def _embeddable(
    request: HttpRequest, response: HttpResponseBase, form: WebForm
) -> HttpResponseBase:
    """Let the sites the form lists (any site when none) frame this one response."""
    origins = form.embed_origins or ["*"]
    return csp_replace({"frame-ancestors": origins})(lambda _request: response)(request)


def _same_origin(request: HttpRequest) -> bool:
    """A browser's POST from our own page (framed or not) carries our own origin; another
    site's page posting here directly carries its own."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return True  # old browsers and privacy settings omit it; the signed token still holds
    return bool(origin == f"{request.scheme}://{request.get_host()}")


def _page(
    request: HttpRequest, form: WebForm, public: PublicWebForm, status: int = 200
) -> HttpResponseBase:
    context = {"web_form": form, "form": public, "fields": public.archive_fields()}
    return _embeddable(
        request, render(request, "intake/public_form.html", context, status=status), form
    )


@login_not_required
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def public_form(request: HttpRequest, slug: str) -> HttpResponseBase:
    form = selectors.web_form_public_get(slug=slug)
    fields = selectors.web_form_fields(form)
    if request.method == "GET":
        public = PublicWebForm(
            initial={"token": form_token(form.slug)}, web_form=form, fields=fields
        )
        return _page(request, form, public)

    # Fresh token on every answer, so a corrected form can be sent again.
    data = request.POST.copy()
    data["token"] = form_token(form.slug)
    public = PublicWebForm(data, web_form=form, fields=fields)
    ip = client_ip(request)
    if not rate_limit_hit(scope="form-page", key=ip, limit=SUBMIT_LIMIT, window=SUBMIT_WINDOW):
        public.is_valid()
        public.add_error(None, _("Too many submissions from your network. Please try again later."))
        return _page(request, form, public, status=429)
    if int(request.META.get("CONTENT_LENGTH") or 0) > SUBMIT_MAX_BYTES:
        public.is_valid()
        public.add_error(None, _("The submission is too large. Please shorten your message."))
        return _page(request, form, public, status=413)
    try:
        form_token_check(request.POST.get("token", ""), form.slug)
        if not _same_origin(request):
            raise TokenProblem("invalid")
    except TokenProblem as problem:
        public.is_valid()
        messages = {
            "too_fast": _("That was very quick. Please check your entries and send again."),
            "expired": _("The page was open too long. Please check your entries and send again."),
            "invalid": _("The form could not be verified. Please send it again."),
        }
        public.add_error(None, messages[problem.reason])
        return _page(request, form, public, status=400)
    if not public.is_valid():
        return _page(request, form, public, status=400)
    if public.is_bot():
        # Answer as if it worked: a bot learns nothing; nothing is stored.
        return _embeddable(request, redirect("public_forms:thanks", slug=form.slug), form)
    try:
        services.web_form_submit(
            form=form,
            values=public.archive_values(),
            consent=bool(public.cleaned_data.get("consent")),
            ip_address=ip,
            user_agent=request.headers.get("User-Agent", ""),
            # The form posts to its own address, so a campaign link's ?campaign=CODE stays.
            campaign_code=request.GET.get("campaign", ""),
        )
    except ValidationError as exc:
        apply_service_errors(public, exc)
        return _page(request, form, public, status=422)
    return _embeddable(request, redirect("public_forms:thanks", slug=form.slug), form)


@login_not_required
@xframe_options_exempt
@require_GET
def public_form_thanks(request: HttpRequest, slug: str) -> HttpResponseBase:
    form = selectors.web_form_public_get(slug=slug)
    return _embeddable(
        request, render(request, "intake/public_thanks.html", {"web_form": form}), form
    )


@require_http_methods(["GET", "POST"])
def handover_list(request: AuthenticatedRequest) -> HttpResponse:
    """``/intake/handovers/``: the leads handed to the user, to accept or decline (with a
    reason)."""
    if request.method == "POST":
        handover = selectors.handover_for_user(
            user=request.user, handover_id=request.POST.get("handover", "")
        )
        accept = request.POST.get("decision") == "accept"
        try:
            services.lead_handover_decide(
                user=request.user,
                handover=handover,
                accept=accept,
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Lead accepted.") if accept else _("Lead declined: it is in the pool.")
            )
        return redirect("intake_admin:handovers")
    context = {"handovers": selectors.handovers_of(user=request.user)}
    return render(request, "intake/handovers.html", context)
