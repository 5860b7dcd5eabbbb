"""Time the list page, the list API and the 360° page in-process: wall and CPU time per filter.

    KEHU_DATA_DIR=/tmp/kehu-bench-sqlite-100000 .venv/bin/python bench/list_pages_cpu.py
    KEHU_DATA_DIR=… /other/checkout/.venv/bin/python bench/list_pages_cpu.py   # that code

On a shared machine the HTTP benchmark (``archive_pages.py``) measures mostly the queue for the
CPU. This script asks the pages through Django's test client in one process and reports, per
path and user, the best of ``--repeat`` wall times and the CPU time of that request's thread
(``time.thread_time``: Python and SQLite's work, which runs in the same thread; not the time
waiting for a core). The code measured is the one the interpreter imports, so the same script
run with another checkout's virtual environment measures that checkout on the same archive.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")

import django

django.setup()

from django.test import Client  # noqa: E402

from kehu.accounts.models import User  # noqa: E402
from kehu.customers.models import Customer  # noqa: E402

PATHS = [
    "/customers/",
    "/customers/?stage=customer",
    "/customers/?grade=important",
    "/customers/?kind=organization",
    "/customers/?status=public_pool",
    "/customers/?province=广东省",
    "/customers/?province=浙江省&stage=prospect",
    "/customers/?grade=important&kind=organization",
    "/customers/?tag=VIP",
    "/customers/?tag=VIP&province=四川省",
    "/customers/?channel=website",
    "/customers/?q=王",
    "/customers/?q=王芳",
    "/customers/?q=李娜&province=四川省",
    "/customers/?q=zw&grade=important",
    "/customers/?order=name",
    "/customers/?order=-updated_at",
    "/customers/?province=广东省&order=-updated_at",
    "/customers/?created_from=2025-06-01&created_to=2025-06-30",
    "/customers/?updated_from=2026-11-01",
    "/customers/?value_tier=A",
    "/api/v1/customers/",
    "/api/v1/customers/?grade=important",
    "/api/v1/customers/?tag=VIP",
    "/api/v1/customers/?value_tier=A",
    "/api/v1/customers/?created_from=2025-06-01&created_to=2025-06-30",
    "/api/v1/customers/?city=成都市",
    "/api/v1/customers/?q=zw&grade=important",
]


def timed(client: Client, path: str, repeat: int) -> tuple[float, float, int]:
    best_wall, best_cpu, status = float("inf"), float("inf"), 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.thread_time()
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        status = response.status_code
        best_wall, best_cpu = min(best_wall, wall * 1000), min(best_cpu, cpu * 1000)
    return best_wall, best_cpu, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--detail", type=int, default=20, help="360° pages to open")
    args = parser.parse_args()
    clients = {}
    for username in ("wangfang", "zhaoqiang"):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=username))
        client.get("/customers/")  # warm: templates, translations, regions
        clients[username] = client
    print(f"{Customer.objects.count():,} customers; best of {args.repeat}; ms")
    print("| path | admin wall | admin CPU | rep wall | rep CPU |")
    print("|---|---:|---:|---:|---:|")
    cpu_all: dict[str, list[float]] = {"wangfang": [], "zhaoqiang": []}
    for path in PATHS:
        cells = []
        for username, client in clients.items():
            wall, cpu, status = timed(client, path, args.repeat)
            cpu_all[username].append(cpu)
            cells += [f"{wall:.1f}" + ("" if status == 200 else f" ({status})"), f"{cpu:.1f}"]
        print(f"| `{path}` | " + " | ".join(cells) + " |", flush=True)
    ids = list(Customer.objects.live().order_by("?").values_list("pk", flat=True)[: args.detail])
    walls, cpus = [], []
    for pk in ids:
        wall, cpu, _status = timed(clients["wangfang"], f"/customers/{pk}/", 2)
        walls.append(wall)
        cpus.append(cpu)
    print(
        f"| 360° page, {len(ids)} customers (median / max) | "
        f"{statistics.median(walls):.1f} / {max(walls):.1f} | "
        f"{statistics.median(cpus):.1f} / {max(cpus):.1f} | | |"
    )
    for username, cpus_of in cpu_all.items():
        print(
            f"{username}: list CPU median {statistics.median(cpus_of):.1f}, max {max(cpus_of):.1f}"
        )


if __name__ == "__main__":
    main()
