"""A demo archive with only what the duplicate finder reads, generated on several cores.

``kehu demo`` writes each customer's history, search terms, contacts, tags and encrypted
fields; at 1,000,000 customers that takes 10 minutes on a quiet 2-core machine and hours on a
loaded one. The finder reads five tables: customers, person and organization profiles, and the
customers' own phones and e-mails. This loader draws the customers from the same generator
(``kehu.demo.customers.generate_customers``: names, regions, addresses, phones, e-mails, ID
numbers, birth dates, employers, credit codes) and writes those five tables only, with the
generation split over ``workers`` forked processes by id range (each range has its own seeded
stream, as ``kehu demo`` gives each run). What differs from ``kehu demo`` for the finder:

- encrypted person fields (the ID number itself, home address, income…) are left empty; the
  ID number's lookup hash, which the finder reads, is written;
- two workers may draw the same ID number (one generator never does); the second copy keeps
  no ID number (counted and printed: a handful in a million);
- organizations' contact persons (and their phones) are not written; the finder ignores them.

SQLite only (as ``bench/dedup.py``).
"""

import multiprocessing
import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import islice
from queue import Empty
from typing import Any


def _rows(first_id: int, count: int, seed: int, now: datetime, batch: int, queue: Any) -> None:
    from kehu.core.bulk import sqlite_datetime
    from kehu.customers.bulk import ORGANIZATION_FIELDS, PERSON_FIELDS
    from kehu.customers.values import lookup_hash
    from kehu.demo.customers import generate_customers
    from kehu.demo.customers_load import ENCRYPTED_PERSON_FIELDS
    from kehu.demo.management.commands.demo import STAFF

    ids = _ids()
    records = generate_customers(count, seed=seed, first_id=first_id, staff=STAFF, now=now)
    done = 0
    try:
        while done < count:
            customers, people, orgs, phones, emails = [], [], [], [], []
            for record in islice(records, batch):
                cid = first_id + done
                done += 1
                owner_id = ids["users"].get(record.owner) if record.owner else None
                region = record.region
                customers.append(
                    (cid, sqlite_datetime(record.created_at), sqlite_datetime(record.updated_at),
                     record.name, record.kind, record.lifecycle_stage, record.grade, record.status,
                     owner_id, ids["teams"].get(owner_id) if owner_id else None,
                     ids["channels"].get(record.source_channel), record.address, region.province,
                     region.city, region.district, region.adcode, "", "{}", "",
                     sqlite_datetime(record.archived_at))
                )  # fmt: skip
                if record.person is not None:
                    person = dict(record.person)
                    person["id_number_hash"] = lookup_hash(person["id_number"])
                    person["birth_date"] = str(person["birth_date"])
                    for name in ENCRYPTED_PERSON_FIELDS:
                        person[name] = ""
                    people.append((cid, *(person[name] for name in PERSON_FIELDS)))
                if record.organization is not None:
                    org = dict(record.organization)
                    org["founded_on"] = str(org["founded_on"]) if org["founded_on"] else None
                    for name in ("registered_capital", "credit_limit"):
                        if org[name] is not None:
                            org[name] = str(org[name])
                    orgs.append((cid, *(org[name] for name in ORGANIZATION_FIELDS)))
                phones += [(cid, None, number, "") for number in record.phones]
                emails += [(cid, None, address) for address in record.emails]
            queue.put((customers, people, orgs, phones, emails))
    finally:
        queue.put(None)


def _ids() -> dict[str, dict[Any, Any]]:
    from kehu.accounts.models import Membership, User
    from kehu.customers.models import Channel

    teams: dict[int, int] = {}
    for user_id, team_id in Membership.objects.order_by("id").values_list("user_id", "team_id"):
        teams.setdefault(user_id, team_id)
    return {
        "users": dict(User.objects.values_list("username", "id")),
        "teams": teams,
        "channels": dict(Channel.objects.values_list("code", "id")),
    }


def slim_demo_load(
    count: int, *, seed: int = 2026, workers: int = 2, batch: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:  # fmt: skip
    """Write ``count`` generated customers (ids 1…count) into the migrated, empty archive of
    this process's Django connection; returns counts of what was written."""
    from django.db import connection, connections, transaction
    from django.utils import timezone

    from kehu.core.bulk import _column, insert_rows
    from kehu.customers.bulk import CUSTOMER_FIELDS, ORGANIZATION_FIELDS, PERSON_FIELDS
    from kehu.customers.models import Customer, Email, OrganizationProfile, PersonProfile, Phone
    from kehu.demo.customers import DEMO_PASSWORD_DEFAULT
    from kehu.demo.management.commands.demo import Command as Demo

    Demo()._users(DEMO_PASSWORD_DEFAULT)
    midnight = timezone.make_aware(
        datetime.combine(timezone.localdate(), datetime.min.time())
    ) - timedelta(microseconds=1)
    connections.close_all()  # each child opens its own connection
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=2 * workers)
    share = -(-count // workers)
    children = []
    for n in range(workers):
        first, size = 1 + n * share, min(share, count - n * share)
        if size <= 0:
            continue
        child = context.Process(
            target=_rows, args=(first, size, seed, midnight, batch, queue), daemon=True
        )
        child.start()
        children.append(child)

    def columns(model: Any, fields: tuple[str, ...]) -> list[str]:
        return [_column(model, name) for name in fields]

    tables = [
        (Customer._meta.db_table, columns(Customer, CUSTOMER_FIELDS)),
        (PersonProfile._meta.db_table, columns(PersonProfile, ("customer", *PERSON_FIELDS))),
        (
            OrganizationProfile._meta.db_table,
            columns(OrganizationProfile, ("customer", *ORGANIZATION_FIELDS)),
        ),
        (Phone._meta.db_table, columns(Phone, ("customer", "contact", "number", "label"))),
        (Email._meta.db_table, columns(Email, ("customer", "contact", "address"))),
    ]
    hash_at = 1 + PERSON_FIELDS.index("id_number_hash")
    seen: set[str] = set()
    totals = {"customers": 0, "people": 0, "organizations": 0, "phones": 0, "emails": 0,
              "id numbers dropped (drawn twice)": 0}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -262144")
    running = len(children)
    while running:
        try:
            item = queue.get(timeout=5)
        except Empty:
            if not any(child.is_alive() for child in children):
                raise RuntimeError("generation stopped unexpectedly") from None
            continue
        if item is None:
            running -= 1
            continue
        people = []
        for row in item[1]:
            if row[hash_at] in seen:
                row = (*row[:hash_at], "", *row[hash_at + 1 :])
                totals["id numbers dropped (drawn twice)"] += 1
            seen.add(row[hash_at])
            people.append(row)
        item = (item[0], people, *item[2:])
        with transaction.atomic(), connection.cursor() as cursor:
            for (table, names), rows in zip(tables, item, strict=True):
                insert_rows(cursor, table, names, rows)
        kinds = ("customers", "people", "organizations", "phones", "emails")
        for name, rows in zip(kinds, item, strict=True):
            totals[name] += len(rows)
        if progress is not None:
            progress(totals["customers"])
    for child in children:
        child.join()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return totals


def build_slim(data_dir: str, count: int, workers: int) -> float:
    """Migrate a new archive in ``data_dir`` and load it; seconds taken."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "KEHU_DATA_DIR": data_dir}
    env.pop("DATABASE_URL", None)
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (our own command)
        [str(root / ".venv" / "bin" / "kehu"), "migrate", "-v", "0"], env=env, check=True
    )
    code = (
        "import sys, time; sys.path.insert(0, 'bench'); import django; django.setup(); "
        "from dedup_archive import slim_demo_load; t = time.perf_counter(); "
        f"print(slim_demo_load({count}, workers={workers}, progress=lambda n: n % 100000 == 0 "
        "and print(n, f'{time.perf_counter() - t:.0f} s', flush=True)))"
    )
    env["DJANGO_SETTINGS_MODULE"] = "kehu.config.settings"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=root)  # noqa: S603
    return time.perf_counter() - started
