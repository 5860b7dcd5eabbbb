"""Benchmark the archive administrator's batch reads: a data-quality snapshot and exports.

    .venv/bin/python bench/quality.py --customers 100000
    .venv/bin/python bench/quality.py --customers 100000 --data-dir /tmp/kq  # keep, reuse
    .venv/bin/python bench/quality.py --customers 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench_quality

Builds a demo archive of N customers (``kehu demo``, no orders or service cases) in a data
directory of its own (a temporary one, deleted afterwards, unless ``--data-dir`` is given),
then in this process: takes a data-quality snapshot (``quality_snapshot_take``) and prints
seconds per metric; writes an export of every customer to CSV and to XLSX (``export_run``,
the background task's code path) with a typical set of columns, and prints seconds, rows per
second, file size and the process's peak RSS.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive_pages import machine

ROOT = Path(__file__).resolve().parent.parent
KEHU = str(ROOT / ".venv" / "bin" / "kehu")
EXPORT_COLUMNS = [
    "id",
    "name",
    "kind",
    "grade",
    "lifecycle_stage",
    "owner",
    "team",
    "phones",
    "emails",
    "tags",
    "address",
    "person.id_number",
    "person.birth_date",
    "organization.credit_code",
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(count: int, seed: int, env: dict[str, str]) -> None:
    subprocess.run([KEHU, "migrate", "-v0"], env=env, check=True)  # noqa: S603
    code = (
        "import django; django.setup(); "
        "from kehu.customers.models import Customer; print(Customer.objects.count())"
    )
    existing = int(
        subprocess.run(  # noqa: S603 (our own interpreter)
            [sys.executable, "-c", code],
            env={**env, "DJANGO_SETTINGS_MODULE": "kehu.config.settings"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    if existing == count:
        print(f"Reusing the archive of {count:,} customers.")
        return
    if existing:
        sys.exit(f"The archive has {existing:,} customers, not {count:,}: use another one.")
    started = time.monotonic()
    subprocess.run(  # noqa: S603
        [KEHU, "demo", "--customers", str(count), "--seed", str(seed)]
        + ["--order-lines", "0", "--service", "0"],
        env=env,
        check=True,
    )
    print(f"Demo archive of {count:,} customers loaded in {time.monotonic() - started:.1f} s.")


def bench_snapshot() -> None:
    from kehu.quality.services import quality_snapshot_take

    started = time.perf_counter()
    snapshot = quality_snapshot_take()
    wall = time.perf_counter() - started
    timings = snapshot.metrics["timings"]
    print(f"\nData-quality snapshot over {snapshot.metrics['total']:,} live customers")
    print(f"{'part':<28} {'seconds':>9}")
    for part, seconds in timings.items():
        if part != "total":
            print(f"{part:<28} {seconds:>9.2f}")
    print(f"{'total (measure_all)':<28} {timings['total']:>9.2f}")
    print(f"{'total with saving':<28} {wall:>9.2f}")
    print(f"peak RSS so far: {peak_rss_mb():.0f} MB")
    completeness = snapshot.metrics["completeness"]["share"]
    validity = snapshot.metrics["validity"]["share"]
    consistency = snapshot.metrics["consistency"]["share"]
    stale = snapshot.metrics["freshness"]["share_stale"]
    print(
        f"(complete {completeness}%, valid {validity}%, consistent {consistency}%, stale {stale}%)"
    )


def bench_exports(username: str) -> None:
    from django.conf import settings

    from kehu.accounts.models import User
    from kehu.exports.models import ExportJob
    from kehu.exports.services import export_run

    user = User.objects.get(username=username)
    print(f"\nExport of every customer as {username} ({user.role}), {len(EXPORT_COLUMNS)} columns")
    print(f"{'format':<8} {'rows':>9} {'seconds':>9} {'rows/s':>9} {'MB':>7} {'peak RSS MB':>12}")
    for fmt in ("csv", "xlsx"):
        job = ExportJob.objects.create(requester=user, columns=EXPORT_COLUMNS, format=fmt)
        started = time.perf_counter()
        job = export_run(job_id=job.pk)
        seconds = time.perf_counter() - started
        if job.status != ExportJob.Status.DONE:
            sys.exit(f"export failed: {job.error}")
        rows = job.row_count or 0
        size = (Path(settings.DATA_DIR) / job.file_path).stat().st_size / 1e6
        print(
            f"{fmt:<8} {rows:>9,} {seconds:>9.1f} {rows / seconds:>9,.0f} {size:>7.1f} "
            f"{peak_rss_mb():>12.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data-dir", help="Keep the archive here (default: a temporary one).")
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite.")
    parser.add_argument("--user", default="wangfang", help="The exporting demo user.")
    args = parser.parse_args()

    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="kehu-bench-quality-"))
    env = {**os.environ, "KEHU_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    print(machine())
    try:
        build(args.customers, args.seed, env)
        os.environ.update(env)
        if not args.database_url:
            os.environ.pop("DATABASE_URL", None)
        os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.config.settings"
        import django

        django.setup()
        bench_snapshot()
        bench_exports(args.user)
        print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
