"""Benchmark the customer value analytics: the full refresh, the BG/NBD fit, the pages.

    .venv/bin/python bench/analytics.py --customers 100000
    .venv/bin/python bench/analytics.py --data-dir /tmp/ka --customers 100000  # keep, reuse
    .venv/bin/python bench/analytics.py --data-dir DIR --database-url postgres://…/DB  # built there
    .venv/bin/python bench/analytics.py --fit-only --fit-customers 1000000

Builds a demo archive of N customers with 10 order lines each (``kehu demo``; SQLite) in a data
directory of its own (temporary unless ``--data-dir``), then in this process:
- the full refresh (``analytics_refresh``: load, compute, store) with seconds per stage and the
  process's peak RSS, beside a floor measured in the same run: one scan of the order table
  summing its totals (``SELECT SUM(total_amount)``), the least any refresh must read;
- the BG/NBD fit on M synthetic customers drawn from the published CDNOW parameters (r 0.243,
  α 4.414, a 0.793, b 2.426; ages 1–78 weeks), with the parameters it recovers, beside one
  evaluation of the log-likelihood and its gradient as the floor;
- p95 of the analytics pages and API (archive administrator and a sales rep, the 360° page with
  the value card) over 30 requests each, beside ``/healthz`` as the floor.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive_pages import machine

ROOT = Path(__file__).resolve().parent.parent
KEHU = str(ROOT / ".venv" / "bin" / "kehu")
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(data_dir: Path, customers: int) -> float:
    env = {**os.environ, "KEHU_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    started = time.perf_counter()
    for args in (["migrate", "-v", "0"], ["demo", "--customers", str(customers)]):
        subprocess.run([KEHU, *args], env=env, check=True)  # noqa: S603 (our own command)
    return time.perf_counter() - started


def simulate(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T) in weeks of n customers from the BG/NBD process, vectorised over
    customers, rounded down to whole days."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(PUBLISHED["r"], 1 / PUBLISHED["alpha"], n)
    p = rng.beta(PUBLISHED["a"], PUBLISHED["b"], n)
    age = rng.uniform(1, 78, n)
    x, t_x, now = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.ones(n, bool)
    while active.any():
        idx = np.flatnonzero(active)
        gap = rng.exponential(1 / np.maximum(lam[idx], 1e-12))
        arrive = now[idx] + gap
        inside = arrive <= age[idx]
        bought = idx[inside]
        x[bought] += 1
        t_x[bought] = arrive[inside]
        now[bought] = arrive[inside]
        survive = rng.random(len(bought)) >= p[bought]
        active[:] = False
        active[bought[survive]] = True
    # whole days, as the refresh sees them (purchase days, ages in days)
    return x, np.floor(t_x * 7) / 7, np.floor(age * 7) / 7


def bench_fit(n: int) -> None:
    from kehu.analytics.btyd import _bgnbd_terms, bgnbd_fit

    x, t_x, age = simulate(n)
    started = time.perf_counter()
    _bgnbd_terms(np.log(list(PUBLISHED.values())), x, t_x, age)
    floor = time.perf_counter() - started
    started = time.perf_counter()
    model = bgnbd_fit(x, t_x, age)
    fit = time.perf_counter() - started
    distinct = len(np.unique(np.column_stack([x, t_x, age]), axis=0))
    print(f"\nBG/NBD fit on {n:,} synthetic customers ({distinct:,} distinct rows)")
    print("| what | seconds |\n|---|---:|")
    print(f"| fit (L-BFGS-B, analytic gradient) | {fit:.2f} |")
    print(f"| floor: one log-likelihood + gradient over all customers | {floor:.2f} |")
    print(
        f"recovered r {model.r:.3f} α {model.alpha:.3f} a {model.a:.3f} b {model.b:.3f} "
        f"(drawn from {PUBLISHED})"
    )


def timed(call, count: int = 30) -> float:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        status = call().status_code
        samples.append(time.perf_counter() - started)
        if status != 200:
            raise SystemExit(f"answered {status}")
    return float(np.percentile(samples, 95) * 1000)


def bench_archive(data_dir: Path, database_url: str = "") -> None:
    os.environ["KEHU_DATA_DIR"] = str(data_dir)
    if database_url:  # an archive built there beforehand (e.g. by `kehu demo`)
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from kehu.accounts.models import User
    from kehu.analytics.models import AnalyticsRun, CustomerValue, KeptScope
    from kehu.analytics.selectors import scope_figures_keep
    from kehu.analytics.services import analytics_run_create, analytics_run_execute
    from kehu.sales.models import Order

    before = peak_mib()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT SUM(total_amount), COUNT(*) FROM {Order._meta.db_table}")  # noqa: S608
        _total, orders = cursor.fetchone()
    floor = time.perf_counter() - started
    started = time.perf_counter()
    run = analytics_run_execute(run_id=analytics_run_create().pk)
    refresh = time.perf_counter() - started
    if run.status != AnalyticsRun.Status.DONE:
        raise SystemExit(f"refresh failed: {run.error}")
    print(f"\nFull refresh ({connection.vendor}): {run.customers:,} customers with purchases, "
          f"{orders:,} orders, {run.purchase_days:,} purchase days")  # fmt: skip
    print("| what | seconds |\n|---|---:|")
    for stage, seconds in run.timings.items():
        print(f"| {stage} | {seconds:.2f} |")
    print(f"| **total** | **{refresh:.2f}** |")
    print(f"| floor: SELECT SUM(total_amount) over the orders | {floor:.2f} |")
    print(f"peak RSS {peak_mib():,.0f} MiB (Django loaded: {before:,.0f} MiB)")

    client = Client(HTTP_HOST="127.0.0.1")
    archivist = User.objects.get(username="wangfang")
    rep = User.objects.get(username="liuyang")
    customer = CustomerValue.objects.filter(customer__owner=rep).order_by("revenue_rank").first()
    rows = []
    client.force_login(archivist)
    rows.append(("/healthz (floor)", timed(lambda: client.get("/healthz"))))
    for label, url in [
        ("overview, archive administrator", "/analytics/"),
        ("drill-down: important value", "/analytics/customers/?segment=important_value"),
        ("drill-down: churn risk", "/analytics/customers/?churn_risk=1"),
        ("API summary, archive administrator", "/api/v1/analytics/summary"),
    ]:
        rows.append((label, timed(lambda url=url: client.get(url))))
    client.force_login(rep)
    # The rep's overview: the first view reads the rep's scope and keeps its figures (timed
    # once, and the computation alone three times); the 30 timed after it read the kept ones.
    KeptScope.objects.filter(user=rep).delete()
    started = time.perf_counter()
    client.get("/analytics/")
    rows.append(
        (
            "overview, sales rep: first view (reads the scope, keeps)",
            (time.perf_counter() - started) * 1000,
        )
    )
    keep = []
    for _ in range(3):
        started = time.perf_counter()
        scope_figures_keep(user=rep, run=run)
        keep.append(time.perf_counter() - started)
    rows.append(
        (
            "  the rep's figures computed in the background, median of 3",
            float(np.median(keep)) * 1000,
        )
    )
    for label, url in [
        ("overview, sales rep (own scope, kept figures)", "/analytics/"),
        ("360° page with the value card, rep", f"/customers/{customer.customer_id}/"),
        ("API customer value, rep", f"/api/v1/analytics/customers/{customer.customer_id}"),
    ]:
        rows.append((label, timed(lambda url=url: client.get(url))))
    print("\nPages (30 requests each, in-process test client)")
    print("| page | p95 ms |\n|---|---:|")
    for label, p95 in rows:
        print(f"| {label} | {p95:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--fit-customers", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--fit-only", action="store_true")
    parser.add_argument(
        "--database-url",
        default="",
        help="time the archive already in this PostgreSQL database (with --data-dir for its keys)",
    )
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    bench_fit(args.fit_customers)
    if args.fit_only:
        return
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="kehu-bench-analytics-"))
    try:
        if not args.database_url and not (data_dir / "kehu.sqlite3").exists():
            seconds = build(data_dir, args.customers)
            print(f"\nBuilt the demo archive ({args.customers:,} customers) in {seconds:.0f} s")
        bench_archive(data_dir, args.database_url)
    finally:
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
