"""Reading the mined rules and the customers behind them. Rules are aggregates over every
order and readable by anyone who sees customers; the orders and customers behind a rule, and
a customer's suggestions, follow the user's scope (outside it: 404)."""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.basket.models import AssociationRule, FrequentItemset, Level, MiningRun
from kehu.basket.recommend import Pair, Suggestion, recommend
from kehu.core.access import can_see_customers, require
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_to
from kehu.sales.models import Order, OrderLine, Product
from kehu.sales.selectors import orders_visible_to

RULE_ORDERINGS = {
    "lift": ("-lift", "-confidence", "id"),
    "confidence": ("-confidence", "-lift", "id"),
    "support": ("-support", "-lift", "id"),
    "leverage": ("-leverage", "id"),
    "conviction": ("-conviction", "id"),
}

RULES_REFUSED = gettext_lazy("You may not see the association rules.")


def latest_run(level: str = Level.PRODUCT) -> MiningRun | None:
    return MiningRun.objects.filter(level=level, status=MiningRun.Status.DONE).first()


def runs_recent() -> QuerySet[MiningRun]:
    return MiningRun.objects.select_related("requested_by")[:10]


def mining_run_get(*, user: User, run_id: int) -> MiningRun:
    require(user, can_see_customers, RULES_REFUSED)
    run = MiningRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


@dataclass(frozen=True)
class RuleFilters:
    level: str = Level.PRODUCT
    product_id: int | None = None
    category: str = ""
    side: str = ""  # "", "antecedent" or "consequent": where the product or category is
    min_lift: float | None = None
    min_confidence: float | None = None
    order: str = "lift"


def _side_q(key: str, side: str) -> Q:
    left, right = Q(antecedent_keys__contains=key), Q(consequent_keys__contains=key)
    if side == "antecedent":
        return left
    if side == "consequent":
        return right
    return left | right


def rule_list(*, user: User, filters: RuleFilters) -> QuerySet[AssociationRule]:
    """The latest run's rules at the level, filtered and sorted; none before a first run."""
    require(user, can_see_customers, RULES_REFUSED)
    run = latest_run(filters.level)
    if run is None:
        return AssociationRule.objects.none()
    rules = AssociationRule.objects.filter(run=run)
    if filters.product_id is not None and filters.level == Level.PRODUCT:
        rules = rules.filter(_side_q(f"|{filters.product_id}|", filters.side))
    if filters.category:
        if filters.level == Level.CATEGORY:
            rules = rules.filter(_side_q(f"|{filters.category}|", filters.side))
        else:
            ids = Product.objects.filter(category=filters.category).values_list("pk", flat=True)
            side_q = Q(pk__in=[])
            for pk in ids:
                side_q |= _side_q(f"|{pk}|", filters.side)
            rules = rules.filter(side_q)
    if filters.min_lift is not None:
        rules = rules.filter(lift__gte=filters.min_lift)
    if filters.min_confidence is not None:
        rules = rules.filter(confidence__gte=filters.min_confidence)
    return rules.order_by(*RULE_ORDERINGS.get(filters.order, RULE_ORDERINGS["lift"]))


def rule_get(*, user: User, rule_id: int) -> AssociationRule:
    require(user, can_see_customers, RULES_REFUSED)
    rule = AssociationRule.objects.select_related("run").filter(pk=rule_id).first()
    if rule is None:
        raise Http404
    return rule


def item_names(rules: list[AssociationRule] | list[Any], level: str) -> dict[Any, str]:
    """Display names of the items of ``rules`` (products by id; categories are their names)."""
    if level == Level.CATEGORY:
        return {}
    ids = {i for rule in rules for i in (*rule.antecedent, *rule.consequent)}
    return dict(Product.objects.filter(pk__in=ids).values_list("pk", "name"))


def items_text(items: list[Any], names: dict[Any, str]) -> str:
    return _(", ").join(names.get(i, str(i)) for i in items)


def rule_sentence(rule: AssociationRule, names: dict[Any, str]) -> str:
    """The rule in words, e.g. "买了纸尿裤的订单中 38% 也买了啤酒，是平均的 2.7 倍"."""
    return _(
        "Of the orders with %(antecedent)s, %(confidence)s also had %(consequent)s — "
        "%(lift)s times the average."
    ) % {
        "antecedent": items_text(rule.antecedent, names),
        "consequent": items_text(rule.consequent, names),
        "confidence": f"{rule.confidence:.0%}",
        "lift": f"{rule.lift:.1f}",
    }


def _orders_with(orders: QuerySet[Order], items: list[Any], level: str) -> QuerySet[Order]:
    for item in items:
        lines = OrderLine.objects.filter(order=OuterRef("pk"))
        if level == Level.CATEGORY:
            lines = lines.filter(product__category=item)
        else:
            lines = lines.filter(product_id=item)
        orders = orders.filter(Exists(lines))
    return orders


def rule_orders(*, user: User, rule: AssociationRule) -> QuerySet[Order]:
    """The user's orders (not cancelled) holding every item of the rule, newest first."""
    orders = orders_visible_to(user).exclude(status=Order.Status.CANCELLED)
    items = [*rule.antecedent, *rule.consequent]
    return (
        _orders_with(orders, items, rule.run.level)
        .select_related("customer")
        .order_by("-ordered_on", "-id")
    )


def rule_customers(*, user: User, rule: AssociationRule) -> QuerySet[Customer]:
    orders = rule_orders(user=user, rule=rule).values("customer_id")
    return customers_visible_to(user).filter(pk__in=orders).select_related("owner")


def rule_targets(*, user: User, rule: AssociationRule) -> QuerySet[Customer]:
    """Cross-sell targets: the user's customers who bought the antecedent but never the
    consequent."""
    from kehu.basket.segments import bought_but_never_q

    return (
        customers_visible_to(user)
        .filter(bought_but_never_q(rule.run.level, rule.antecedent, rule.consequent))
        .select_related("owner")
    )


def often_bought_with(*, product_id: int, limit: int = 10) -> list[AssociationRule]:
    """The latest run's one-to-one rules from this product, strongest first."""
    run = latest_run(Level.PRODUCT)
    if run is None:
        return []
    return list(
        AssociationRule.objects.filter(run=run, size=2, antecedent_keys=f"|{product_id}|").order_by(
            "-lift", "-confidence"
        )[:limit]
    )


def product_buyers_by_grade(*, user: User, product_id: int) -> list[tuple[str, int]]:
    """How many of the user's customers bought the product, by grade (重要/特殊/一般)."""
    buyers = customers_visible_to(user).filter(
        Exists(
            OrderLine.objects.filter(order__customer=OuterRef("pk"), product_id=product_id).exclude(
                order__status=Order.Status.CANCELLED
            )
        )
    )
    counts = dict(
        buyers.order_by().values_list("grade").annotate(n=Count("id")).values_list("grade", "n")
    )
    return [(str(label), counts.get(value, 0)) for value, label in Customer.Grade.choices]


def chart_pairs(*, limit: int = 30) -> dict[str, Any]:
    """The strongest product pairs as an ECharts graph: nodes and links (lift, confidence)."""
    run = latest_run(Level.PRODUCT)
    if run is None:
        return {"nodes": [], "links": []}
    rules = list(AssociationRule.objects.filter(run=run, size=2).order_by("-lift")[: limit * 2])
    seen: set[frozenset[int]] = set()
    strongest = []
    for rule in rules:
        pair = frozenset((*rule.antecedent, *rule.consequent))
        if pair not in seen:
            seen.add(pair)
            strongest.append(rule)
    strongest = strongest[:limit]
    names = item_names(strongest, Level.PRODUCT)
    ids = sorted({i for rule in strongest for i in (*rule.antecedent, *rule.consequent)})
    return {
        "nodes": [{"id": str(i), "name": names.get(i, str(i))} for i in ids],
        "links": [
            {
                "source": str(rule.antecedent[0]),
                "target": str(rule.consequent[0]),
                "lift": round(rule.lift, 2),
                "confidence": round(rule.confidence, 3),
            }
            for rule in strongest
        ],
    }


@dataclass(frozen=True)
class Recommendation:
    product: Product
    score: float
    reason: str
    text: str


def _reason_text(suggestion: Suggestion, names: dict[int, str]) -> str:
    d = suggestion.detail
    if suggestion.reason == "due":
        return _("Bought about every %(interval)s days; last %(since)s days ago.") % {
            "interval": round(d[0]),
            "since": round(d[1]),
        }
    if suggestion.reason == "bought_with":
        return _("%(confidence)s of the orders with %(product)s also have it (%(lift)s×).") % {
            "confidence": f"{d[1]:.0%}",
            "product": names.get(int(d[0]), str(int(d[0]))),
            "lift": f"{d[2]:.1f}",
        }
    if suggestion.reason == "favourite":
        return _("Bought on %(n)s of the customer's orders.") % {"n": int(d[0])}
    return _("Popular: in %(share)s of all orders.") % {"share": f"{d[0]:.1%}"}


@lru_cache(maxsize=4)
def _popularity(run_id: int, _finished: Any = None) -> dict[int, float]:
    """The 50 most bought products of a finished run (immutable, so kept per process)."""
    popular = FrequentItemset.objects.filter(run_id=run_id, size=1).order_by("-support")[:50]
    return {s.items[0]: s.support for s in popular}


@lru_cache(maxsize=2)
def _pairs(run_id: int, _finished: Any = None) -> dict[int, list[Pair]]:
    """A finished run's one-to-one rules with lift above 1, by antecedent (immutable, so kept
    per process like the popularity; a pair bought together less often than chance is no
    reason to suggest it)."""
    pairs: dict[int, list[Pair]] = {}
    rules = AssociationRule.objects.filter(run_id=run_id, size=2, lift__gt=1).values_list(
        "antecedent", "consequent", "confidence", "lift"
    )
    for antecedent, consequent, confidence, lift in rules.iterator(chunk_size=5000):
        pairs.setdefault(antecedent[0], []).append(Pair(consequent[0], confidence, lift))
    return pairs


def _customer_lines(*, user: User, customer_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The (product id, day number) of the customer's order lines, not cancelled, if the
    user may see the customer (404 otherwise) — one query: the customer joined to its lines,
    a customer without orders being one empty row."""
    rows = list(
        customers_visible_to(user)
        .filter(pk=customer_id)
        .order_by()
        .values_list("orders__lines__product_id", "orders__ordered_on", "orders__status")
    )
    if not rows:
        raise Http404
    epoch = date(1970, 1, 1)
    lines = [
        (p, (d - epoch).days)
        for p, d, status in rows
        if p is not None and status != Order.Status.CANCELLED
    ]
    return (
        np.array([p for p, _d in lines], dtype=np.int64),
        np.array([d for _p, d in lines], dtype=np.int64),
    )


def customer_recommendations(
    *, user: User, customer_id: int, limit: int = 10, today: date | None = None
) -> list[Recommendation]:
    """Next best products for a customer the user may see (404 otherwise), with reasons.

    Three queries: the customer with its lines, the latest run, and the suggested products
    (which also drops the discontinued ones); the run's rules and popularity are read once
    per process."""
    products, days = _customer_lines(user=user, customer_id=customer_id)
    run = latest_run(Level.PRODUCT)
    # keyed by the run and when it finished: an id reused after a restore reads afresh
    pairs = _pairs(run.pk, run.finished_at) if run is not None else {}
    popularity = _popularity(run.pk, run.finished_at) if run is not None else {}
    day = ((today or timezone.localdate()) - date(1970, 1, 1)).days
    wanted = limit * 2 + 10  # a few spare, for discontinued products dropped below
    while True:
        found = recommend(
            products=products,
            days=days,
            today=day,
            pairs=pairs,
            popularity=popularity,
            excluded=set(),
            limit=wanted,
        )
        ids = {s.product for s in found} | {
            int(s.detail[0]) for s in found if s.reason == "bought_with"
        }
        catalogue = Product.objects.only("pk", "code", "name", "status").in_bulk(ids)
        kept = [
            s
            for s in found
            if s.product in catalogue and catalogue[s.product].status != Product.Status.DISCONTINUED
        ]
        if len(kept) >= limit or len(found) < wanted:
            break
        wanted *= 4
    names = {pk: p.name for pk, p in catalogue.items()}
    return [
        Recommendation(catalogue[s.product], s.score, s.reason, _reason_text(s, names))
        for s in kept[:limit]
    ]


def products_for_filter() -> list[tuple[int, str]]:
    return list(Product.objects.order_by("code").values_list("pk", "name"))


def categories_for_filter() -> list[str]:
    return sorted(
        set(Product.objects.exclude(category="").values_list("category", flat=True).distinct())
    )
