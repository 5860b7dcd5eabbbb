"""CPU per request of the API's customer detail beside ``/api/v1/me``, in-process (issue 26).

    KEHU_DATA_DIR=/tmp/apidetail-5k nice -n 10 .venv/bin/python bench/detail_cpu.py --prepare
    KEHU_DATA_DIR=/tmp/apidetail-5k nice -n 10 .venv/bin/python bench/detail_cpu.py
    KEHU_DATA_DIR=… .venv/bin/python bench/detail_cpu.py --snapshot before.jsonl

Asks through Django's test client with a bearer token of the archive administrator, in
alternating rounds: ``--requests`` details (customers in turn) then as many ``/api/v1/me``;
reports the CPU time of the thread per request (``time.thread_time``: Python's and SQLite's
work, not the wait for a core) and the ratio /me ÷ detail, the share of the floor's throughput
the detail would reach on CPU alone. ``--prepare`` adds custom fields (one sensitive) and
values for them to every seventh customer of a demo archive. ``--snapshot FILE`` writes every
demo user's detail answer (today, ``?as_of=`` and in English) for a sample of customers of
every kind and status, one JSON line each, to compare two versions of the code byte for byte.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")

import django

django.setup()

from django.db import IntegrityError  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from kehu.accounts.models import User  # noqa: E402
from kehu.accounts.services import api_token_create  # noqa: E402
from kehu.customers import services  # noqa: E402
from kehu.customers.models import Customer, CustomField  # noqa: E402
from kehu.dedup.services.merge import customers_merge  # noqa: E402

ADMIN = "wangfang"
VARIANTS = (("", "zh-hans"), ("?as_of=2026-01-15", "zh-hans"), ("", "en"))
USERS = ("zhaoqiang", "liuyang", "chenjing", "wangfang", "sunli", "zhoumin", "lijun")
CUSTOM = (
    # code, label, type, applies to, sensitive, choices
    ("industry_note", "行业备注", CustomField.Type.TEXT, "both", False, []),
    ("level", "等级", CustomField.Type.CHOICE, "both", False, ["金", "银", "铜"]),
    ("bank_account", "银行账号", CustomField.Type.TEXT, "person", True, []),
    ("headcount", "人数", CustomField.Type.NUMBER, "organization", False, []),
)


def client_for(username: str) -> Client:
    _row, token = api_token_create(user=User.objects.get(username=username), name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    client.get("/api/v1/me")  # the token's first use writes last_used_at
    return client


def prepare() -> None:
    for code, label, field_type, applies_to, sensitive, choices in CUSTOM:
        CustomField.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "field_type": field_type,
                "applies_to": applies_to,
                "sensitive": sensitive,
                "choices": choices,
            },
        )
    admin = User.objects.get(username=ADMIN)
    for customer in Customer.objects.filter(status="active").order_by("pk")[::7]:
        data: dict[str, object] = {"custom.industry_note": f"备注 {customer.pk}"}
        data["custom.level"] = ["金", "银", "铜"][customer.pk % 3]
        if customer.kind == "person":
            data["custom.bank_account"] = f"62220200{customer.pk:011d}"
        else:
            data["custom.headcount"] = customer.pk % 500
        services.customer_update(user=admin, customer=customer, data=data)
    if not Customer.objects.filter(status="merged").exists():
        for kind in ("person", "organization"):
            ids = Customer.objects.filter(status="active", kind=kind).values_list("pk", flat=True)
            survivor, *others = ids.order_by("pk")[1:20]
            for other in others:  # the first that merges (a shared survey refuses some pairs)
                try:
                    customers_merge(user=admin, survivor_id=survivor, other_ids=[other])
                    break
                except IntegrityError:
                    continue


def sample_ids() -> list[int]:
    ids: set[int] = set(Customer.objects.order_by("pk").values_list("pk", flat=True)[::97])
    for status in Customer.Status.values:
        ids |= set(Customer.objects.filter(status=status).values_list("pk", flat=True)[:5])
    with_contacts = Customer.objects.annotate(n=Count("contacts")).filter(n__gt=1)
    ids |= set(with_contacts.values_list("pk", flat=True)[:10])
    ids |= set(Customer.objects.exclude(custom_values={}).values_list("pk", flat=True)[:10])
    ids |= set(Customer.objects.filter(shared_with__isnull=False).values_list("pk", flat=True)[:5])
    return sorted(ids)


def snapshot(path: str) -> None:
    ids = sample_ids()
    with open(path, "w", encoding="utf-8") as out:
        for username in USERS:
            client = client_for(username)
            for pk in ids:
                for query, language in (
                    ("", "zh-hans"),
                    ("?as_of=2026-01-15", "zh-hans"),
                    ("", "en"),
                ):
                    response = client.get(
                        f"/api/v1/customers/{pk}{query}", HTTP_ACCEPT_LANGUAGE=language
                    )
                    body = response.content.decode()
                    out.write(f"{username} {pk}{query} {language} {response.status_code} {body}\n")
    print(f"{len(USERS)} users × {len(ids)} customers × 3 → {path}")


def cpu_ms(client: Client, paths: list[str]) -> float:
    start = time.thread_time()
    for path in paths:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
    return (time.thread_time() - start) * 1000 / len(paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--snapshot", metavar="FILE")
    args = parser.parse_args()
    if args.prepare:
        prepare()
        return
    if args.snapshot:
        snapshot(args.snapshot)
        return
    client = client_for(ADMIN)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[: args.requests])
    details = [f"/api/v1/customers/{pk}" for pk in ids]
    floor = ["/api/v1/me"] * len(details)
    cpu_ms(client, details[:50] + floor[:50])  # warm up
    print(f"load average {os.getloadavg()[0]:.2f}; {len(details)} requests of each per round")
    print("| round | detail CPU ms | /me CPU ms | /me ÷ detail |")
    print("|---:|---:|---:|---:|")
    ratios = []
    for index in range(args.rounds):
        detail, me = cpu_ms(client, details), cpu_ms(client, floor)
        ratios.append(me / detail)
        print(f"| {index + 1} | {detail:.2f} | {me:.2f} | {me / detail:.0%} |", flush=True)
    print(f"median ratio {statistics.median(ratios):.0%}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
