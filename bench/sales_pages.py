"""Benchmark sales over HTTP: the 360° page (now with the sales cards) and the sales-performance
report, page and API, over a demo archive with orders.

    .venv/bin/python bench/sales_pages.py --customers 100000 --order-lines 1000000
    .venv/bin/python bench/sales_pages.py --customers 1000000 --order-lines 10000000

Builds (or reuses) the archive with ``kehu demo --customers N --order-lines M`` in a data
directory of its own, starts ``kehu serve --no-worker --workers 2`` and times requests one at a
time and 4 in parallel, as ``bench/archive_pages.py`` does (its helpers are reused). Report
periods cycle through this month, the last 90 days and the last 365 days, per rep and per team.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive_pages import (
    ADMIN_USER,
    KEHU,
    REP_USER,
    ROOT,
    Session,
    customer_count,
    customer_ids,
    free_port,
    kehu_env,
    machine,
    print_results,
    run_kind,
    start_server,
)


def build(count: int, lines: int, seed: int, env: dict[str, str]) -> float | None:
    subprocess.run([KEHU, "migrate", "-v0"], env=env, check=True)  # noqa: S603
    existing = customer_count(env)
    if existing == count:
        print(f"Reusing the archive of {count:,} customers.")
        return None
    if existing:
        sys.exit(f"The archive has {existing:,} customers, not {count:,}: use --rebuild.")
    started = time.monotonic()
    subprocess.run(  # noqa: S603
        [KEHU, "demo", "--customers", str(count), "--seed", str(seed),
         "--order-lines", str(lines)],
        env=env,
        check=True,
    )  # fmt: skip
    return time.monotonic() - started


def report_paths(rng: random.Random, api: bool) -> str:
    today = date.today()  # noqa: DTZ011 (the server's day is close enough for a benchmark)
    start = rng.choice(
        [today.replace(day=1), today - timedelta(days=90), today - timedelta(days=365)]
    )
    group = rng.choice(["rep", "team"])
    query = f"?start={start.isoformat()}&end={today.isoformat()}&group_by={group}&currency=CNY"
    return ("/api/v1/reports/sales-performance" if api else "/sales/performance/") + query


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--order-lines", type=int, default=0, help="default 10 per customer")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", default="1,4")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    lines = args.order_lines or 10 * args.customers
    engine = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    data_dir = Path(
        args.data_dir or Path(tempfile.gettempdir()) / f"kehu-bench-sales-{engine}-{args.customers}"
    )
    if args.rebuild and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = kehu_env(data_dir, args.database_url or None)
    print(f"Machine: {machine()}")
    print(f"Database: {engine}; data directory {data_dir}")
    seconds = build(args.customers, lines, args.seed, env)
    if seconds is not None:
        print(f"Loaded {args.customers:,} customers and ~{lines:,} order lines in {seconds:.1f} s")
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():
        subprocess.run([KEHU, "collectstatic", "--noinput", "-v0"], env=env, check=True)  # noqa: S603
    port = free_port()
    server = start_server(env, port, args.workers)
    try:
        admin, rep = Session(port), Session(port)
        admin.login(ADMIN_USER)
        rep.login(REP_USER)
        rng = random.Random(args.seed)
        ids = customer_ids(admin, 5000, rng)
        kinds = {
            "360° page": (admin, lambda: f"/customers/{rng.choice(ids)}/"),
            "receivables API": (admin, lambda: f"/api/v1/customers/{rng.choice(ids)}/receivables"),
            "perf page": (admin, lambda: report_paths(rng, api=False)),
            "perf API": (admin, lambda: report_paths(rng, api=True)),
            "perf API (rep)": (rep, lambda: report_paths(rng, api=True)),
        }
        results = []
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            for kind, (session, paths) in kinds.items():
                result = run_kind(session, kind, paths, args.requests, concurrency)
                results.append(result)
                print(result.row(), flush=True)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    print()
    print(f"{args.customers:,} customers, ~{lines:,} order lines, {engine}; times in ms")
    print_results(results)


if __name__ == "__main__":
    main()
