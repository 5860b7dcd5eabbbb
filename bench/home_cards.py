"""Find the slow cards of the home pages: time each card of each role's home in-process, with
its query count and its slowest query (and that query's plan with ``--explain``).

    .venv/bin/python bench/home_cards.py --customers 1000000 [--repeat 20] [--explain]

Uses (or builds) the same demo archive as ``bench/work_pages.py`` (``kehu demo``, directory
per N and database). No server: each card's selector is called directly, as the home view does,
so the figures are the cards' own cost (SQL and Python), without HTTP, templates or sign-in.
``bench/work_pages.py`` measures the whole page over HTTP.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive_pages import build_archive, kehu_env, machine

USERS = {
    "manager": "zhaoqiang",
    "rep": "liuyang",
    "agent": "sunli",
    "archivist": "wangfang",
    "marketer": "zhoumin",
    "leader": "lijun",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=20, help="calls per card")
    parser.add_argument("--database-url", default="", help="PostgreSQL; default SQLite")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--explain", action="store_true", help="print each slowest query's plan")
    args = parser.parse_args()

    engine = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    data_dir = Path(
        args.data_dir or Path(tempfile.gettempdir()) / f"kehu-work-bench-{engine}-{args.customers}"
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    env = kehu_env(data_dir, args.database_url or None)
    print(f"Machine: {machine()}")
    print(f"Database: {engine}; data directory {data_dir}")
    build_archive(args.customers, args.seed, env)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.config.settings"

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.core.home import CARD_FUNCTIONS, CARDS, home_role

    today = timezone.localdate()
    print()
    print(f"{args.customers:,} customers, {engine}; {args.repeat} calls per card; times in ms")
    print()
    print("| role | card | queries | p50 | p95 | max | slowest query ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    plans: list[tuple[str, str]] = []
    for label, username in USERS.items():
        user = User.objects.get(username=username)
        role = home_role(user)
        for name in CARDS[role]:
            card = CARD_FUNCTIONS[name]
            card(user, today)  # warm: the first call pays for imports and the page cache
            times = []
            with CaptureQueriesContext(connection) as queries:
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    card(user, today)
                    times.append((time.perf_counter() - started) * 1000)
            per_call = len(queries.captured_queries) // args.repeat
            slowest = max(queries.captured_queries, key=lambda q: float(q["time"]), default=None)
            slow_ms = float(slowest["time"]) * 1000 if slowest else 0.0
            times.sort()
            p95 = times[max(0, round(len(times) * 0.95) - 1)]
            print(
                f"| {label} ({role}) | {name} | {per_call} | {statistics.median(times):.1f} "
                f"| {p95:.1f} | {times[-1]:.1f} | {slow_ms:.1f} |",
                flush=True,
            )
            if args.explain and slowest is not None and slow_ms > 20:
                plans.append((f"{label}/{name}", slowest["sql"]))
    for where, sql in plans:
        print()
        print(f"{where}: {sql[:600]}")
        with connection.cursor() as cursor:
            prefix = "EXPLAIN QUERY PLAN " if engine == "sqlite" else "EXPLAIN "
            try:
                cursor.execute(prefix + sql)
            except Exception as exc:  # a plan is a hint; say why it failed
                print(f"  (no plan: {exc})")
                continue
            for row in cursor.fetchall():
                print("  ", row)


if __name__ == "__main__":
    main()
