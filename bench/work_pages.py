"""Benchmark the working day over HTTP: the home page of each role, my work, the calendar and
the tasks API, beside the cheapest endpoint (/healthz) as the floor.

    .venv/bin/python bench/work_pages.py --customers 100000

Builds (or reuses) the demo archive of N customers the same way as ``bench/archive_pages.py``
(``kehu demo``, which also loads the recent contacts, follow-ups and tasks), starts the real
server and times requests one at a time. Prints p50/p95/p99 per kind. The target (issue 17):
home pages p95 under 150 ms.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive_pages import (
    KEHU,
    ROOT,
    Session,
    build_archive,
    free_port,
    kehu_env,
    machine,
    print_results,
    run_kind,
    start_server,
)

# kind → (user, paths)
HOMES = {
    "healthz (floor)": ("lijun", ["/healthz"]),
    "home manager": ("zhaoqiang", ["/"]),
    "home rep": ("liuyang", ["/"]),
    "home agent": ("sunli", ["/"]),
    "home archivist": ("wangfang", ["/"]),
    "home marketer": ("zhoumin", ["/"]),
    "home leader": ("lijun", ["/"]),
    "my work": ("liuyang", ["/work/"]),
    "calendar week": ("liuyang", ["/work/calendar/"]),
    "calendar month": ("liuyang", ["/work/calendar/?view=month"]),
    "tasks API": ("liuyang", ["/api/v1/tasks/?status=open"]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=200, help="per kind")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--database-url", default="", help="PostgreSQL; default SQLite")
    parser.add_argument("--data-dir", default="", help="default: a directory per N and database")
    parser.add_argument("--rebuild", action="store_true", help="delete the data dir first")
    args = parser.parse_args()

    engine = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    data_dir = Path(
        args.data_dir or Path(tempfile.gettempdir()) / f"kehu-work-bench-{engine}-{args.customers}"
    )
    if args.rebuild and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = kehu_env(data_dir, args.database_url or None)
    print(f"Machine: {machine()}")
    print(f"Database: {engine}; data directory {data_dir}")
    load_seconds = build_archive(args.customers, args.seed, env)
    if load_seconds is not None:
        print(f"Loaded {args.customers:,} customers in {load_seconds:.1f} s")
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():
        subprocess.run([KEHU, "collectstatic", "--noinput", "-v0"], env=env, check=True)  # noqa: S603
    server = start_server(env, (port := free_port()), args.workers)
    rng = random.Random(args.seed)
    sessions: dict[str, Session] = {}
    results = []
    try:
        for kind, (username, paths) in HOMES.items():
            if username not in sessions:
                sessions[username] = Session(port)
                sessions[username].login(username)
            pick: Callable[[], str] = lambda paths=paths: rng.choice(paths)  # noqa: E731
            result = run_kind(sessions[username], kind, pick, args.requests, 1)
            results.append(result)
            print(result.row(), flush=True)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    print()
    print(f"{args.customers:,} customers, {engine}, c=1; times in ms")
    print_results(results)


if __name__ == "__main__":
    main()
