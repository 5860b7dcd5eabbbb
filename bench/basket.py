"""Benchmark the market-basket analysis: mining speed and memory, recommendation quality and
latency.

    .venv/bin/python bench/basket.py                      # 100,000 baskets + the evaluation
    .venv/bin/python bench/basket.py --big                # also 1,000,000 orders / 10,000,000 lines
    .venv/bin/python bench/basket.py --data-dir DIR [--mine]  # an archive: recommendations p95
                                                          # (and first a mining run through it)

The baskets are generated here, in memory, with the demo's catalogue and purchase model
(kehu.demo.sales: popularity, a favourite category per customer, partner products following
40% of the time) — not loaded through the database: a 1M demo load takes 10+ minutes on the
shared machine. Each mining runs in a child process so its peak memory (ru_maxrss) is its own.
Timed: kehu.basket.mining (frequent itemsets up to 3 items, then the rules) at support 0.001,
confidence 0.05; peak memory is taken right after the mining; floor: one pass over the lines
(np.bincount of the products); for scale, one sort of the (basket, product) pairs (np.unique),
which the miner no longer does; reference: mlxtend's fpgrowth on the same baskets where it fits.

The evaluation holds out each customer's last order, mines the rest, and asks for 10 products
for the day of that order: hit rate (at least one bought) and recall@10 against the most
popular products and the customer's own most-bought products.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kehu.basket.mining import association_rules, frequent_itemsets  # noqa: E402
from kehu.basket.recommend import Pair, recommend  # noqa: E402
from kehu.demo.sales import MAX_LINES, PARTNER_RATE, PRODUCTS, catalogue_from  # noqa: E402

SUPPORT, CONFIDENCE = 0.001, 0.05


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    ram = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {ram:.1f} GiB RAM, Python {platform.python_version()}, "
        f"NumPy {np.__version__}; load average {load}"
    )


def baskets(n_orders: int, n_customers: int, extra_lines: float, seed: int = 7):
    """(order, customer, day, product index) per line, the demo's purchase model."""
    rows = [(i, code, category, price) for i, (code, _n, category, _u, price, _p)
            in enumerate(PRODUCTS)]  # fmt: skip
    cat = catalogue_from(rows, seed)
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.8, 1 / 0.8, n_customers)
    customer = np.sort(rng.choice(n_customers, size=n_orders, p=rate / rate.sum()))
    day = rng.integers(0, 3 * 365, n_orders)
    order = np.lexsort((day, customer))
    customer, day = customer[order], day[order]
    k = np.minimum(1 + rng.poisson(extra_lines, n_orders), max(MAX_LINES, int(extra_lines * 3)))
    line_order = np.repeat(np.arange(n_orders), k)
    position = np.arange(len(line_order)) - np.repeat(np.cumsum(k) - k, k)
    product = rng.choice(len(cat.ids), size=len(line_order), p=cat.popularity)
    favourite = rng.integers(0, cat.category.max() + 1, n_customers)
    first = np.flatnonzero(position == 0)
    fav = rng.random(len(first)) < 0.5
    for c in range(cat.category.max() + 1):
        members = np.flatnonzero(cat.category == c)
        chosen = first[fav & (favourite[customer[line_order[first]]] == c)]
        product[chosen] = rng.choice(members, size=len(chosen))
    for p in range(1, int(k.max())):
        at = np.flatnonzero(position == p)
        partner = cat.partner[product[at - 1]]
        follow = (partner >= 0) & (rng.random(len(at)) < PARTNER_RATE)
        product[at[follow]] = partner[follow]
    return line_order, customer[line_order], day[line_order], product


def mine_child(n_orders: int, extra_lines: float, reference: bool) -> dict:
    basket, _c, _d, product = baskets(n_orders, max(1, n_orders // 5), extra_lines)
    out: dict = {"orders": n_orders, "lines": len(basket)}
    started = time.perf_counter()
    mined = frequent_itemsets(basket, product, min_support=SUPPORT, max_len=3)
    rules = association_rules(mined.itemsets, min_confidence=CONFIDENCE)
    out["seconds"] = time.perf_counter() - started
    out["itemsets"], out["rules"] = len(mined.itemsets), len(rules)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    np.bincount(product)
    out["floor"] = time.perf_counter() - started
    started = time.perf_counter()
    np.unique(basket * 64 + product)
    out["sort"] = time.perf_counter() - started
    if reference:
        import pandas as pd
        from mlxtend.frequent_patterns import fpgrowth

        frame = pd.crosstab(basket, product).astype(bool)
        started = time.perf_counter()
        theirs = fpgrowth(frame, min_support=SUPPORT, max_len=3)
        out["mlxtend"] = time.perf_counter() - started
        out["same_count"] = len(theirs) == len(mined.itemsets)
    return out


def evaluate(n_orders: int, n_customers: int) -> list[tuple[str, float, float, float]]:
    order, customer, day, product = baskets(n_orders, n_customers, 0.6, seed=11)
    # the last order of each customer with at least two orders is held out
    last_order = np.full(n_customers, -1)
    np.maximum.at(last_order, customer, order)
    orders_of = np.bincount(customer[np.r_[True, order[1:] != order[:-1]]], minlength=n_customers)
    held = (order == last_order[customer]) & (orders_of[customer] >= 2)
    train = ~held
    mined = frequent_itemsets(order[train], product[train], min_support=SUPPORT, max_len=2)
    pairs: dict[int, list[Pair]] = {}
    for rule in association_rules(mined.itemsets, min_confidence=CONFIDENCE):
        if rule.lift <= 1:  # as the selector: only pairs bought together more than chance
            continue
        pairs.setdefault(rule.antecedent[0], []).append(
            Pair(rule.consequent[0], rule.confidence, rule.lift)
        )
    popularity = {s.items[0]: s.support for s in mined.itemsets if len(s.items) == 1}
    popular = sorted(popularity, key=lambda p: -popularity[p])[:10]
    # per customer: training lines and held-out products
    idx_train = np.flatnonzero(train)
    idx_held = np.flatnonzero(held)
    starts = np.searchsorted(customer[idx_train], np.arange(n_customers + 1))
    held_starts = np.searchsorted(customer[idx_held], np.arange(n_customers + 1))
    scores = {"recommender": [0, 0.0], "most popular": [0, 0.0], "own most-bought": [0, 0.0]}
    timings = []
    evaluated = 0
    for c in np.flatnonzero(orders_of >= 2).tolist():
        lines = idx_train[starts[c] : starts[c + 1]]
        target = set(product[idx_held[held_starts[c] : held_starts[c + 1]]].tolist())
        today = int(day[idx_held[held_starts[c]]])
        t = time.perf_counter()
        found = recommend(products=product[lines], days=day[lines], today=today, pairs=pairs,
                          popularity=popularity, excluded=set(), limit=10)  # fmt: skip
        timings.append(time.perf_counter() - t)
        own_products, own_counts = np.unique(product[lines], return_counts=True)
        own = own_products[np.argsort(-own_counts, kind="stable")][:10].tolist()
        for name, top in (
            ("recommender", [s.product for s in found]),
            ("most popular", popular),
            ("own most-bought", own),
        ):
            hit = len(target & set(top))
            scores[name][0] += hit > 0
            scores[name][1] += hit / len(target)
        evaluated += 1
    p95 = float(np.percentile(timings, 95) * 1000)
    return [(name, h / evaluated, r / evaluated, p95) for name, (h, r) in scores.items()], evaluated


def time_archive_mining() -> None:
    """One product-level mining run on the archive through the database, as the nightly job
    does it (reading the lines, mining, storing the itemsets and rules); peak memory of this
    process so far."""
    from kehu.basket.services import basket_lines, mining_run_execute, mining_run_request

    started = time.perf_counter()
    basket, _product = basket_lines(basket_mode="order", window_days=30)
    read = time.perf_counter() - started
    del basket, _product
    run = mining_run_request(user=None, min_support=SUPPORT, min_confidence=CONFIDENCE,
                             queue=False)  # fmt: skip
    started = time.perf_counter()
    run = mining_run_execute(run_id=run.pk)
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"mining run through the database: {run.baskets:,} baskets, {run.itemset_count:,} "
          f"itemsets, {run.rule_count:,} rules in {total:.1f} s (reading the lines alone "
          f"{read:.1f} s); peak {peak:.0f} MB")  # fmt: skip


def time_selector(data_dir: str, mine: bool = False) -> None:
    """p95 of ``customer_recommendations`` (the API's and the 360° card's work) for up to 500
    customers with orders of an existing archive (``kehu demo``), as an archive administrator;
    floor: the cheapest query, one customer by id."""
    os.environ["KEHU_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    import django

    django.setup()
    from kehu.accounts.models import Role, User
    from kehu.basket.selectors import customer_recommendations
    from kehu.customers.models import Customer
    from kehu.sales.models import Order

    if mine:
        time_archive_mining()
    user = User.objects.filter(role=Role.ARCHIVE_ADMIN).first()
    if user is None:
        raise SystemExit("no archive administrator in this archive")
    ids = list(Order.objects.values_list("customer_id", flat=True).distinct()[:500])
    timings, floor = [], []
    for pk in ids:
        t = time.perf_counter()
        customer_recommendations(user=user, customer_id=pk)
        timings.append(time.perf_counter() - t)
        t = time.perf_counter()
        Customer.objects.get(pk=pk)
        floor.append(time.perf_counter() - t)
    print(machine())
    print(f"customer_recommendations over {len(ids)} customers ({Order.objects.count():,} orders):"
          f" p50 {np.percentile(timings, 50) * 1000:.1f} ms, p95 "
          f"{np.percentile(timings, 95) * 1000:.1f} ms; floor (one customer by id) p95 "
          f"{np.percentile(floor, 95) * 1000:.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", action="store_true", help="also 1M orders / 10M lines")
    parser.add_argument("--child", nargs=3)
    parser.add_argument(
        "--data-dir", help="also time the recommendations selector on this existing archive"
    )
    parser.add_argument(
        "--mine", action="store_true", help="with --data-dir: first one mining run on it"
    )
    args = parser.parse_args()
    if args.data_dir:
        time_selector(args.data_dir, mine=args.mine)
        return
    if args.child:
        n, extra, ref = args.child
        print(json.dumps(mine_child(int(n), float(extra), ref == "1")))
        return
    print(machine())
    print(f"\nMining at support {SUPPORT}, confidence {CONFIDENCE}, itemsets up to 3 items")
    columns = ["orders", "lines", "itemsets", "rules", "mining s", "peak MB", "floor (one pass) s"]
    print("| " + " | ".join([*columns, "one sort s", "mlxtend fpgrowth s"]) + " |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    cases = [(100_000, 0.6, True)] + ([(1_000_000, 9.0, False)] if args.big else [])
    for n, extra, ref in cases:
        done = subprocess.run(  # noqa: S603 - this script, with numbers
            [sys.executable, __file__, "--child", str(n), str(extra), "1" if ref else "0"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(done.stdout)
        mlx = f"{r['mlxtend']:.2f} (same itemsets: {r['same_count']})" if "mlxtend" in r else "—"
        print(f"| {r['orders']:,} | {r['lines']:,} | {r['itemsets']:,} | {r['rules']:,} | "
              f"{r['seconds']:.2f} | {r['peak_mb']:.0f} | {r['floor']:.2f} | {r['sort']:.2f} | "
              f"{mlx} |")  # fmt: skip
    rows, evaluated = evaluate(200_000, 40_000)
    print(f"\nNext best products: last order held out, {evaluated:,} customers, top 10")
    print("| method | hit rate | recall@10 |")
    print("|---|---:|---:|")
    for name, hit, recall, _p95 in rows:
        print(f"| {name} | {hit:.3f} | {recall:.3f} |")
    print(f"\nrecommend() p95 per customer: {rows[0][3]:.2f} ms (in memory, without the database)")


if __name__ == "__main__":
    main()
