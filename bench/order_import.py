"""Benchmark the order-history import (issue 18: 1,000,000 order lines under 2 minutes, SQLite).

    .venv/bin/python bench/order_import.py --data-dir DIR --lines 100000

DIR holds a demo archive (e.g. the one ``bench/analytics.py --data-dir DIR`` built). Writes a
CSV of N order lines (about 1.6 lines an order, customers named by Kehu's customer number or
by phone, products by code, a tenth of them by a name the catalogue lacks), then times the dry
run and the import in this process (``import_dry_run``, ``import_run``), beside a floor: the
same number of order and line rows inserted raw into scratch tables in one transaction. The
imported orders are undone afterwards (also timed), so the archive is left as it was.
"""

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive_pages import machine


def write_file(path: Path, lines: int, seed: int = 18) -> None:
    from django.db import connection

    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id, p.number FROM customers_customer c LEFT JOIN customers_phone p "
            "ON p.customer_id = c.id AND p.contact_id IS NULL WHERE c.status = 'active' "
            "LIMIT 200000"
        )
        customers = cursor.fetchall()
        cursor.execute("SELECT code, list_price FROM sales_product")
        products = cursor.fetchall()
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["订单号", "客户编号", "手机", "下单日期", "商品编码", "商品名称", "数量", "单价"]
        )
        written = order = 0
        while written < lines:
            order += 1
            customer, phone = rng.choice(customers)
            by_phone = phone is not None and rng.random() < 0.3
            day = f"20{rng.randint(19, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            for _line in range(min(lines - written, rng.choice([1, 1, 2, 2, 3]))):
                code, price = rng.choice(products)
                name = ""
                if rng.random() < 0.1:
                    code, name = "", f"历史商品{rng.randint(1, 300)}"
                out.writerow([
                    f"HIS{order:08d}", "" if by_phone else customer,
                    phone[3:] if by_phone else "", day, code, name, rng.randint(1, 5), price,
                ])  # fmt: skip
                written += 1


def floor(lines: int) -> float:
    from django.db import connection, transaction

    orders = int(lines / 1.6)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_o (id INTEGER PRIMARY KEY, n TEXT, c INT, d TEXT)")
        cursor.execute("CREATE TEMP TABLE bench_l (id INTEGER PRIMARY KEY, o INT, p INT, q TEXT)")
        cursor.executemany(
            "INSERT INTO bench_o VALUES (?, ?, ?, ?)",
            [(i, f"N{i}", i, "2024-01-01") for i in range(orders)],
        )
        cursor.executemany(
            "INSERT INTO bench_l VALUES (?, ?, ?, ?)",
            [(i, i // 2, 1, "1.000") for i in range(lines)],
        )
        cursor.execute("DROP TABLE bench_o")
        cursor.execute("DROP TABLE bench_l")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    os.environ["KEHU_DATA_DIR"] = str(args.data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    import django

    django.setup()
    from kehu.accounts.models import User
    from kehu.imports import services

    print(f"Machine: {machine()}")
    user = User.objects.get(username="wangfang")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "orders.csv"
        write_file(path, args.lines)
        rows: list[tuple[str, float, float]] = []

        def timed(label: str, call):  # type: ignore[no-untyped-def]
            wall, cpu = time.perf_counter(), time.process_time()
            result = call()
            rows.append((label, time.perf_counter() - wall, time.process_time() - cpu))
            return result

        with path.open("rb") as handle:
            batch = timed(
                "upload (store, hash, header)",
                lambda: services.import_upload(
                    user=user, upload=handle, name="orders.csv", kind="orders"
                ),
            )
        batch = timed("dry run (two passes)", lambda: services.import_dry_run(batch_id=batch.pk))
        batch = timed(
            "import (two passes, writing)", lambda: services.import_run(batch_id=batch.pk)
        )
        if batch.status != "done":
            raise SystemExit(f"import failed: {batch.error}")
        timed("undo", lambda: services.import_undo(user=user, batch=batch))
        timed(f"floor: raw INSERT of {args.lines:,} lines + orders", lambda: floor(args.lines))
    print(
        f"\n{args.lines:,} order lines: {batch.created_count:,} imported, "
        f"{batch.skipped_count:,} skipped, {batch.invalid_rows:,} invalid"
    )
    print("| step | wall s | CPU s |\n|---|---:|---:|")
    for label, wall, cpu in rows:
        print(f"| {label} | {wall:.1f} | {cpu:.1f} |")
    rate = args.lines / (rows[1][1] + rows[2][1])
    print(f"dry run + import: {rate:,.0f} lines/s; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
