"""Benchmark customer search and filtered lists over HTTP, on SQLite or PostgreSQL.

    .venv/bin/python bench/search.py --customers 1000000 --data-dir /tmp/kehu-bench-sqlite-1000000
    .venv/bin/python bench/search.py --customers 1000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench

Reuses ``archive_pages.py``: builds (or reuses) the demo archive, starts ``kehu serve``, signs
in. Then draws a fixed set of queries from the archive itself (seeded): whole names, two
characters of a name, a part of a company name, full pinyin, initials, mixed (张w), the last 4
digits, the first 7 and the whole of a phone number, credit codes, one character of a given
name, a heteronym surname with pinyin (曾w), an order number, and list pages with filters and a
search;
and times them through ``GET /api/v1/search?q=`` (and ``/customers/?…``) one at a time and 8 at
a time. Prints p50/p95/p99 and requests per second per kind. Targets (DESIGN.md): search p95
under 50 ms; list and 360° page p95 under 100 ms at 1,000,000 customers on 2 cores.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive_pages import (
    ADMIN_USER,
    PYTHON,
    REP_USER,
    Session,
    build_archive,
    free_port,
    kehu_env,
    machine,
    print_results,
    run_kind,
    start_server,
)

# Drawn from the archive in a subprocess with Django set up: one JSON object of query lists.
SAMPLER = r"""
import json, random, sys
import django
django.setup()
from django.db.models import Max
from kehu.core.pinyin import syllables
from kehu.customers.models import Customer, OrganizationProfile, Phone
from kehu.search.terms import LEGAL_FORMS

rng = random.Random(int(sys.argv[1]))
n = int(sys.argv[2])
top = Customer.objects.aggregate(m=Max("id"))["m"]
ids = [rng.randint(1, top) for _ in range(n * 6)]
rows = list(
    Customer.objects.filter(pk__in=ids, status__in=["active", "public_pool"])
    .values_list("pk", "name", "kind")
)
rng.shuffle(rows)
people = [name for _pk, name, kind in rows if kind == "person"][:n]
orgs = [name for _pk, name, kind in rows if kind == "organization"][:n]
picked = [r[0] for r in rows]
phones = list(
    Phone.objects.filter(customer_id__in=picked).values_list("number", flat=True)
)[:n]
codes = list(
    OrganizationProfile.objects.filter(customer_id__in=picked, credit_code__gt="")
    .values_list("credit_code", flat=True)
)[:n]

def core(name):
    for form in LEGAL_FORMS:
        if name.endswith(form):
            return name[: -len(form)]
    return name

def part(name):
    text = core(name)
    if len(text) <= 3:
        return text
    start = rng.randint(1, len(text) - 2)
    return text[start : start + rng.choice((2, 3, 4))]

out = {
    "name": people,
    "two characters": [p[:2] for p in people],
    "company part": [part(o) for o in orgs],
    "pinyin": ["".join(syllables(p, person=True)) for p in people],
    "initials": ["".join(s[0] for s in syllables(p, person=True)) for p in people],
    "mixed": [
        p[0] + syllables(p, person=True)[1][0]
        for p in people
        if len(syllables(p, person=True)) > 1
    ],
    "phone tail": [p[-4:] for p in phones],
    "phone prefix": [p.replace("+86", "")[:7] for p in phones],
    "phone": [p.replace("+86", "") for p in phones],
    "one character": [p[-1] for p in people],
    "mixed heteronym": [
        p[0] + syllables(p, person=True)[1][0]
        for p in people
        if len(syllables(p, person=True)) > 1 and p[0] in "曾单解仇区朴查盖乐覃缪翟召尉万柏长重种"
    ] or ["曾w"],
    "order number": [f"SO{i:09d}" for i in sorted(rng.sample(range(1, 1000), 20))],
    "credit code": codes,
    "customer ids": [r[0] for r in rows][: n * 2],
}
print(json.dumps(out, ensure_ascii=False))
"""

SEARCH_KINDS = (
    "name",
    "two characters",
    "company part",
    "pinyin",
    "initials",
    "mixed",
    "phone tail",
    "phone prefix",
    "phone",
    "credit code",
    "one character",
    "mixed heteronym",
    "order number",
)
PROVINCES = ("广东省", "浙江省", "江苏省", "山东省", "四川省", "河南省")
LIST_TEMPLATES = (
    "/customers/?q={surname}&province={province}",
    "/customers/?q={initials}&grade=important",
    "/customers/?province={province}&stage=customer",
    "/customers/?grade=important&kind=organization",
    "/customers/?tag=VIP&province={province}",
    "/customers/?order=name",
    "/customers/?order=-updated_at",
    "/customers/?created_from=2025-06-01&created_to=2025-06-30",
    "/customers/",
    "/customers/?page=3",
)


def sample(env: dict[str, str], seed: int, per_kind: int) -> dict[str, list]:
    out = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [PYTHON, "-c", SAMPLER, str(seed), str(per_kind)],
        env={**env, "DJANGO_SETTINGS_MODULE": "kehu.config.settings"},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def cycle(items: list[str]):
    state = {"i": 0}

    def next_item() -> str:
        item = items[state["i"] % len(items)]
        state["i"] += 1
        return item

    return next_item


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--per-kind", type=int, default=100, help="queries per kind")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--data-dir", default="")
    args = parser.parse_args()

    engine = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    data_dir = Path(
        args.data_dir or Path(tempfile.gettempdir()) / f"kehu-bench-{engine}-{args.customers}"
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    env = kehu_env(data_dir, args.database_url or None)
    print(f"Machine: {machine()}")
    print(f"Database: {engine}; data directory {data_dir}")
    build_archive(args.customers, args.seed, env)
    queries = sample(env, args.seed, args.per_kind)
    rng = random.Random(args.seed)
    surnames = [name[0] for name in queries["name"]]
    lists = [
        template.format(
            surname=rng.choice(surnames),
            initials=rng.choice(queries["initials"]),
            province=rng.choice(PROVINCES),
        )
        for template in LIST_TEMPLATES
        for _ in range(max(1, args.per_kind // len(LIST_TEMPLATES)))
    ]
    ids = queries["customer ids"]
    kinds: list[tuple[str, str, object]] = []
    for kind in SEARCH_KINDS:
        paths = [f"/api/v1/search?q={urllib.parse.quote(q)}" for q in queries[kind]]
        kinds.append((kind, ADMIN_USER, cycle(paths)))
    rep_paths = [f"/api/v1/search?q={urllib.parse.quote(q)}" for q in queries["initials"]]
    kinds.append(("initials (rep)", REP_USER, cycle(rep_paths)))
    topbar = [f"/search/?q={urllib.parse.quote(q)}" for q in queries["two characters"]]
    kinds.append(("top bar (htmx)", ADMIN_USER, cycle(topbar)))
    kinds.append(
        ("list + filters", ADMIN_USER, cycle([urllib.parse.quote(p, safe="/?=&") for p in lists]))
    )
    kinds.append(
        ("list (rep)", REP_USER, cycle([urllib.parse.quote(p, safe="/?=&") for p in lists]))
    )
    kinds.append(("360° page", ADMIN_USER, cycle([f"/customers/{i}/" for i in ids])))

    port = free_port()
    server = start_server(env, port, args.workers)
    results = []
    try:
        sessions = {ADMIN_USER: Session(port), REP_USER: Session(port)}
        for username, session in sessions.items():
            session.login(username)
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            for kind, username, paths in kinds:
                count = len(lists) if kind.startswith("list") else args.per_kind
                result = run_kind(sessions[username], kind, paths, count, concurrency)  # type: ignore[arg-type]
                results.append(result)
                print(result.row(), flush=True)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)

    print()
    print(
        f"{args.customers:,} customers, {engine}, gunicorn {args.workers} workers × 4 threads; ms"
    )
    print_results(results, slowest=1, show=urllib.parse.unquote)
    print(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
