"""The rules page (/basket/), one rule with its orders and customers, a product's "often
bought with", and the 360° suggestions card (loaded by htmx)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.basket import selectors, services
from kehu.basket.models import Level, MiningRun
from kehu.core.access import can_see_customers, require, sees_all_customers
from kehu.core.http import AuthenticatedRequest
from kehu.sales.selectors import product_get

PAGE_SIZE = 50


def _float(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@require_GET
def rules_page(request: AuthenticatedRequest) -> HttpResponse:
    get = request.GET
    level = get.get("level") or ""
    level = level if level in Level.values else Level.PRODUCT
    filters = selectors.RuleFilters(
        level=level,
        product_id=_int(get.get("product")),
        category=get.get("category", "").strip(),
        side=get.get("side", "") if get.get("side") in ("antecedent", "consequent") else "",
        min_lift=_float(get.get("min_lift")),
        order=get.get("order", "lift"),
    )
    rules = selectors.rule_list(user=request.user, filters=filters)
    page = Paginator(rules, PAGE_SIZE).get_page(get.get("page"))
    names = selectors.item_names(list(page.object_list), level)
    context: dict[str, Any] = {
        "run": selectors.latest_run(level),
        "runs": selectors.runs_recent(),
        "filters": filters,
        "levels": Level.choices,
        "rows": [
            {
                "rule": rule,
                "antecedent": selectors.items_text(rule.antecedent, names),
                "consequent": selectors.items_text(rule.consequent, names),
                "sentence": selectors.rule_sentence(rule, names),
            }
            for rule in page.object_list
        ],
        "page": page,
        "products": selectors.products_for_filter(),
        "categories": selectors.categories_for_filter(),
        "orderings": selectors.RULE_ORDERINGS,
        "can_mine": sees_all_customers(request.user),
        "chart": selectors.chart_pairs() if level == Level.PRODUCT else None,
        "default_support": services.default_min_support(),
        "default_confidence": services.default_min_confidence(),
        "basket_modes": MiningRun.BasketMode.choices,
    }
    return render(request, "basket/rules.html", context)


@require_POST
def mining_request(request: AuthenticatedRequest) -> HttpResponse:
    post = request.POST
    try:
        services.mining_run_request(
            user=request.user,
            level=post.get("level", Level.PRODUCT),
            min_support=post.get("min_support"),
            min_confidence=post.get("min_confidence"),
            basket_mode=post.get("basket_mode", MiningRun.BasketMode.ORDER),
            window_days=post.get("window_days"),
        )
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
        return redirect("basket:rules")
    messages.info(request, _("Mining in the background; reload this page to see its progress."))
    return redirect("basket:rules")


@require_GET
def rule_detail(request: AuthenticatedRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(user=request.user, rule_id=rule_id)
    names = selectors.item_names([rule], rule.run.level)
    context = {
        "rule": rule,
        "sentence": selectors.rule_sentence(rule, names),
        "antecedent": selectors.items_text(rule.antecedent, names),
        "consequent": selectors.items_text(rule.consequent, names),
        "orders": list(selectors.rule_orders(user=request.user, rule=rule)[:PAGE_SIZE]),
        "customers": list(selectors.rule_customers(user=request.user, rule=rule)[:PAGE_SIZE]),
        "targets": list(selectors.rule_targets(user=request.user, rule=rule)[:PAGE_SIZE]),
        "can_target": rule.run.level == Level.PRODUCT and rule.size == 2,
        "page_size": PAGE_SIZE,
    }
    return render(request, "basket/rule_detail.html", context)


@require_POST
def rule_segment(request: AuthenticatedRequest, rule_id: int) -> HttpResponse:
    rule = selectors.rule_get(user=request.user, rule_id=rule_id)
    try:
        segment = services.cross_sell_segment_create(
            user=request.user, rule=rule, name=request.POST.get("name", "")
        )
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
        return redirect("basket:rule", rule.pk)
    messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
    return redirect("basket:rule", rule.pk)


@require_GET
def product_page(request: AuthenticatedRequest, product_id: int) -> HttpResponse:
    require(request.user, can_see_customers, selectors.RULES_REFUSED)
    product = product_get(product_id=product_id)
    rules = selectors.often_bought_with(product_id=product.pk)
    names = selectors.item_names(rules, Level.PRODUCT)
    context = {
        "product": product,
        "rows": [
            {
                "rule": rule,
                "consequent": selectors.items_text(rule.consequent, names),
                "sentence": selectors.rule_sentence(rule, names),
            }
            for rule in rules
        ],
        "grades": selectors.product_buyers_by_grade(user=request.user, product_id=product.pk),
    }
    return render(request, "basket/product.html", context)


@require_GET
def customer_suggestions(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    suggestions = selectors.customer_recommendations(user=request.user, customer_id=customer_id)
    return render(request, "basket/partials/suggestions.html", {"suggestions": suggestions})
