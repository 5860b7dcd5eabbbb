"""Benchmark the loyalty programme: points recomputed from order lines, and the member card.

    .venv/bin/python bench/loyalty.py --customers 20000 --lines 200000 --synthetic 10000000
    .venv/bin/python bench/loyalty.py --data-dir /tmp/kl   # reuse an archive built before

Builds a demo archive (``kehu demo``: customers, order lines, the demo programme with its
members and ledger; SQLite) in a data directory of its own, then in this process:
- points recomputed from every order line in the database (``recompute.points_for_lines``:
  read, multiply, round down, sum per customer), beside the floor of reading the same rows;
- the same computation on N synthetic lines already in memory (NumPy), to show what the
  arithmetic costs at 10,000,000 lines apart from reading them;
- p50/p95 of the member card (``selectors.member_card``, what the 360° page and
  ``/api/v1/loyalty/customers/{id}/card`` compute) over random members, beside one primary-key
  read of a member as the floor.
"""

import argparse
import os
import random
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


def build(data_dir: Path, customers: int, lines: int) -> float:
    env = {**os.environ, "KEHU_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    started = time.perf_counter()
    for args in (
        ["migrate", "-v", "0"],
        ["demo", "--customers", str(customers), "--order-lines", str(lines), "--service", "0"],
    ):
        subprocess.run([KEHU, *args], env=env, check=True)  # noqa: S603 (our own command)
    return time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--synthetic", type=int, default=10_000_000)
    parser.add_argument("--cards", type=int, default=300)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="kehu-loyalty-"))
    built = None
    if not (data_dir / "kehu.sqlite3").exists():
        built = build(data_dir, args.customers, args.lines)
    os.environ["KEHU_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from kehu.customers.models import Customer
    from kehu.loyalty import recompute, selectors
    from kehu.loyalty.models import Member, PointsEntry
    from kehu.sales.models import OrderLine

    print(machine())
    if built is not None:
        print(f"archive built in {built:.1f} s: {args.customers:,} customers, {args.lines:,} lines")
    lines = OrderLine.objects.count()
    members = Member.objects.count()
    print(
        f"order lines {lines:,}; members {members:,}; ledger rows {PointsEntry.objects.count():,}"
    )

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.customer_id, l.product_id, l.amount FROM sales_orderline l "
            "JOIN sales_order o ON o.id = l.order_id WHERE o.status <> 'cancelled'"
        )
        while cursor.fetchmany(recompute.CHUNK):
            pass
    floor = time.perf_counter() - started
    started = time.perf_counter()
    ids, points, read = recompute.points_for_lines()
    full = time.perf_counter() - started
    rng = np.random.default_rng(7)
    n = args.synthetic
    customer = rng.integers(0, 1_000_000, n)
    product = rng.integers(1, 200, n)
    amount = np.round(rng.gamma(2.0, 150.0, n), 2)
    factor = np.ones(200)
    factor[::7] = 1.5
    started = time.perf_counter()
    from decimal import Decimal

    s_ids, _s_points = recompute.points_for_arrays(customer, product, amount, factor, Decimal(1))
    synthetic = time.perf_counter() - started

    print()
    print("| points recompute | lines | seconds | lines/s |")
    print("|---|---|---|---|")
    print(f"| from the database (read + compute) | {read:,} | {full:.2f} | {read / full:,.0f} |")
    per_s = read / max(floor, 1e-9)
    print(f"| floor: reading the same rows | {read:,} | {floor:.2f} | {per_s:,.0f} |")
    print(f"| in memory (NumPy, synthetic) | {n:,} | {synthetic:.2f} | {n / synthetic:,.0f} |")
    print(f"customers with points: {len(ids):,} (synthetic {len(s_ids):,})")

    pool = list(Member.objects.values_list("customer_id", flat=True))
    random.Random(3).shuffle(pool)
    sample = pool[: args.cards]
    today = timezone.localdate()
    card_times, floor_times = [], []
    for customer_id in sample:
        c = Customer.objects.get(pk=customer_id)
        started = time.perf_counter()
        selectors.member_card(customer=c, today=today)
        card_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        Member.objects.get(customer_id=customer_id)
        floor_times.append(time.perf_counter() - started)
    print()
    print("| member card | n | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    print(
        f"| member_card | {len(sample)} | {pct(card_times, 50):.1f} | {pct(card_times, 95):.1f} |"
    )
    p50, p95 = pct(floor_times, 50), pct(floor_times, 95)
    print(f"| floor: one member by key | {len(sample)} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
