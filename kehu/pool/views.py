"""The public pool in the browser: browse (masked), claim, and the rules for administrators."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import (
    can_claim_from_pool,
    can_manage_accounts,
    can_view_pool,
    require,
    require_account_admin,
)
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import CappedPaginator
from kehu.pool import selectors, services
from kehu.pool.forms import PoolFilterForm, PoolPolicyForm

PAGE_SIZE = 50


@require_GET
def pool_list(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, can_view_pool)
    form = PoolFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    customers = selectors.pool_list(
        user=request.user, q=values.get("q", ""), grade=values.get("grade", "")
    )
    page = CappedPaginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    can_claim = can_claim_from_pool(request.user)
    context = {
        "form": form,
        "page": page,
        "can_claim": can_claim,
        "allowance": (
            selectors.claim_allowance(user=request.user, day=timezone.localdate())
            if can_claim
            else None
        ),
        "can_edit_policy": can_manage_accounts(request.user),
        "policy": selectors.pool_policy_get(),
    }
    return render(request, "pool/pool_list.html", context)


@require_POST
def pool_claim(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = selectors.pool_customer_get(user=request.user, customer_id=customer_id)
    try:
        claimed = services.pool_claim(user=request.user, customer=customer)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("pool:list")
    messages.success(request, _("“%(name)s” is now yours.") % {"name": claimed.name})
    return redirect(claimed)


@require_http_methods(["GET", "POST"])
def pool_policy_edit(request: AuthenticatedRequest) -> HttpResponse:
    require_account_admin(request.user)
    policy = selectors.pool_policy_get()
    form = PoolPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        services.pool_policy_save(
            user=request.user,
            **{name: form.cleaned_data[name] for name in services.POLICY_FIELDS},
        )
        messages.success(request, _("Public pool rules saved."))
        return redirect("pool:policy")
    return render(request, "pool/pool_policy.html", {"form": form})
