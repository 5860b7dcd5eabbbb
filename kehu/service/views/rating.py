"""The customer's public satisfaction page (no sign-in, signed link)."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kehu.core.exceptions import Conflict
from kehu.core.http import client_ip
from kehu.intake.ratelimit import rate_limit_hit
from kehu.service import services
from kehu.service.forms import (
    RatingForm,
)
from kehu.service.ratinglink import RatingLinkProblem
from kehu.service.views.common import RATING_LIMIT, RATING_WINDOW

LINK_PROBLEMS = {
    "used": gettext_lazy("This link has been used already. Thank you, we have your answer."),
    "expired": gettext_lazy("This link has expired."),
    "invalid": gettext_lazy("This link is not valid."),
}


@login_not_required
@require_http_methods(["GET", "POST"])
def rating_public(request: HttpRequest, token: str) -> HttpResponse:
    """``/r/<token>/``: the customer rates a resolved case, once, without signing in."""
    if not rate_limit_hit(
        scope="case-rating", key=client_ip(request), limit=RATING_LIMIT, window=RATING_WINDOW
    ):
        return render(
            request,
            "service/rating_public.html",
            {"problem": _("Too many requests from your network. Please try again later.")},
            status=429,
        )
    try:
        case = services.case_for_rating_token(token)
    except RatingLinkProblem as problem:
        status = 410 if problem.reason in ("used", "expired") else 404
        return render(
            request,
            "service/rating_public.html",
            {"problem": str(LINK_PROBLEMS[problem.reason])},
            status=status,
        )
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_rate_by_token(
                token=token,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except RatingLinkProblem as problem:
            return render(
                request,
                "service/rating_public.html",
                {"problem": str(LINK_PROBLEMS[problem.reason])},
                status=410,
            )
        except (ValidationError, Conflict):
            form.add_error(None, _("Your answer could not be saved. Please try again."))
        else:
            return render(request, "service/rating_public.html", {"thanks": True})
    return render(
        request,
        "service/rating_public.html",
        {"case": case, "form": form},
        status=400 if request.method == "POST" else 200,
    )
