"""Every write of the analytics app: refresh runs (asked for, nightly, executed), storing the
figures, and accepting suggested grades into the archive.

The refresh reads every live customer's orders (cancelled ones excluded) as purchase days
aggregated by the database, computes on arrays (``kehu.analytics.engine``) and replaces the
stored figures in one transaction, so pages never see half a refresh.
"""

import logging
import math
import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.analytics import config
from kehu.analytics.engine import SEGMENTS, TIERS, Purchases, Result, compute
from kehu.analytics.models import (
    AnalyticsRun,
    CustomerValue,
    KeptScope,
    SuggestedGrade,
    ValueSnapshot,
)
from kehu.analytics.selectors import (
    REFRESH_REFUSED,
    run_latest_done,
    scope_figures_keep,
    scope_figures_queue,
)
from kehu.core.access import require_archive_admin
from kehu.core.bulk import insert_rows, sqlite_cache, table_refilled
from kehu.core.progress import stage_progress
from kehu.customers.models import Channel, Customer
from kehu.customers.selectors import customers_changeable_by
from kehu.customers.services import customer_update
from kehu.sales.models import Order

logger = logging.getLogger(__name__)

Progress = Callable[[str, int], None]
FETCH = 200_000
STORE_CHUNK = 20_000
ANALYTICS_CHANNEL = "analytics"
MAX_ACCEPT = 500  # suggested grades accepted in one request
RUN_STALE_AFTER = timedelta(hours=6)  # a run queued or running this long lost its worker


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


def purchases_load(*, progress: Progress | None = None) -> Purchases:
    """Every live customer's purchase days (orders not cancelled, summed per day), sorted."""
    if connection.vendor == "postgresql":
        day = "(o.ordered_on - DATE '1970-01-01')"
        amount = "SUM(o.total_amount)::float8"
    else:
        day = "CAST(julianday(o.ordered_on) - 2440587.5 AS INTEGER)"
        amount = "SUM(CAST(o.total_amount AS REAL))"
    live_values = [status.value for status in Customer.LIVE_STATUSES]
    live = ", ".join(["%s"] * len(live_values))
    sql = f"""
        SELECT o.customer_id, {day}, {amount}, COUNT(*)
        FROM {_table(Order)} o JOIN {_table(Customer)} c ON c.id = o.customer_id
        WHERE o.status <> %s AND c.status IN ({live})
        GROUP BY o.customer_id, o.ordered_on"""  # noqa: S608 (table names from the models)
    parts: list[np.ndarray[Any, Any]] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [Order.Status.CANCELLED.value, *live_values])
        while rows := cursor.fetchmany(FETCH):
            parts.append(np.array(rows, dtype=np.float64))
            if progress is not None:
                progress("load", min(39, 5 + len(parts)))
    if not parts:
        return Purchases.empty()
    data = np.concatenate(parts)
    order = np.lexsort((data[:, 1], data[:, 0]))
    data = data[order]
    return Purchases(
        customer=data[:, 0].astype(np.int64),
        day=data[:, 1].astype(np.int64),
        amount=np.round(data[:, 2], 2),
        orders=data[:, 3].astype(np.int64),
    )


def _dates(days: np.ndarray[Any, Any]) -> list[str | None]:
    """Day numbers as ISO dates (NaN as None), without a Python date per row."""
    finite = np.isfinite(days)
    text = np.datetime_as_string(np.where(finite, days, 0).astype("datetime64[D]"))
    return [t if ok else None for t, ok in zip(text.tolist(), finite.tolist(), strict=True)]


def _money(values: np.ndarray[Any, Any]) -> list[float | None]:
    rounded = np.round(values.astype(np.float64), 2)
    return [None if math.isnan(v) else v for v in rounded.tolist()]


def _floats(values: np.ndarray[Any, Any], digits: int = 6) -> list[float | None]:
    rounded = np.round(values.astype(np.float64), digits)
    return [None if math.isnan(v) else v for v in rounded.tolist()]


def value_rows(result: Result, *, today: date, computed_at: Any) -> tuple[list[str], list[Any]]:
    """The ``CustomerValue`` columns and their values as lists, in the table's column order."""
    c = result.columns
    now = (today - date(1970, 1, 1)).days
    tier = np.array(TIERS)[c["tier"]]
    suggested = np.where(
        c["tier"] == 0, SuggestedGrade.IMPORTANT.value, SuggestedGrade.GENERAL.value
    )
    values: dict[str, list[Any]] = {
        "customer_id": c["customer_id"].tolist(),
        "first_purchase_on": _dates(c["first_purchase"].astype(float)),
        "last_purchase_on": _dates(c["last_purchase"].astype(float)),
        "purchase_days": c["purchase_days"].tolist(),
        "orders": c["orders"].tolist(),
        "revenue": _money(c["revenue"]),
        "average_order_value": _money(c["average_order_value"]),
        "mean_interval_days": _floats(c["mean_interval_days"], 2),
        "recency_days": c["recency_days"].tolist(),
        "r_score": c["r_score"].tolist(),
        "f_score": c["f_score"].tolist(),
        "m_score": c["m_score"].tolist(),
        "segment": np.array(SEGMENTS)[c["segment"]].tolist(),
        "revenue_rank": c["revenue_rank"].tolist(),
        "cumulative_share": _floats(c["cumulative_share"]),
        "tier": tier.tolist(),
        "suggested_grade": suggested.tolist(),
        "p_alive": _floats(c["p_alive"]),
        "expected_30": _floats(c["expected_30"], 4),
        "expected_90": _floats(c["expected_90"], 4),
        "expected_365": _floats(c["expected_365"], 4),
        "next_purchase_on": _dates(np.round(now + c["next_purchase_in"])),
        "expected_order_value": _money(c["expected_order_value"]),
        "clv_12": _money(c["clv_12"]),
        "clv_36": _money(c["clv_36"]),
        "churn_risk": c["churn_risk"].tolist(),
        "spend_90": _money(c["spend_90"]),
        "spend_prev_90": _money(c["spend_prev_90"]),
        "change_90": _floats(c["change_90"], 2),
        "spend_365": _money(c["spend_365"]),
        "spend_prev_365": _money(c["spend_prev_365"]),
        "change_365": _floats(c["change_365"], 2),
    }
    n = len(values["customer_id"])
    values["computed_at"] = [computed_at] * n
    return list(values), list(values.values())


@transaction.atomic
def values_store(*, result: Result, today: date, progress: Progress | None = None) -> int:
    """Replace every customer's stored figures with ``result`` and this month's snapshot."""
    computed_at = timezone.now()
    names, columns = value_rows(result, today=today, computed_at=computed_at)
    n = len(columns[0]) if columns else 0
    with sqlite_cache(), connection.cursor() as cursor, table_refilled(CustomerValue) as values:
        for start in range(0, n, STORE_CHUNK):
            chunk = (column[start : start + STORE_CHUNK] for column in columns)
            rows = list(zip(*chunk, strict=True))
            insert_rows(cursor, values, names, rows)
            if progress is not None:
                progress("store", 60 + round(30 * (start + len(rows)) / n))
        month = today.replace(day=1)
        snapshot = _table(ValueSnapshot)
        cursor.execute(f"DELETE FROM {snapshot} WHERE month = %s", [month])  # noqa: S608
        cursor.execute(
            f"""INSERT INTO {snapshot} (month, customer_id, tier, segment, revenue, p_alive, clv_12)
                SELECT %s, customer_id, tier, segment, revenue, p_alive, clv_12
                FROM {connection.ops.quote_name(values)}""",  # noqa: S608
            [month],
        )
    if connection.vendor == "sqlite":
        # Statistics of the rebuilt table (SQLite's went with the dropped indexes): without
        # them SQLite plans the drill-down lists by scanning every customer and sorting,
        # instead of walking e.g. the (churn_risk, revenue_rank) index to the first page.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {_table(CustomerValue)}")
    return n


def analytics_refresh(
    *, today: date | None = None, progress: Progress | None = None
) -> tuple[Result, dict[str, float]]:
    """Load, compute and store every customer's figures; returns the result and the seconds
    each stage took. Minutes on a large archive: call it from the task queue."""
    today = today or timezone.localdate()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    purchases = purchases_load(progress=progress)
    timings["load"] = time.perf_counter() - started
    if progress is not None:
        progress("compute", 40)
    started = time.perf_counter()
    result = compute(purchases, today=today, config=config.engine_config())
    timings["compute"] = time.perf_counter() - started
    if progress is not None:
        progress("store", 60)
    started = time.perf_counter()
    values_store(result=result, today=today, progress=progress)
    timings["store"] = time.perf_counter() - started
    result.summary["purchase_days"] = len(purchases.day)
    return result, timings


# --- runs -----------------------------------------------------------------------------------


def _busy() -> AnalyticsRun | None:
    return (
        AnalyticsRun.objects.filter(
            status__in=[AnalyticsRun.Status.QUEUED, AnalyticsRun.Status.RUNNING],
            created_at__gt=timezone.now() - RUN_STALE_AFTER,
        )
        .order_by("-id")
        .first()
    )


@transaction.atomic
def analytics_run_request(*, user: User) -> AnalyticsRun:
    """Queue a refresh ("refresh now"); answers the one already queued or running, if any."""
    require_archive_admin(user, REFRESH_REFUSED)
    busy = _busy()
    if busy is not None:
        return busy
    run = AnalyticsRun.objects.create(requested_by=user, as_of=timezone.localdate())
    from kehu.analytics.tasks import run_analytics_refresh

    transaction.on_commit(lambda: run_analytics_refresh(run.pk))
    return run


def analytics_run_create() -> AnalyticsRun:
    """A run for the command line, the demo load and the nightly job (no user)."""
    return AnalyticsRun.objects.create(as_of=timezone.localdate())


def analytics_refresh_report(*, write: Callable[[str], Any]) -> AnalyticsRun:
    """Refresh now and say what it found (the demo load and ``kehu analytics refresh``)."""
    started = time.perf_counter()
    run = analytics_run_execute(run_id=analytics_run_create().pk)
    summary = run.summary
    write(
        f"Customer value: {run.customers:,} customers with purchases in "
        f"{time.perf_counter() - started:.1f} s; repeat rate {summary.get('repeat_rate')}%, "
        f"top 20% bring {summary.get('top20_share')}% of revenue, "
        f"{summary.get('churn_risk', 0):,} at churn risk."
    )
    return run


def analytics_run_nightly() -> AnalyticsRun | None:
    """The nightly refresh; none while another is queued or running."""
    with transaction.atomic():
        if _busy() is not None:
            return None
        run = analytics_run_create()
    return analytics_run_execute(run_id=run.pk)


def analytics_run_execute(*, run_id: int, progress: Progress | None = None) -> AnalyticsRun:
    """Run a queued refresh; a run that started already is left alone."""
    claimed = AnalyticsRun.objects.filter(pk=run_id, status=AnalyticsRun.Status.QUEUED).update(
        status=AnalyticsRun.Status.RUNNING, started_at=timezone.now(), stage="load", progress=1
    )
    run = AnalyticsRun.objects.get(pk=run_id)
    if not claimed:
        return run
    report = stage_progress(AnalyticsRun, run_id, progress)

    try:
        result, timings = analytics_refresh(today=run.as_of, progress=report)
    except Exception as exc:
        logger.exception("analytics refresh %s failed", run_id)
        run.status, run.error = AnalyticsRun.Status.FAILED, str(exc)[:300]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at", "updated_at"])
        raise
    run.status, run.stage, run.progress = AnalyticsRun.Status.DONE, "", 100
    run.customers = int(result.summary.get("customers", 0))
    run.purchase_days = int(result.summary.get("purchase_days", 0))
    run.summary = _jsonable(result.summary)
    run.timings = {stage: round(seconds, 2) for stage, seconds in timings.items()}
    run.finished_at = timezone.now()
    run.save()
    # The kept overviews of who looked before, from this refresh, in the background.
    for user_id in KeptScope.objects.values_list("user_id", flat=True):
        scope_figures_queue(user_id)
    return run


def scope_figures_keep_for(user_id: int) -> None:
    """Keep an active viewer's overview figures from the latest refresh (the background task)."""
    user, run = User.objects.filter(pk=user_id, is_active=True).first(), run_latest_done()
    if user is not None and run is not None:
        scope_figures_keep(user=user, run=run)


def _jsonable(value: Any) -> Any:
    """The summary with NumPy scalars as plain numbers and NaN as null."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --- suggested grades -------------------------------------------------------------------------


def analytics_channel() -> Channel | None:
    return Channel.objects.filter(code=ANALYTICS_CHANNEL).first()


def suggested_grades_accept(*, user: User, customer_ids: Iterable[int]) -> int:
    """Set the suggested grade (重要/一般) on these customers, each through the archive's update
    service with the channel "analytics", so its history says where the grade came from.
    Customers the user may not change, without a suggestion, graded 特殊 (special, a human
    decision) or already agreeing are skipped; returns how many changed."""
    ids = list(dict.fromkeys(int(pk) for pk in customer_ids))
    if len(ids) > MAX_ACCEPT:
        from django.core.exceptions import ValidationError

        raise ValidationError(
            {"customer_ids": [_("At most %(n)s customers at a time.") % {"n": MAX_ACCEPT}]}
        )
    channel = analytics_channel()
    rows = (
        customers_changeable_by(user)
        .filter(pk__in=ids, value__isnull=False)
        .exclude(grade=Customer.Grade.SPECIAL)
        .values_list("pk", "grade", "value__suggested_grade")
    )
    changed = 0
    for pk, grade, suggested in rows:
        if grade == suggested:
            continue
        customer = Customer.objects.get(pk=pk)
        customer_update(
            user=user,
            customer=customer,
            data={"grade": suggested},
            channel=channel,
            note=_("Suggested by value analytics"),
        )
        changed += 1
    return changed
