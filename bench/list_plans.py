"""The customer list's query plans: every filter alone and with others, as an admin and a rep.

    KEHU_DATA_DIR=/tmp/kehu-bench-sqlite-100000 .venv/bin/python bench/list_plans.py
    KEHU_DATA_DIR=… DATABASE_URL=postgres://… .venv/bin/python bench/list_plans.py --plans

For each filter of ``CustomerFilters`` the script builds the list page's two queries through
the real selector (``customer_list``) — the first keyset page (``LIMIT 51``) and the capped
count (``COUNT`` over ``LIMIT cap + 1``) — for the archive administrator ``wangfang`` (sees
everything) and the team manager ``zhaoqiang`` (a rep's scope), runs each a few times and
prints the best time in ms; with ``--plans`` also ``EXPLAIN QUERY PLAN`` (SQLite) or
``EXPLAIN`` (PostgreSQL). Filter values are taken from the archive (a tag, a province…).
"""

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from kehu.accounts.models import User  # noqa: E402
from kehu.core.pagination import keyset_page  # noqa: E402
from kehu.customers.models import Customer, Tag  # noqa: E402
from kehu.customers.selectors import CustomerFilters, customer_list  # noqa: E402
from kehu.customers.views import COUNT_CAP, PAGE_SIZE  # noqa: E402


def cases() -> list[tuple[str, dict[str, object]]]:
    sample = Customer.objects.order_by("-id").values("province", "city", "owner_id", "team_id")[0]
    newest = Customer.objects.order_by("-id").values_list("created_at", flat=True)[0].date()
    month_ago = date.fromordinal(newest.toordinal() - 30)
    year_ago = date.fromordinal(newest.toordinal() - 365)
    tag = Tag.objects.order_by("id").values_list("name", flat=True).first() or "VIP"
    province, city = sample["province"] or "广东省", sample["city"] or ""
    return [
        ("(none)", {}),
        ("order=name", {"order": "name"}),
        ("order=-updated_at", {"order": "-updated_at"}),
        ("order=grade", {"order": "grade"}),
        ("kind=organization", {"kind": "organization"}),
        ("stage=customer", {"stage": "customer"}),
        ("stage=lost", {"stage": "lost"}),
        ("grade=important", {"grade": "important"}),
        ("status=public_pool", {"status": "public_pool"}),
        ("status=archived", {"status": "archived"}),
        ("owner", {"owner_id": sample["owner_id"]}),
        ("team", {"team_id": sample["team_id"]}),
        (f"tag={tag}", {"tag": tag}),
        ("province", {"province": province}),
        ("province+city", {"province": province, "city": city}),
        ("channel=website", {"channel": "website"}),
        ("q=王芳", {"q": "王芳"}),
        ("q=zw", {"q": "zw"}),
        ("q=zw+grade", {"q": "zw", "grade": "important"}),
        ("created last 30 days", {"created_from": month_ago, "created_to": newest}),
        ("created a year ago (1 month)", {
            "created_from": year_ago, "created_to": date.fromordinal(year_ago.toordinal() + 30)
        }),
        ("updated last 30 days", {"updated_from": month_ago}),
        ("value_tier=A", {"value_tier": "A"}),
        ("province+stage", {"province": province, "stage": "prospect"}),
        ("grade+kind", {"grade": "important", "kind": "organization"}),
        ("tag+province", {"tag": tag, "province": province}),
        ("q=王芳+province", {"q": "王芳", "province": province}),
        ("grade+order=name", {"grade": "important", "order": "name"}),
        ("province+order=-updated_at", {"province": province, "order": "-updated_at"}),
        ("stage+created a year ago", {
            "stage": "customer", "created_from": year_ago,
            "created_to": date.fromordinal(year_ago.toordinal() + 30),
        }),
    ]  # fmt: skip


def best_ms(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def explain(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return "\n".join(f"      {row[-1]}" for row in rows)
    return "\n".join(f"      {row[0]}" for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", action="store_true", help="print the query plans too")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="cases whose label contains this")
    args = parser.parse_args()
    users = {u.username: u for u in User.objects.filter(username__in=["wangfang", "zhaoqiang"])}
    print(f"{connection.vendor}, {Customer.objects.count():,} customers; page {PAGE_SIZE}, "
          f"count cap {COUNT_CAP:,}; best of {args.repeat}, ms")  # fmt: skip
    print("| filter | admin page | admin count | rep page | rep count |")
    print("|---|---:|---:|---:|---:|")
    for label, given in cases():
        if args.only and args.only not in label:
            continue
        filters = CustomerFilters(**given)  # type: ignore[arg-type]
        cells, plans = [], []
        for username in ("wangfang", "zhaoqiang"):
            queryset = customer_list(user=users[username], filters=filters)
            page = best_ms(
                lambda qs=queryset: keyset_page(qs, cursor=None, page_size=PAGE_SIZE), args.repeat
            )
            counting = customer_list(user=users[username], filters=filters, counting=True)
            counted = counting.order_by()[: COUNT_CAP + 1]
            count = best_ms(lambda qs=counted: qs.count(), args.repeat)
            cells += [f"{page:.1f}", f"{count:.1f}"]
            if args.plans:
                plans.append(f"  {username} page:\n{explain(queryset[: PAGE_SIZE + 1])}")
                plans.append(f"  {username} count:\n{explain(counted.values('id'))}")
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
        for plan in plans:
            print(plan)


if __name__ == "__main__":
    main()
