"""Benchmark the customer import: a generated CSV (valid Chinese names, mobiles and ID numbers
from the demo generators; every 50th row has a bad phone, every 100th repeats an earlier row),
checked (dry run) and imported into a fresh archive, beside a raw SQLite bulk insert of the same
rows into a plain table (the yardstick).

    .venv/bin/python bench/import.py --rows 100000
    .venv/bin/python bench/import.py --rows 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_import \
        .venv/bin/python bench/import.py --rows 100000

Each run uses a temporary data directory (deleted afterwards). With DATABASE_URL set to a
PostgreSQL database, that database is created for the run and dropped after it.
Peak RSS is ``resource.getrusage`` of this process (matching and writing) or of the second
process that reads and validates large files, whichever is larger.
"""

import argparse
import csv
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    """The larger peak of this process (matching, writing) and of its finished children (the
    second process that reads and validates a large file)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the reading process)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def yardstick(csv_path: Path, directory: Path) -> float:
    """Read the CSV and executemany its rows into a plain SQLite table, one transaction."""
    started = time.monotonic()
    connection = sqlite3.connect(directory / "yardstick.sqlite3")
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        columns = ", ".join(f"c{i} TEXT" for i in range(len(header)))
        connection.execute(f"CREATE TABLE plain (id INTEGER PRIMARY KEY, {columns})")
        marks = ", ".join("?" * len(header))
        names = ", ".join(f"c{i}" for i in range(len(header)))
        connection.executemany(f"INSERT INTO plain ({names}) VALUES ({marks})", reader)  # noqa: S608
    connection.commit()
    connection.close()
    return time.monotonic() - started


def postgres_database(url: str, create: bool) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create:
            connection.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="kehu-bench-import-"))
    os.environ["KEHU_DATA_DIR"] = str(directory)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith("postgres")
    if postgres:
        postgres_database(url, create=True)
    try:
        run(args, directory, "PostgreSQL" if postgres else "SQLite")
    finally:
        from django.db import connections

        connections.close_all()
        if postgres:
            postgres_database(url, create=False)
        shutil.rmtree(directory, ignore_errors=True)


def run(args: argparse.Namespace, directory: Path, database: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from kehu.accounts.models import Role, User
    from kehu.demo.import_files import write_sample_csv
    from kehu.imports import services

    call_command("migrate", verbosity=0)
    admin = User.objects.create_user(username="bench-archivist", role=Role.ARCHIVE_ADMIN)
    csv_path = directory / "customers.csv"
    started = time.monotonic()
    write_sample_csv(csv_path, args.rows, seed=args.seed)
    generated = time.monotonic() - started
    size = csv_path.stat().st_size / 1e6
    print(f"Generated {args.rows:,} rows ({size:.0f} MB) in {generated:.1f} s")

    with csv_path.open("rb") as handle:
        batch = services.import_upload(user=admin, upload=handle, name=csv_path.name)
    started, cpu = time.monotonic(), cpu_seconds()
    batch = services.import_dry_run(batch_id=batch.pk)
    dry, dry_cpu = time.monotonic() - started, cpu_seconds() - cpu
    rss_dry = peak_rss_mb()
    started, cpu = time.monotonic(), cpu_seconds()
    batch = services.import_run(batch_id=batch.pk)
    imported, import_cpu = time.monotonic() - started, cpu_seconds() - cpu
    rss = peak_rss_mb()
    if batch.status != "done":
        sys.exit(f"import failed: {batch.error}")
    raw = yardstick(csv_path, directory)

    load = os.getloadavg()
    print()
    print(f"Import of {args.rows:,} rows into {database} (2 shared cores, load {load[0]:.1f})")
    print(f"  valid {batch.valid_rows:,}, invalid {batch.invalid_rows:,}; "
          f"created {batch.created_count:,}, skipped {batch.skipped_count:,}")  # fmt: skip
    print()
    print(
        "| rows | dry run s (CPU s) | import s (CPU s) | import rows/s | peak RSS MB "
        "| raw SQLite insert s |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.rows:,} | {dry:.1f} ({dry_cpu:.1f}) | {imported:.1f} ({import_cpu:.1f}) "
        f"| {args.rows / imported:,.0f} | {max(rss, rss_dry):.0f} | {raw:.1f} |"
    )


if __name__ == "__main__":
    main()
