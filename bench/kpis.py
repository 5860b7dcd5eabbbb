"""Benchmark the key-account figures: the leader dashboard (all its KPIs, as the page and the
API compute them) for a leader, a team manager and a rep, and the risk computation over the
whole archive (every rule, set-based SQL), on a demo archive.

    .venv/bin/python bench/kpis.py --customers 20000
    .venv/bin/python bench/kpis.py --customers 100000 --database-url postgres://…/kehu_bench

Builds (or reuses) the archive with ``kehu demo --customers N`` (10 order lines a customer) in a
data directory of its own, then, in this process, times per user and period (p50/p95):

- "computed": ``kpis.dashboard``, the computation the background task runs and the first view
  of a scope waits for (the daily sales summary, both periods read together, the composition
  in one pass); ``max(3, --requests / 5)`` times;
- "raw" (``--raw``): every figure from the orders, payments and cases, one function per
  figure, as before the summary was used;
- "page": ``GET /oversight/`` ``--requests`` times with the figures kept (what a reader waits
  for, with the page's other parts: a rep's due reviews, risks and work);
- "stale": the same page with new data before each request (the kept figures, marked stale;
  their computation queued, not run);

and ``risk_compute()`` ``--runs`` times, with the seconds of each rule. The floors beside them:
one ``COUNT(*)`` of the customers, and ``GET /healthz``. Then the menu's reviews-due badge
(``reviews_due_badge_rows``, counted as the menu counts it) per user.
``--queries N``: the N slowest queries of a cold call per user and period, each run alone.
"""

import argparse
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEHU = str(ROOT / ".venv" / "bin" / "kehu")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive_pages import client_times, machine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--raw", action="store_true", help="also time the raw computation")
    parser.add_argument(
        "--queries", type=int, default=0, help="also list the N slowest queries of a cold call"
    )
    args = parser.parse_args()
    engine = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    data_dir = Path(
        args.data_dir or Path(tempfile.gettempdir()) / f"kehu-bench-kpis-{engine}-{args.customers}"
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["KEHU_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    env = dict(os.environ)
    subprocess.run([KEHU, "migrate", "-v0"], env=env, check=True)  # noqa: S603
    import django

    django.setup()
    from django.db import connection

    from kehu.accounts.models import User
    from kehu.customers.models import Customer
    from kehu.oversight import kpis
    from kehu.oversight.risk import risk_compute
    from kehu.sales.models import OrderLine

    if Customer.objects.count() != args.customers:
        if Customer.objects.exists():
            sys.exit(f"The archive in {data_dir} has another size: remove it first.")
        started = time.monotonic()
        subprocess.run(  # noqa: S603
            [KEHU, "demo", "--customers", str(args.customers), "--seed", str(args.seed)],
            env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        print(f"Demo archive built in {time.monotonic() - started:.0f} s")
    customers = Customer.objects.count()
    lines = OrderLine.objects.count()
    print(f"Machine: {machine()}")
    print(f"Database: {engine}; {customers:,} customers, {lines:,} order lines")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM customers_customer")
    floor = (time.perf_counter() - started) * 1000
    print(f"Floor: COUNT(*) of the customers {floor:.1f} ms")
    health = page_times("/healthz", User.objects.get(username="lijun"), args.requests)
    print(f"Floor: /healthz p50 {statistics.median(health):.1f} ms")

    print("\n| user | period | figures | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|---|")
    hows = ("computed", "raw", "page", "stale") if args.raw else ("computed", "page", "stale")
    users = ("lijun", "zhaoqiang", "liuyang")
    for username, period, how in [
        (u, p, h) for u in users for p in ("month", "quarter") for h in hows
    ]:
        user = User.objects.get(username=username)
        if how in ("page", "stale"):
            times = page_timings(user, period, args.requests, stale=how == "stale")
        else:
            compute = functools.partial(kpis.dashboard, precomputed=how == "computed")
            times = []
            for _i in range(max(3, args.requests // 5)):
                started = time.perf_counter()
                compute(user=user, filters=kpis.KpiFilters(period=period))
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
        print(
            f"| {username} | {period} | {how} | {statistics.median(times):.0f} | {p95:.0f} "
            f"| {times[-1]:.0f} |"
        )

    if args.queries:
        slowest_queries(users, args.queries)

    from kehu.core.counts import counts_in_one_query
    from kehu.oversight.selectors import reviews_due_badge_rows

    print("\n| reviews-due badge | count | p50 ms | max ms |\n|---|---|---|---|")
    for username in ("lijun", "zhaoqiang", "liuyang"):
        user = User.objects.get(username=username)
        times = []
        for _i in range(10):
            started = time.perf_counter()
            (count,) = counts_in_one_query([reviews_due_badge_rows(user)])
            times.append((time.perf_counter() - started) * 1000)
        print(f"| {username} | {count} | {statistics.median(times):.1f} | {max(times):.1f} |")

    print("\n| risk run | seconds | at risk | per rule (s) |\n|---|---|---|---|")
    for run in range(args.runs):
        result = risk_compute()
        rules = ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items())
        print(f"| {run + 1} | {result.seconds:.2f} | {result.at_risk:,} | {rules} |")


def page_times(path: str, user: object, requests: int, before=lambda: None) -> list[float]:
    """GET ``path`` as ``user`` once, then ``requests`` times, each after ``before()``: ms."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client_times(client, path, requests, before)


def page_timings(user: object, period: str, requests: int, stale: bool) -> list[float]:
    """The dashboard page with its figures kept (computed once before, by the first GET), or
    with new data before each request (``stale``: the kept figures shown, marked stale, and
    their computation queued, not run)."""
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from kehu.core.kept import queued_started
    from kehu.oversight import kpis
    from kehu.oversight.kpis.dashboard import _queued_key
    from kehu.oversight.models import KeptDashboard

    key = kpis.kept_key(user, kpis.KpiFilters(period=period))

    def new_data() -> None:  # as a new order does; the queued flag gone, so it queues
        KeptDashboard.objects.filter(key=key).update(version="")
        queued_started(_queued_key(key, timezone.localdate()))

    times = page_times(
        f"/oversight/?period={period}", user, requests, new_data if stale else lambda: None
    )
    HUEY.flush()  # the computations the stale requests queued
    return times


def _capture(captured, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
    captured.append((sql, params))
    return execute(sql, params, many, context)


def slowest_queries(usernames: tuple[str, ...], top: int) -> None:
    """Each query of one cold ``kpis.dashboard`` call, run again on its own (all rows fetched:
    a wrapper around ``execute`` alone misses what SQLite does while the rows are read), the
    median of 3 runs; the ``top`` slowest per user and period."""
    from django.db import connection

    from kehu.accounts.models import User
    from kehu.oversight import kpis

    for username in usernames:
        user = User.objects.get(username=username)
        for period in ("month", "quarter"):
            captured: list[tuple[str, object]] = []
            capture = functools.partial(_capture, captured)
            with connection.execute_wrapper(capture):
                kpis.dashboard(user=user, filters=kpis.KpiFilters(period=period))
            timed = []
            with connection.cursor() as cursor:
                for sql, params in captured:
                    times = []
                    for _i in range(3):
                        started = time.perf_counter()
                        cursor.execute(sql, params)
                        cursor.fetchall()
                        times.append((time.perf_counter() - started) * 1000)
                    timed.append((statistics.median(times), " ".join(sql.split())[:110]))
            timed.sort(reverse=True)
            print(f"\n{username}, {period}: {len(captured)} queries, the {top} slowest (ms)")
            for ms, sql in timed[:top]:
                print(f"  {ms:7.1f}  {sql}")


if __name__ == "__main__":
    main()
