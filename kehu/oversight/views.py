# Over 500 lines: one short view per oversight page (dashboards, risks, ageing, reviews,
# targets, growth, service, rules), each parse → selector or service → render.
"""The oversight pages (/oversight/): the dashboard and the lists behind its figures, risks and
alerts, the ageing report, reviews, targets, growth and decline, the service figures, rules."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import (
    can_administer_archive,
    is_read_only,
    managed_team_ids,
    require_account_admin,
    sees_all_customers,
)
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest, flash_errors, kept_figures_poll, next_url
from kehu.core.pagination import CappedPaginator
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get_for_user
from kehu.oversight import kpis, selectors, services
from kehu.oversight.access import can_set_targets, require_reader
from kehu.oversight.forms import DashboardForm, ReviewForm, RiskFilterForm, TargetForm
from kehu.oversight.models import RiskLevel, RiskRule, SalesTarget
from kehu.oversight.rules import THRESHOLDS, reason_text, rule_label, rules_all

PAGE_SIZE = 50


def dashboard_filters(request: AuthenticatedRequest) -> kpis.KpiFilters:
    form = DashboardForm(request.GET or None)
    if not form.is_valid():
        return kpis.KpiFilters()
    team = form.cleaned_data.get("team")
    team_id = team.pk if team else None
    if (
        team_id
        and not sees_all_customers(request.user)
        and team_id not in managed_team_ids(request.user)
    ):
        team_id = None  # another team's figures are not this user's to see
    return kpis.KpiFilters(
        period=form.cleaned_data.get("period") or "month",
        on=form.cleaned_data.get("on"),
        team_id=team_id,
    )


@require_GET
def dashboard_view(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    require_reader(user)
    filters = dashboard_filters(request)
    board = kpis.dashboard_kept(user=user, filters=filters)
    if (poll := kept_figures_poll(request, board.stale)) is not None:
        return poll
    f, b = board.figures, board.before
    compare = {
        key: kpis.change(f.get(key), b.get(key))
        for key in (
            "revenue",
            "collected",
            "new_customers",
            "orders",
            "average_order_value",
            "lost_customers",
            "repeat_rate",
            "retention_rate",
            "average_rating",
            "satisfied_share",
            "complaint_rate",
            "sla_compliance",
        )
    }
    span_query = urlencode(
        {  # type: ignore[arg-type]
            "start": board.span.start.isoformat(),
            "end": board.span.end.isoformat(),
            **({"team": filters.team_id} if filters.team_id else {}),
        }
    )
    team_query = f"&team={filters.team_id}" if filters.team_id else ""
    personal = not sees_all_customers(user)
    context: dict[str, Any] = {
        "board": board,
        "f": f,
        "before": b,
        "compare": compare,
        "form": DashboardForm(request.GET or None),
        "span_query": span_query,
        "team_query": team_query,
        "personal": personal,
        "chart": {
            "trend": board.trend,
            "composition": board.composition,
            "risks": board.risks,
            "targets": {
                k: (float(v) if v is not None else None)
                for k, v in board.targets.items()
                if k != "attainment"
            },
            "names": {
                "revenue": _("Revenue"),
                "collected": _("Collections"),
                "new": _("New customers"),
                "orders": _("Orders"),
                "stage": _("By lifecycle stage"),
                "grade": _("By grade"),
                "tier": _("By value tier"),
                "high": _("High"),
                "medium": _("Medium"),
                "low": _("Low"),
            },
            "drill": {
                "stage": "/customers/?stage=",
                "grade": "/customers/?grade=",
                "tier": "/analytics/customers/?tier=",
                "risk": "/oversight/risks/?level=",
                "team": team_query,
            },
        },
    }
    if personal:
        today = timezone.localdate()
        context["due_reviews"] = selectors.reviews_due_first(user=user, today=today)
        context["my_risks"] = list(
            selectors.risk_list(user=user, filters=selectors.RiskFilters())[:8]
        )
        from kehu.tasks.work import work_summary

        context["work"] = work_summary(user=user, today=today, rows=6)
    return render(request, "oversight/dashboard.html", context)


@require_GET
def customer_card_view(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    """The 360° page's risk and review card: badge and reasons, open alerts, next review and
    the last reviews."""
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    risk = selectors.risk_for_customer(user=request.user, customer_id=customer.pk)
    reasons = (
        [(rule_label(r["rule"]), reason_text(r), r.get("on", "")) for r in risk.reasons]
        if risk
        else []
    )
    return render(
        request,
        "oversight/partials/customer_card_body.html",
        {
            "customer": customer,
            "risk": risk,
            "reasons": reasons,
            "alerts": [
                a for a in selectors.customer_alerts(customer=customer) if a.acknowledged_at is None
            ],
            "reviews": selectors.customer_reviews(customer=customer, limit=3),
            "next_review": selectors.customer_next_review(customer=customer),
            "can_handle": not is_read_only(request.user),
        },
    )


@require_GET
def kpi_customers_view(request: AuthenticatedRequest) -> HttpResponse:
    """The customers behind a dashboard figure: new (first order) or lost in a span."""
    user = request.user
    require_reader(user)
    kpi = request.GET.get("kpi", "new")
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
        end = date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        span = kpis.span_of("month", timezone.localdate())
        start, end = span.start, span.end
    team = request.GET.get("team", "")
    team_id = int(team) if team.isdigit() else None
    span = kpis.Span(start, end)
    rows = (
        (
            kpis.lost_customers(user, span, team_id)
            if kpi == "lost"
            else kpis.new_customers(user, span, team_id)
        )
        .select_related("owner", "team")
        .order_by("-id")
    )
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    title = _("Customers lost") if kpi == "lost" else _("New customers (first order)")
    return render(
        request,
        "oversight/kpi_customers.html",
        {"page": page, "title": title, "start": start, "end": end},
    )


@require_GET
def risk_list_view(request: AuthenticatedRequest) -> HttpResponse:
    form = RiskFilterForm(request.GET or None)
    filters = selectors.RiskFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.RiskFilters(
            level=data.get("level"),
            rule=data.get("rule") or "",
            owner_id=data["owner"].pk if data.get("owner") else None,
            team_id=data["team"].pk if data.get("team") else None,
        )
    rows = selectors.risk_list(user=request.user, filters=filters)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        row.texts = [(RiskRule.Code(r["rule"]).label, reason_text(r)) for r in row.reasons]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "oversight/risk_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_recompute": can_administer_archive(request.user),
        },
    )


@require_POST
def risk_recompute_view(request: AuthenticatedRequest) -> HttpResponse:
    """Archive administrators: compute every customer's risk now (it runs nightly anyway)."""
    from kehu.core.access import require_archive_admin
    from kehu.oversight.risk import risk_compute

    require_archive_admin(request.user)
    result = risk_compute()
    messages.success(
        request,
        _("Risks computed: %(n)s customers at risk, %(a)s new alerts.")
        % {"n": result.at_risk, "a": len(result.alerts)},
    )
    return redirect("oversight:risks")


@require_GET
def alert_list_view(request: AuthenticatedRequest) -> HttpResponse:
    open_only = request.GET.get("open") == "1"
    rows = selectors.alert_list(user=request.user, open_only=open_only)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for alert in page:
        alert.texts = [reason_text(r) for r in alert.reasons]  # type: ignore[attr-defined]
    return render(
        request,
        "oversight/alert_list.html",
        {"page": page, "open_only": open_only, "can_handle": not is_read_only(request.user)},
    )


@require_POST
def alert_acknowledge_view(request: AuthenticatedRequest, alert_id: int) -> HttpResponse:
    alert = selectors.alert_get_for_user(user=request.user, alert_id=alert_id)
    try:
        services.risk_alert_acknowledge(
            user=request.user, alert=alert, note=request.POST.get("note", "")
        )
        messages.success(request, _("Alert acknowledged; the note is on the customer's timeline."))
    except ValidationError as exc:
        flash_errors(request, exc)
    except Conflict as exc:
        messages.error(request, exc.message)
    back = request.POST.get("next", "")
    return redirect(
        back if back.startswith("/") and not back.startswith("//") else "oversight:alerts"
    )


@require_GET
def ageing_view(request: AuthenticatedRequest) -> HttpResponse:
    group_by = request.GET.get("by", "owner")
    if group_by not in selectors.GROUPS:
        group_by = "owner"
    team = request.GET.get("team", "")
    rows = selectors.ageing_report(
        user=request.user, group_by=group_by, team_id=int(team) if team.isdigit() else None
    )
    totals = {
        "outstanding": sum((r["outstanding"] for r in rows), kpis.ZERO),
        "buckets": {
            name: sum((r["buckets"][name] for r in rows), kpis.ZERO)
            for name, *_r in selectors.AGEING
        },
    }
    return render(
        request,
        "oversight/ageing.html",
        {
            "rows": rows,
            "group_by": group_by,
            "totals": totals,
            "buckets": [n for n, *_r in selectors.AGEING],
        },
    )


@require_GET
def reviews_view(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    owner = request.GET.get("owner", "")
    team = request.GET.get("team", "")
    due = selectors.reviews_due(
        user=user,
        owner_id=int(owner) if owner.isdigit() else None,
        team_id=int(team) if team.isdigit() else None,
    )
    page = CappedPaginator(due, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "oversight/reviews.html",
        {
            "page": page,
            "pending": list(selectors.reviews_pending(user=user)[:50]),
            "cycles": services.review_cycles(),
            "can_review": not is_read_only(user),
        },
    )


@require_http_methods(["GET", "POST"])
def review_new_view(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    user = request.user
    customer = customer_get_for_user(user=user, customer_id=customer_id)
    if is_read_only(user):
        raise PermissionDenied(_("You may not review this customer."))
    checks = services.review_checks()
    form = ReviewForm(request.POST or None, initial={"grade": "", "lifecycle_stage": ""})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes: dict[str, Any] = {
            "grade": data["grade"],
            "lifecycle_stage": data["lifecycle_stage"],
        }
        if data.get("credit_limit") is not None:
            changes["organization.credit_limit"] = data["credit_limit"]
        try:
            review = services.review_complete(
                user=user,
                customer=customer,
                data=services.ReviewInput(
                    checks={c.pk: request.POST.get(f"check_{c.pk}") == "on" for c in checks},
                    outcome=data["outcome"],
                    next_review_on=data.get("next_review_on"),
                    changes=changes,
                    reason=data.get("reason") or "",
                ),
            )
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            if review.status == review.Status.PENDING:
                messages.info(
                    request, _("Review saved; the changes wait for a manager's approval.")
                )
            else:
                messages.success(request, _("Review saved."))
            return redirect(customer.get_absolute_url())
    return render(
        request,
        "oversight/review_form.html",
        {
            "customer": customer,
            "form": form,
            "checks": checks,
            "history": selectors.customer_reviews(customer=customer),
            "next_due": selectors.customer_next_review(customer=customer),
        },
    )


@require_POST
def review_decide_view(request: AuthenticatedRequest, review_id: int) -> HttpResponse:
    review = selectors.review_get_for_user(user=request.user, review_id=review_id)
    try:
        services.review_decide(
            user=request.user, review=review, approve=request.POST.get("approve") == "1"
        )
        messages.success(request, _("Decision recorded."))
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("oversight:reviews")


@require_http_methods(["GET", "POST"])
def targets_view(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    require_reader(user)
    form = TargetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.target_set(
                user=user,
                period=data["period"],
                starts_on=data["starts_on"],
                metric=data["metric"],
                amount=data["amount"],
                owner=data.get("owner"),
                team=data.get("team"),
            )
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("Target saved."))
            return redirect("oversight:targets")
    today = timezone.localdate()
    start = kpis.span_of("quarter", today).start
    rows = list(
        selectors.target_list(
            user=user,
            starts_from=kpis.previous_span("quarter", kpis.span_of("quarter", today)).start,
        )[:200]
    )
    progress = []
    for target in rows:
        span = kpis.span_of(target.period, target.starts_on)
        actual = _target_actual(target, span)
        progress.append((target, actual, kpis.attainment(actual, target.amount)))
    return render(
        request,
        "oversight/targets.html",
        {"form": form, "progress": progress, "can_set": can_set_targets(user), "quarter": start},
    )


def _target_actual(target: SalesTarget, span: kpis.Span) -> Any:
    from kehu.sales.models import DEFAULT_CURRENCY, SalesDaily

    rows = SalesDaily.objects.filter(
        day__gte=span.start, day__lte=span.end, currency=DEFAULT_CURRENCY
    )
    rows = (
        rows.filter(owner_id=target.owner_id)
        if target.owner_id
        else rows.filter(team_id=target.team_id or 0)
    )
    field = {"revenue": "revenue", "collected": "collected", "new_customers": "new_customers"}[
        target.metric
    ]
    from django.db.models import Sum

    return rows.aggregate(v=Sum(field))["v"] or 0


@require_POST
def target_delete_view(request: AuthenticatedRequest, target_id: int) -> HttpResponse:
    target = selectors.target_get_for_user(user=request.user, target_id=target_id)
    services.target_delete(user=request.user, target=target)
    messages.success(request, _("Target deleted."))
    return redirect("oversight:targets")


@require_GET
def growth_view(request: AuthenticatedRequest) -> HttpResponse:
    direction = "decline" if request.GET.get("direction") == "decline" else "growth"
    days = 90 if request.GET.get("days") == "90" else 365
    rows = list(
        selectors.growth_list(user=request.user, direction=direction, days=days)[:PAGE_SIZE]
    )
    watches = selectors.watch_reasons([r.customer_id for r in rows])
    return render(
        request,
        "oversight/growth.html",
        {
            "rows": [(r, watches.get(r.customer_id)) for r in rows],
            "direction": direction,
            "days": days,
            "watched": list(selectors.watch_list(user=request.user)[:50]),
            "can_watch": not is_read_only(request.user),
        },
    )


@require_POST
def watch_view(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    try:
        if request.POST.get("clear") == "1":
            services.watch_clear(user=request.user, customer=customer)
        else:
            services.watch_set(
                user=request.user, customer=customer, reason=request.POST.get("reason", "")
            )
    except ValidationError as exc:
        flash_errors(request, exc)
    return redirect(next_url(request, reverse("oversight:growth")))


@require_GET
def service_view(request: AuthenticatedRequest) -> HttpResponse:
    filters = dashboard_filters(request)
    span = kpis.span_of(filters.period, filters.on or timezone.localdate())
    figures = selectors.service_dashboard(user=request.user, start=span.start, end=span.end)
    return render(
        request,
        "oversight/service.html",
        {
            "s": figures,
            "span": span,
            "form": DashboardForm(request.GET or None),
            "chart": {"priorities": figures["open_by_priority"]},
        },
    )


@require_http_methods(["GET", "POST"])
def rules_view(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    require_account_admin(user)
    rules = rules_all()
    if request.method == "POST":
        rule = get_object_or_404(RiskRule, pk=request.POST.get("rule", 0))
        if rule is not None and "rule" in request.POST:
            data: dict[str, Any] = {"enabled": request.POST.get("enabled") == "on"}
            level = request.POST.get("level", "")
            if level.isdigit():
                data["level"] = int(level)
            for name in THRESHOLDS[rule.code]:
                data[name] = request.POST.get(name, "")
            try:
                services.risk_rule_update(user=user, rule=rule, data=data)
                messages.success(request, _("Rule saved; it applies from the next computation."))
            except ValidationError as exc:
                flash_errors(request, exc)
        return redirect("oversight:rules")
    return render(
        request,
        "oversight/rules.html",
        {
            "rules": [
                (r, [(name, label, getattr(r, name)) for name, label in THRESHOLDS[r.code].items()])
                for r in rules
            ],
            "levels": [(v, label) for v, label in RiskLevel.choices if v],
            "cycles": [
                (grade, Customer.Grade(grade).label, months)
                for grade, months in services.review_cycles().items()
                if grade in Customer.Grade.values
            ],
            "settings": services.oversight_settings(),
            "checks": _all_checks(),
        },
    )


@require_POST
def review_check_view(request: AuthenticatedRequest) -> HttpResponse:
    """Add or change an item of the review checklist."""
    from kehu.oversight.models import ReviewCheck

    require_account_admin(request.user)
    pk = request.POST.get("check", "")
    check = get_object_or_404(ReviewCheck, pk=pk) if pk.isdigit() else None
    try:
        services.review_check_save(
            user=request.user,
            check=check,
            label=request.POST.get("label", ""),
            label_en=request.POST.get("label_en", ""),
            is_active=request.POST.get("is_active") == "on" or check is None,
        )
        messages.success(request, _("Checklist saved."))
    except ValidationError as exc:
        flash_errors(request, exc)
    return redirect("oversight:rules")


@require_POST
def review_settings_view(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    require_account_admin(user)
    try:
        for grade in services.DEFAULT_CYCLES:
            months = request.POST.get(f"cycle_{grade}", "")
            if months.isdigit():
                services.review_cycle_set(user=user, grade=grade, months=int(months))
        services.review_settings_update(
            user=user, review_approval=request.POST.get("review_approval") == "on"
        )
        messages.success(request, _("Review settings saved."))
    except ValidationError as exc:
        flash_errors(request, exc)
    return redirect("oversight:rules")


def _all_checks() -> list[Any]:
    from kehu.oversight.models import ReviewCheck

    services.review_checks()
    return list(ReviewCheck.objects.all())
