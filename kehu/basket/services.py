"""Mining the order baskets and keeping the result. Reads every order line in bulk (one
cursor, batches of rows into NumPy arrays), mines in memory, stores itemsets and rules."""

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.basket.mining import Rule, association_rules, frequent_itemsets
from kehu.basket.models import AssociationRule, FrequentItemset, Level, MiningRun
from kehu.core.access import sees_all_customers
from kehu.sales.models import Order

FETCH_ROWS = 200_000
MAX_WINDOW_DAYS = 366
MAX_ITEMSET = 5
KEEP_RUNS = 3


def default_min_support() -> float:
    return float(getattr(settings, "KEHU_BASKET_MIN_SUPPORT", 0.001))


def default_min_baskets() -> int:
    return int(getattr(settings, "KEHU_BASKET_MIN_BASKETS", 3))


def default_min_confidence() -> float:
    return float(getattr(settings, "KEHU_BASKET_MIN_CONFIDENCE", 0.05))


def basket_lines(*, basket_mode: str, window_days: int) -> tuple[np.ndarray, np.ndarray]:
    """(basket key, product id) of every line of every order not cancelled. A basket is an
    order, or (window mode) a customer's orders within the same ``window_days`` days."""
    window = basket_mode == MiningRun.BasketMode.WINDOW
    if window:
        sql = (
            "SELECT o.customer_id, o.ordered_on, l.product_id FROM sales_orderline l "
            "JOIN sales_order o ON o.id = l.order_id WHERE o.status <> %s"
        )
    else:  # the few cancelled orders as a list, not a join per line (18 s → 8 s at 10M lines)
        sql = (
            "SELECT l.order_id, l.product_id FROM sales_orderline l WHERE l.order_id NOT IN "
            "(SELECT o.id FROM sales_order o WHERE o.status = %s)"
        )
    columns: list[np.ndarray] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [Order.Status.CANCELLED])
        while rows := cursor.fetchmany(FETCH_ROWS):
            if window:
                customer, day, product = zip(*rows, strict=True)
                days = np.array([str(d) for d in day], dtype="datetime64[D]").astype(np.int64)
                columns.append(np.stack([np.array(customer, np.int64), days, product]))
            else:
                columns.append(np.array(rows, dtype=np.int64).T)
    if not columns:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    block = np.concatenate(columns, axis=1)
    if not window:
        return block[0], block[1]
    # Windows count from the customer's first order: days 0..N-1 are one basket, and so on.
    customer, day = block[0], block[1]
    index = np.unique(customer, return_inverse=True)[1]
    first = np.full(index.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, index, day)
    return customer * 100_000 + (day - first[index]) // window_days, block[2]


def product_categories() -> dict[int, str]:
    from kehu.sales.models import Product

    return {pk: category or "—" for pk, category in Product.objects.values_list("pk", "category")}


def _keys(items: list[Any]) -> str:
    return "|" + "|".join(str(i) for i in items) + "|"


def _rule_row(run: MiningRun, rule: Rule, names: Callable[[int], Any]) -> AssociationRule:
    antecedent = [names(i) for i in rule.antecedent]
    consequent = [names(i) for i in rule.consequent]
    return AssociationRule(
        run=run,
        antecedent=antecedent,
        consequent=consequent,
        antecedent_keys=_keys(antecedent),
        consequent_keys=_keys(consequent),
        size=len(antecedent) + len(consequent),
        count=rule.count,
        support=rule.support,
        antecedent_support=rule.antecedent_support,
        consequent_support=rule.consequent_support,
        confidence=rule.confidence,
        lift=rule.lift,
        leverage=rule.leverage,
        conviction=None if math.isinf(rule.conviction) else rule.conviction,
    )


def mining_run_execute(*, run_id: int) -> MiningRun:
    """Mine for a queued run and store its itemsets and rules; a failure is recorded on the
    run (status ``failed`` with the error), never half-stored."""
    run = MiningRun.objects.get(pk=run_id)
    started = time.perf_counter()

    def progress(percent: int) -> None:
        MiningRun.objects.filter(pk=run_id).update(progress=percent)

    MiningRun.objects.filter(pk=run_id).update(status=MiningRun.Status.RUNNING, progress=1)
    try:
        basket, product = basket_lines(basket_mode=run.basket_mode, window_days=run.window_days)
        names: Callable[[int], Any]
        if run.level == Level.CATEGORY:
            categories = product_categories()
            labels = sorted(set(categories.values()))
            names = labels.__getitem__
            index = {name: i for i, name in enumerate(labels)}
            lookup = np.zeros(int(product.max(initial=0)) + 1, np.int64)
            for pk, category in categories.items():
                if pk < len(lookup):
                    lookup[pk] = index[category]
            item = lookup[product]
        else:
            names, item = int, product  # the miner renumbers the product ids itself
        progress(10)
        mined = frequent_itemsets(
            basket,
            item,
            min_support=run.min_support,
            max_len=run.max_len,
            min_count=run.min_baskets,
            progress=lambda p: progress(10 + p * 7 // 10),
        )
        rules = association_rules(mined.itemsets, min_confidence=run.min_confidence)
        with transaction.atomic():
            FrequentItemset.objects.bulk_create(
                (
                    FrequentItemset(
                        run=run,
                        items=[names(i) for i in s.items],
                        size=len(s.items),
                        count=s.count,
                        support=s.support,
                    )
                    for s in mined.itemsets
                ),
                batch_size=2000,
            )
            AssociationRule.objects.bulk_create(
                (_rule_row(run, rule, names) for rule in rules), batch_size=2000
            )
            run.status = MiningRun.Status.DONE
            run.progress = 100
            run.baskets = mined.baskets
            run.itemset_count = len(mined.itemsets)
            run.rule_count = len(rules)
            run.seconds = time.perf_counter() - started
            run.finished_at = timezone.now()
            run.save()
            # Keep the last few finished runs of the level for comparison, not every night's.
            older = MiningRun.objects.filter(
                level=run.level, status=MiningRun.Status.DONE, pk__lt=run.pk
            ).order_by("-pk")[KEEP_RUNS - 1 :]
            MiningRun.objects.filter(pk__in=[old.pk for old in older]).delete()
    except Exception as exc:  # recorded on the run for the page and the API
        FrequentItemset.objects.filter(run=run).delete()
        AssociationRule.objects.filter(run=run).delete()
        MiningRun.objects.filter(pk=run_id).update(
            status=MiningRun.Status.FAILED, error=repr(exc)[:2000], finished_at=timezone.now()
        )
        raise
    return run


def _number(raw: Any, default: float, field: str, low: float, high: float) -> float:
    try:
        value = float(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        value = math.nan
    if not (low < value <= high) or math.isnan(value):
        raise ValidationError(
            {
                field: [
                    _("Enter a number above %(low)s and at most %(high)s.")
                    % {"low": low, "high": high}
                ]
            }
        )
    return value


def mining_run_request(
    *,
    user: User | None,
    level: str = Level.PRODUCT,
    min_support: Any = None,
    min_confidence: Any = None,
    basket_mode: str = MiningRun.BasketMode.ORDER,
    window_days: Any = None,
    max_len: Any = None,
    queue: bool = True,
) -> MiningRun:
    """Queue a mining run (the worker does it; ``user`` None for the nightly schedule and the
    demo; ``queue=False`` leaves running it to the caller)."""
    if user is not None and not sees_all_customers(user):
        raise PermissionDenied(_("Only users who see every customer may mine the baskets."))
    errors: dict[str, list[str]] = {}
    if level not in Level.values:
        errors["level"] = [_("Choose product or category.")]
    if basket_mode not in MiningRun.BasketMode.values:
        errors["basket_mode"] = [_("Choose one order or a window of days.")]
    try:
        support = _number(min_support, default_min_support(), "min_support", 0, 1)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        support = 0
    try:
        confidence = _number(min_confidence, default_min_confidence(), "min_confidence", 0, 1)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        confidence = 0
    try:
        window = int(window_days) if window_days not in (None, "") else 30
        length = int(max_len) if max_len not in (None, "") else 3
    except (TypeError, ValueError):
        window, length = 0, 0
    if not 1 <= window <= MAX_WINDOW_DAYS:
        errors["window_days"] = [_("Enter whole days from 1 to %(n)s.") % {"n": MAX_WINDOW_DAYS}]
    if not 2 <= length <= MAX_ITEMSET:
        errors["max_len"] = [_("Enter a whole number from 2 to %(n)s.") % {"n": MAX_ITEMSET}]
    if errors:
        raise ValidationError(errors)
    run = MiningRun.objects.create(
        level=level,
        basket_mode=basket_mode,
        window_days=window,
        min_support=support,
        min_confidence=confidence,
        max_len=length,
        min_baskets=default_min_baskets(),
        requested_by=user,
    )
    if queue:
        from kehu.basket.tasks import mine

        transaction.on_commit(lambda: mine(run.pk))
    return run


def demo_mining_report(*, write: Any) -> None:
    """Mine the demo's orders at both levels at once, so the rules page is full after
    ``kehu demo``."""
    for level in Level.values:
        run = mining_run_request(user=None, level=level, queue=False)
        run = mining_run_execute(run_id=run.pk)
        write(f"Bought together ({level}): {run.rule_count:,} rules from {run.baskets:,} baskets")


def cross_sell_segment_create(*, user: User, rule: AssociationRule, name: str = "") -> Any:
    """Save "customers who bought X but never Y" from a product-level one-to-one rule as a
    private segment of ``user``; it lists only the customers the viewer may see."""
    from kehu.customers.segments import segment_save
    from kehu.customers.selectors import CustomerFilters
    from kehu.sales.models import Product

    if rule.run.level != Level.PRODUCT or rule.size != 2:
        raise ValidationError(
            {"rule": [_("Target lists are made from rules between two products.")]}
        )
    bought, never = rule.antecedent[0], rule.consequent[0]
    names = dict(Product.objects.filter(pk__in=[bought, never]).values_list("pk", "name"))
    name = name.strip() or _("Bought %(x)s, never %(y)s") % {
        "x": names.get(bought, bought),
        "y": names.get(never, never),
    }
    return segment_save(
        user=user,
        name=name[:100],
        filters=CustomerFilters(bought_product=bought, never_bought_product=never),
    )
