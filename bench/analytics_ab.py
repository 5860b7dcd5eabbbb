"""The analytics refresh's load and store stages, the code of another commit against this
one, alternating in one process on the same archive (a shared machine's load shifts by the
minute; alternating keeps the comparison fair). Wall and CPU seconds.

    git archive d43fb7d | tar -x -C /tmp/old
    .venv/bin/python bench/analytics_ab.py --data-dir DIR --old /tmp/old --rounds 2
"""

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive_pages import machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--old", type=Path, required=True, help="a checkout of the old code")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ["KEHU_DATA_DIR"] = str(args.data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    import django

    django.setup()
    from django.utils import timezone

    from kehu.analytics import config
    from kehu.analytics import services as new
    from kehu.analytics.engine import compute

    spec = importlib.util.spec_from_file_location(
        "old_services", args.old / "kehu" / "analytics" / "services.py"
    )
    if spec is None or spec.loader is None:
        raise SystemExit(f"no analytics services in {args.old}")
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    print(f"Machine: {machine()}")
    today = timezone.localdate()
    rows = []
    for _round in range(args.rounds):
        for label, module in (("old", old), ("new", new)):
            wall, cpu = time.perf_counter(), time.process_time()
            purchases = module.purchases_load()
            load = (time.perf_counter() - wall, time.process_time() - cpu)
            result = compute(purchases, today=today, config=config.engine_config())
            wall, cpu = time.perf_counter(), time.process_time()
            module.values_store(result=result, today=today)
            store = (time.perf_counter() - wall, time.process_time() - cpu)
            rows.append((label, len(purchases.day), *load, *store))
    print("| code | purchase days | load wall s | load CPU s | store wall s | store CPU s |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, days, lw, lc, sw, sc in rows:
        print(f"| {label} | {days:,} | {lw:.2f} | {lc:.2f} | {sw:.2f} | {sc:.2f} |")


if __name__ == "__main__":
    main()
