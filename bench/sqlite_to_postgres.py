"""Copy a benchmark archive from SQLite into a new PostgreSQL database, to measure the same data
on both (issue 26: the list pages, the 360° page and the mixed load at 1,000,000 customers).

    .venv/bin/python bench/sqlite_to_postgres.py --data-dir /work/demo1m \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench_1m

Creates the database (it must not exist), migrates it with the data directory's keys (so the
encrypted fields and lookup hashes stay readable), then streams every table that has rows
with ``sqlite3 -csv | psql COPY`` (foreign keys unchecked while copying:
``session_replication_role = replica``), sets each sequence past its table's largest id and
runs ``ANALYZE``. Django's migration records come from the migration, not the copy. Prints
rows and seconds per table.

This is a benchmark tool: the copy is as trustworthy as the two schemas are equal, which they
are when both were migrated by the same checkout. For moving a real archive, use
``kehu backup`` / ``kehu restore``.
"""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
KEHU = ROOT / ".venv" / "bin" / "kehu"
PSQL = shutil.which("psql") or "psql"
SQLITE3 = shutil.which("sqlite3") or "sqlite3"
SKIPPED = {"django_migrations"}


def psql(url: str, sql: str) -> str:
    """Run SQL built here from the archive's own table and column names (a benchmark tool)."""
    command = [PSQL, url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    source = args.data_dir / "kehu.sqlite3"
    target = urlparse(args.database_url)
    name = target.path.lstrip("/")
    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    psql(admin_url, f'CREATE DATABASE "{name}"')
    env = {**os.environ, "KEHU_DATA_DIR": str(args.data_dir), "DATABASE_URL": args.database_url}
    subprocess.run([str(KEHU), "migrate", "-v0"], check=True, env=env)  # noqa: S603

    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    tables = psql(
        args.database_url,
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    ).split()
    print(f"{'table':<44} {'rows':>12} {'s':>7}")
    started = time.monotonic()
    serial: list[str] = []
    for table in tables:
        if table in SKIPPED:
            continue
        exists = lite.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        if not exists or not lite.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():  # noqa: S608
            continue
        lite_columns = {row[1] for row in lite.execute(f'PRAGMA table_info("{table}")')}
        pg_columns = psql(
            args.database_url,
            "SELECT column_name FROM information_schema.columns"  # noqa: S608
            f" WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position",
        ).split()
        columns = ", ".join(f'"{c}"' for c in pg_columns if c in lite_columns)
        one = time.monotonic()
        dump = subprocess.Popen(  # noqa: S603
            [SQLITE3, "-readonly", "-csv", "-cmd", ".nullvalue '\\N'", str(source)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if dump.stdin is None or dump.stdout is None:
            raise RuntimeError("sqlite3 has no pipes")
        load = subprocess.Popen(  # noqa: S603
            [
                PSQL,
                args.database_url,
                "-v",
                "ON_ERROR_STOP=1",
                "-qc",
                "SET session_replication_role = replica; SET timezone = 'UTC'; "  # noqa: S608
                f'DELETE FROM "{table}"; '
                f"COPY \"{table}\" ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            ],
            stdin=dump.stdout,
        )
        dump.stdin.write(f'SELECT {columns} FROM "{table}";\n')  # noqa: S608
        dump.stdin.close()
        dump.stdout.close()
        if load.wait() or dump.wait():
            sys.exit(f"copying {table} failed")
        if (
            "id" in pg_columns
            and psql(
                args.database_url, f"SELECT pg_get_serial_sequence('\"{table}\"', 'id')"
            ).strip()
        ):
            serial.append(table)
        rows = lite.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
        print(f"{table:<44} {rows:>12,} {time.monotonic() - one:>7.1f}", flush=True)
    for table in serial:
        psql(
            args.database_url,
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), max(id))"  # noqa: S608
            f' FROM "{table}"',
        )
    psql(args.database_url, "ANALYZE")
    print(f"{'all, with sequences and ANALYZE':<44} {'':>12} {time.monotonic() - started:>7.1f}")


if __name__ == "__main__":
    main()
