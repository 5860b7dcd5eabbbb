"""Benchmark privacy rights on a demo archive of N customers: one person's copy, one erasure, and
the consent question every sender asks (``customers_consenting``) with a share of the archive
having consented.

    .venv/bin/python bench/privacy.py --customers 100000 --erasures 5

Builds a fresh demo archive (``kehu demo``) in a temporary data directory (SQLite unless
``--database-url``), records a marketing-e-mail grant for every third customer, then times:
making a copy (zip of HTML and JSON, encrypted) for R customers; erasing R customers (every
table and file the erasure reaches, including the audit trail's scan for the person's values);
counting and listing the consenting customers. Prints a table. No target in issue 24; the
erasure's cost grows with the audit trail and the stored import/export files it reads.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
KEHU = Path(sys.executable).parent / "kehu"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--erasures", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    os.environ.setdefault("KEHU_DATA_DIR", tempfile.mkdtemp(prefix="kehu-privacy-bench-"))
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    subprocess.run([KEHU, "setup", "--no-static"], check=True, capture_output=True)  # noqa: S603
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (our own kehu script, fixed arguments)
        [KEHU, "demo", "--customers", str(args.customers), "--seed", str(args.seed)],
        check=True,
        capture_output=True,
    )
    load = time.perf_counter() - started
    import django

    django.setup()
    run(args, load)


def timed(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000


def run(args: argparse.Namespace, load: float) -> None:
    from django.db import connection
    from django.utils import timezone

    from kehu.accounts.models import Role, User
    from kehu.core.models import AuditEvent
    from kehu.customers.models import Customer, CustomerChange
    from kehu.privacy import services
    from kehu.privacy.models import ConsentRecord, RequestKind, Verification
    from kehu.privacy.selectors import customers_consenting

    archivist = User.objects.filter(role=Role.ARCHIVE_ADMIN).first() or User.objects.create(
        username="bench-archivist", role=Role.ARCHIVE_ADMIN
    )
    ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    now = timezone.now()
    ConsentRecord.objects.bulk_create(
        (
            ConsentRecord(
                customer_id=i,
                purpose="marketing_email",
                granted=True,
                at=now,
                method="import",
                reference="bench",
            )
            for i in ids[::3]
        ),
        batch_size=5000,
    )
    people = ids[len(ids) // 2 : len(ids) // 2 + args.erasures]
    copies, erasures = [], []
    for customer_id in people:
        customer = Customer.objects.get(pk=customer_id)
        copy = services.privacy_request_create(
            user=archivist,
            customer=customer,
            kind=RequestKind.COPY,
            verification=Verification.IN_PERSON,
        )
        copies.append(timed(lambda c=copy: services.privacy_copy_make(user=archivist, dsr=c)))
        deletion = services.privacy_request_create(
            user=archivist,
            customer=customer,
            kind=RequestKind.DELETION,
            verification=Verification.IN_PERSON,
        )
        erasures.append(timed(lambda d=deletion: services.privacy_erase(user=archivist, dsr=d)))
    count_ms = [timed(lambda: customers_consenting("marketing_email").count()) for _ in range(5)]
    page_ms = [
        timed(lambda: list(customers_consenting("marketing_email").order_by("-id")[:50]))
        for _ in range(5)
    ]
    print(
        f"Kehu privacy benchmark — {connection.vendor}, {len(ids):,} customers "
        f"({CustomerChange.objects.count():,} history rows, {AuditEvent.objects.count():,} "
        f"audit events), demo load {load:.0f} s; machine: {os.cpu_count()} cores, shared"
    )
    print(f"{'operation':<44}{'median ms':>12}{'max ms':>12}")
    for label, values in (
        (f"copy of one person (x{len(copies)})", copies),
        (f"erasure of one person (x{len(erasures)})", erasures),
        ("customers_consenting(...).count()", count_ms),
        ("customers_consenting(...) first page of 50", page_ms),
    ):
        print(f"{label:<44}{statistics.median(values):>12.0f}{max(values):>12.0f}")


if __name__ == "__main__":
    main()
