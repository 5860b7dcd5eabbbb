"""Time the 360° page in-process and count its queries, as the administrator and a team manager.

    KEHU_DATA_DIR=/tmp/kehu-bench-sqlite-5000 .venv/bin/python bench/detail_page.py --requests 150
    KEHU_DATA_DIR=… DATABASE_URL=postgres://… /other/checkout/.venv/bin/python bench/detail_page.py

Opens random live customers the user sees (Django's test client, one process) and prints, per
user, the queries per page (median, min–max) and the CPU time (``time.process_time``: Python,
and SQLite's work, which runs in the process; not PostgreSQL's) and wall time per page, p50 and
p95. The code measured is the one the interpreter imports, so the same script run with another
checkout's virtual environment measures that checkout on the same archive (issue 26).
"""

import argparse
import os
import random
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from kehu.accounts.models import User  # noqa: E402
from kehu.customers.selectors import customers_visible_to  # noqa: E402

USERS = {"wangfang": "archive admin", "zhaoqiang": "team manager"}  # the demo's accounts


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=150, help="pages per user")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"{connection.vendor}; {args.requests} pages per user; ms")
    print("| user | queries median (min–max) | CPU p50 | CPU p95 | wall p50 | wall p95 |")
    print("|---|---:|---:|---:|---:|---:|")
    for username, role in USERS.items():
        user = User.objects.get(username=username)
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        ids = list(
            customers_visible_to(user).live().order_by("pk").values_list("pk", flat=True)[:2000]
        )
        for pk in ids[:10]:  # warm: templates, translations, regions
            client.get(f"/customers/{pk}/")
        cpu, wall, queries = [], [], []
        for _ in range(args.requests):
            path = f"/customers/{rng.choice(ids)}/"
            started_cpu, started = time.process_time(), time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured.captured_queries))
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
        print(
            f"| {role} | {statistics.median(queries):.0f} ({min(queries)}–{max(queries)}) | "
            f"{percentile(cpu, 50):.1f} | {percentile(cpu, 95):.1f} | "
            f"{percentile(wall, 50):.1f} | {percentile(wall, 95):.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
