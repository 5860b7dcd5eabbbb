"""Benchmark the sales-performance report itself, in process: the same periods read from the raw
orders, payments and opportunities ("rows", the report before the daily summary) and from the
daily summary table ("summary", what every user gets now), for an archive admin (everyone's work)
and a sales rep who manages a team (their own and the team's work).

    .venv/bin/python bench/sales_report.py --data-dir DIR [--database-url URL] [--runs 30]

Run it against an archive built by ``kehu demo`` (e.g. the one ``bench/sales_pages.py`` keeps).
Periods cycle through this month, the last 90 days and the last 365 days, per rep and per team;
each source answers the same sequence. Prints a table of p50/p95/max in milliseconds.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive_pages import ADMIN_USER, REP_USER, machine


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    os.environ["KEHU_DATA_DIR"] = args.data_dir
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    import django

    django.setup()
    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.sales.models import Order, SalesDaily
    from kehu.sales.selectors import sales_performance

    admin = User.objects.get(username=ADMIN_USER)
    rep = User.objects.get(username=REP_USER)
    today = timezone.localdate()
    rng = random.Random(args.seed)
    starts = [today.replace(day=1), today - timedelta(days=90), today - timedelta(days=365)]
    periods = [(rng.choice(starts), rng.choice(["rep", "team"])) for _ in range(args.runs)]
    print(f"Machine: {machine()}")
    print(
        f"Orders: {Order.objects.count():,}; summary rows: {SalesDaily.objects.count():,}; "
        f"{args.runs} reports per source"
    )
    print()
    print("| source | user | n | p50 ms | p95 ms | max ms |")
    print("|---|---|---:|---:|---:|---:|")
    for source, user in (("rows", admin), ("summary", admin), ("rows", rep), ("summary", rep)):
        times = []
        for start, group_by in periods:
            began = time.perf_counter()
            sales_performance(user=user, start=start, end=today, group_by=group_by, source=source)
            times.append((time.perf_counter() - began) * 1000)
        print(
            f"| {source} | {user.username} | {len(times)} | {statistics.median(times):.1f} "
            f"| {percentile(times, 0.95):.1f} | {max(times):.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
