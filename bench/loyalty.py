"""Benchmark the loyalty programme: points recomputed from order lines, and the member card.

    .venv/bin/python bench/loyalty.py --customers 20000 --lines 200000 --synthetic 10000000
    .venv/bin/python bench/loyalty.py --data-dir /tmp/kl   # reuse an archive built before
    # at scale: a small demo archive cloned by raw SQL to 1,000,000 members, 10,000,000 lines
    nice -n 10 .venv/bin/python bench/loyalty.py --customers 2000 --lines 20000 \
        --scale-members 1000000 --scale-lines 10000000 --data-dir /tmp/kl-1m

With ``--scale-members``/``--scale-lines`` the demo archive is then multiplied by bulk raw SQL
(``INSERT … SELECT`` in SQLite, never through the services): its members' customers, members,
level history, orders, payments and ledger rows are copied with shifted ids (unique text
columns get a ``-k`` suffix) until there are that many members, and the members' order lines
are copied into the first copies' orders until there are that many lines. Every copy is a
real member with the demo's history, so the member card's queries find what they would.

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
import json
import os
import random
import sqlite3
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


# table -> (rows to copy, {column: the table whose id stride shifts it}, unique text columns,
# columns set to NULL)
CLONE = {
    "customers_customer": (
        "id IN (SELECT customer_id FROM loyalty_member WHERE id < {loyalty_member})",
        {"id": "customers_customer", "merged_into_id": "customers_customer"},
        (),
        (),
    ),
    "loyalty_member": (
        "1",
        {"id": "loyalty_member", "customer_id": "customers_customer"},
        ("card_number",),
        (),
    ),
    "loyalty_levelchange": (
        "1",
        {"id": "loyalty_levelchange", "member_id": "loyalty_member"},
        (),
        (),
    ),
    "sales_order": (
        "customer_id IN (SELECT customer_id FROM loyalty_member WHERE id < {loyalty_member})",
        {"id": "sales_order", "customer_id": "customers_customer"},
        ("number",),
        ("opportunity_id", "import_batch_id"),
    ),
    "sales_payment": (
        "customer_id IN (SELECT customer_id FROM loyalty_member WHERE id < {loyalty_member})",
        {
            "id": "sales_payment",
            "customer_id": "customers_customer",
            "order_id": "sales_order",
            "corrected_by_id": "sales_payment",
        },
        (),
        (),
    ),
    "loyalty_pointsentry": (
        "1",
        {
            "id": "loyalty_pointsentry",
            "customer_id": "customers_customer",
            "member_id": "loyalty_member",
            "order_id": "sales_order",
            "payment_id": "sales_payment",
            "reverses_id": "loyalty_pointsentry",
        },
        (),
        (),
    ),
}
LINES = (
    "id IN (SELECT id FROM temp.base_lines)",
    {"id": "sales_orderline", "order_id": "sales_order"},
    (),
    (),
)


def _select(
    db: sqlite3.Connection, table: str, spec: tuple, strides: dict, k: int, kf: int | None = None
) -> str:
    """``INSERT … SELECT`` of copy ``k`` of ``table``'s base rows; foreign keys of copy ``kf``
    (default ``k``)."""
    where, shifted, unique, nulled = spec
    columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
    exprs = []
    for column in columns:
        if column in shifted:
            copy = k if shifted[column] == table else (k if kf is None else kf)
            exprs.append(f"{column} + {copy * strides[shifted[column]]}")
        elif column in unique:
            exprs.append(f"{column} || '-{k}'")
        elif column in nulled:
            exprs.append("NULL")
        else:
            exprs.append(column)
    names = ", ".join(columns)
    return (
        f"INSERT INTO {table} ({names}) SELECT {', '.join(exprs)} FROM {table} "  # noqa: S608
        f"WHERE id < {strides[table]} AND {where.format(**strides)}"
    )


def scale_up(path: Path, members: int, lines: int, seconds: float) -> dict[str, float]:
    """Copy the demo archive's members (with their customers, orders, payments and history)
    until there are ``members`` members or ``seconds`` have passed, then the members' order
    lines until there are ``lines`` lines, copy k's lines into copy k mod n's orders (n the
    copies made: several line copies share an order when there are fewer order copies);
    raw SQL in SQLite, one transaction per copy."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -2000000",
                   "temp_store = MEMORY", "foreign_keys = OFF"):  # fmt: skip
        db.execute(f"PRAGMA {pragma}")
    # ids of copy k: k × stride + the base's id (kept, so that an interrupted run continues)
    saved = path.parent / "scale.json"
    if saved.exists():
        strides = json.loads(saved.read_text())
    else:
        strides = {}
        for table in [*CLONE, "sales_orderline"]:
            top = db.execute(f"SELECT MAX(id) FROM {table}").fetchone()[0] or 0  # noqa: S608
            strides[table] = 10 ** len(str(top))
        saved.write_text(json.dumps(strides))
    base = strides["loyalty_member"]
    count = f"SELECT COUNT(*) FROM loyalty_member WHERE id < {base}"  # noqa: S608
    base_members = db.execute(count).fetchone()[0]
    db.execute(
        "CREATE TEMP TABLE base_lines AS SELECT id FROM sales_orderline "  # noqa: S608
        f"WHERE id < {strides['sales_orderline']} AND order_id IN (SELECT id FROM sales_order "
        f"WHERE id < {strides['sales_order']} AND customer_id IN "
        f"(SELECT customer_id FROM loyalty_member WHERE id < {base}))"
    )
    base_lines = db.execute("SELECT COUNT(*) FROM temp.base_lines").fetchone()[0]
    # continue after the last whole copy (one transaction each)
    copies = db.execute("SELECT MAX(id) FROM loyalty_member").fetchone()[0] // base + 1
    top_line = db.execute("SELECT MAX(id) FROM sales_orderline").fetchone()[0]
    k = top_line // strides["sales_orderline"] + 1
    have_lines = db.execute("SELECT COUNT(*) FROM sales_orderline").fetchone()[0]
    wanted = -(-members // base_members)
    started = time.perf_counter()
    while copies < wanted and time.perf_counter() - started < seconds:
        db.execute("BEGIN")
        for table, spec in CLONE.items():
            db.execute(_select(db, table, spec, strides, copies))
        db.execute("COMMIT")
        copies += 1
        if copies % 50 == 0:
            print(f"  member copy {copies}: {time.perf_counter() - started:.0f} s", flush=True)
    timings = {"members": time.perf_counter() - started, "copies": copies}
    started = time.perf_counter()
    while have_lines < lines:
        db.execute("BEGIN")
        db.execute(_select(db, "sales_orderline", LINES, strides, k, k % copies))
        db.execute("COMMIT")
        have_lines += base_lines
        k += 1
        if k % 100 == 0:
            print(f"  line copy {k}: {time.perf_counter() - started:.0f} s", flush=True)
    timings["lines"] = time.perf_counter() - started
    started = time.perf_counter()
    db.execute("ANALYZE")
    timings["analyze"] = time.perf_counter() - started
    db.close()
    return timings


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--synthetic", type=int, default=10_000_000)
    parser.add_argument("--cards", type=int, default=300)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--scale-members", type=int, default=0)
    parser.add_argument("--scale-lines", type=int, default=0)
    parser.add_argument(
        "--scale-seconds", type=float, default=1e9, help="stop copying members after this"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cards-only", action="store_true", help="only the member card")
    parser.add_argument("--floor", action="store_true", help="also time the plain read")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="kehu-loyalty-"))
    built = None
    if not (data_dir / "kehu.sqlite3").exists():
        built = build(data_dir, args.customers, args.lines)
    if args.scale_members and not (data_dir / "scaled").exists():
        timings = scale_up(
            data_dir / "kehu.sqlite3", args.scale_members, args.scale_lines, args.scale_seconds
        )
        (data_dir / "scaled").write_text(f"{args.scale_members} {args.scale_lines}\n")
        print(
            f"scaled up by raw SQL: {timings['copies']:.0f} member copies in "
            f"{timings['members']:.0f} s, lines in {timings['lines']:.0f} s, "
            f"ANALYZE {timings['analyze']:.0f} s"
        )
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

    if not args.cards_only:
        floor = None
        if args.floor:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT o.customer_id, l.product_id, CAST(l.amount AS REAL) "
                    "FROM sales_orderline l JOIN sales_order o ON o.id = l.order_id "
                    "WHERE o.status <> 'cancelled'"
                )
                while cursor.fetchmany(recompute.CHUNK):
                    pass
            floor = time.perf_counter() - started
        runs = []
        for workers in sorted({1, args.workers}):
            started = time.perf_counter()
            ids, points, read = recompute.points_for_lines(workers=workers)
            runs.append((workers, time.perf_counter() - started, read, ids, points))
        same = all(
            np.array_equal(r[3], runs[0][3]) and np.array_equal(r[4], runs[0][4]) for r in runs
        )
        rng = np.random.default_rng(7)
        n = args.synthetic
        customer = rng.integers(0, 1_000_000, n)
        product = rng.integers(1, 200, n)
        amount = np.round(rng.gamma(2.0, 150.0, n), 2)
        factor = np.ones(200)
        factor[::7] = 1.5
        started = time.perf_counter()
        from decimal import Decimal

        s_ids, _s_points = recompute.points_for_arrays(
            customer, product, amount, factor, Decimal(1)
        )
        synthetic = time.perf_counter() - started

        print()
        print("| points recompute | lines | seconds | lines/s |")
        print("|---|---|---|---|")
        for workers, seconds, read, _ids, _points in runs:
            what = "1 process" if workers == 1 else f"{workers} forked processes, key ranges"
            print(
                f"| from the database, {what} | {read:,} | {seconds:.2f} | {read / seconds:,.0f} |"
            )
        if floor is not None:
            read = runs[0][2]
            print(
                f"| floor: reading the same rows | {read:,} | {floor:.2f} | {read / floor:,.0f} |"
            )
        print(f"| in memory (NumPy, synthetic) | {n:,} | {synthetic:.2f} | {n / synthetic:,.0f} |")
        print(f"customers with lines: {len(ids):,} (synthetic {len(s_ids):,}); runs agree: {same}")

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
