"""Benchmark the customer archive over HTTP: list page, list API, 360° page (and API detail).

    .venv/bin/python bench/archive_pages.py --customers 100000
    .venv/bin/python bench/archive_pages.py --customers 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench

Builds (or reuses) a demo archive of N customers in a data directory of its own (``kehu demo``),
starts the real server (``kehu serve --no-worker --workers 2``) on a free port, signs in and
times a few hundred requests of each kind, one at a time and with 4 in parallel. Prints the
machine, then p50/p95/p99 latency and requests per second per kind, and for the list kinds
each filter's median and slowest time. The targets (DESIGN.md, issue 26): list pages, the
list API and the 360° page p95 under 100 ms at c=1 on the 2-core reference machine, as the
archive administrator and as a team manager ("(rep)" kinds). ``--kinds "API detail"`` times
the API's customer detail.
"""

import argparse
import base64
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KEHU = str(ROOT / ".venv" / "bin" / "kehu")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# The demo accounts' password: `kehu demo`'s own (KEHU_DEMO_PASSWORD, else its default), so the
# benches also work on an archive built by hand with `kehu demo`.
PASSWORD = os.environ.get("KEHU_DEMO_PASSWORD", "kehu-demo-2026")
ADMIN_USER = "wangfang"  # archive administrator: sees every customer
SESSION_COOKIE = "kehu_session"
REP_USER = "zhaoqiang"  # sales rep and team manager: sees own, shared and the team's


# --- the archive and the server -------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{mem_kb / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        ram = "? RAM"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {ram}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average at start {load}"
    )


def client_times(
    client: Any, path: str, requests: int, before: Callable[[], object] = lambda: None
) -> list[float]:
    """In-process benches: GET ``path`` with Django's test ``client`` once, then ``requests``
    times, each after ``before()``; the times in ms. Stops at an answer other than 200."""
    out = []
    client.get(path)
    for _ in range(requests):
        before()
        started = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
    return out


def kehu_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "KEHU_DATA_DIR": str(data_dir), "KEHU_DEMO_PASSWORD": PASSWORD}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def customer_count(env: dict[str, str]) -> int:
    code = (
        "import django; django.setup(); "
        "from kehu.customers.models import Customer; print(Customer.objects.count())"
    )
    out = subprocess.run(  # noqa: S603 (our own interpreter)
        [PYTHON, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "kehu.config.settings"},
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


def build_archive(count: int, seed: int, env: dict[str, str]) -> float | None:
    """Migrate and load the demo archive unless it is there; returns load seconds, or None."""
    subprocess.run([KEHU, "migrate", "-v0"], env=env, check=True)  # noqa: S603
    existing = customer_count(env)
    if existing == count:
        print(f"Reusing the archive of {count:,} customers.")
        return None
    if existing:
        sys.exit(
            f"The archive has {existing:,} customers, not {count:,}: use another --data-dir "
            "(or database) or --rebuild."
        )
    started = time.monotonic()
    subprocess.run(  # noqa: S603
        [KEHU, "demo", "--customers", str(count), "--seed", str(seed)], env=env, check=True
    )
    return time.monotonic() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(  # noqa: S603
        [KEHU, "serve", "--no-worker", "--workers", str(workers), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("The server did not start within 60 s.")


# --- HTTP with a signed-in session ----------------------------------------------------------


@dataclass
class Session:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        path: str,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        sent["Accept-Language"] = "zh-hans"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def login(self, username: str) -> None:
        conn = self.connect()
        status, page = self.request(conn, "GET", "/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or match is None:
            sys.exit(f"No login form (HTTP {status}).")
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": match.group(1).decode(),
                "username": username,
                "password": PASSWORD,
            }
        )
        status, _ = self.request(
            conn,
            "POST",
            "/accounts/login/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}/accounts/login/",
            },
        )
        if status != 302 or SESSION_COOKIE not in self.cookies:
            sys.exit(f"Signing in as {username} failed (HTTP {status}).")


# --- the request mixes ----------------------------------------------------------------------

KINDS = ("list page", "list page (rep)", "list API", "list API (rep)", "360° page")
# Pages deep in the archive are keyset cursors (``{"p": "[<id>]"}`` encoded as the pager
# writes them); "{deep}" becomes one at a random customer id, i.e. any page, however deep.
LIST_FILTERS = [
    "",
    "?cursor={deep}",
    "?stage=customer&cursor={deep}",
    "?stage=customer",
    "?grade=important",
    "?kind=organization",
    "?status=public_pool",
    "?province=广东省",
    "?province=浙江省&stage=prospect",
    "?grade=important&kind=organization",
    "?tag=VIP",
    "?tag=VIP&province=四川省",
    "?channel=website",
    "?q=王",  # one character: the page asks for a second one
    "?q=王芳",
    "?q=李娜&province=四川省",
    "?q=科技",
    "?q=zw&grade=important",
    "?order=name",
    "?order=-updated_at",
    "?created_from=2025-06-01&created_to=2025-06-30",
    "?updated_from=2026-11-01",
    "?value_tier=A",
]
API_FILTERS = [
    "",
    "?page_size=50",
    "?cursor={deep}",
    "?stage=customer",
    "?grade=important",
    "?kind=organization",
    "?status=public_pool",
    "?province=广东省",
    "?city=成都市",
    "?tag=VIP",
    "?q=王芳",
    "?q=zw&grade=important",
    "?order=name",
    "?created_from=2025-06-01&created_to=2025-06-30",
    "?value_tier=A",
]


def quote(path: str) -> str:
    return urllib.parse.quote(path, safe="/?=&")


def deep_cursor(customer_id: int) -> str:
    position = urllib.parse.urlencode({"p": json.dumps([customer_id])})
    return base64.b64encode(position.encode("ascii")).decode("ascii")


def make_paths(kind: str, ids: list[int], rng: random.Random) -> Callable[[], str]:
    def pick(filters: list[str]) -> str:
        path = quote(rng.choice(filters))
        return path.replace("%7Bdeep%7D", urllib.parse.quote(deep_cursor(rng.choice(ids))))

    if kind in {"list page", "list page (rep)"}:
        return lambda: "/customers/" + pick(LIST_FILTERS)
    if kind in {"list API", "list API (rep)"}:
        return lambda: "/api/v1/customers/" + pick(API_FILTERS)
    if kind == "360° page":
        return lambda: f"/customers/{rng.choice(ids)}/"
    if kind == "API detail":
        return lambda: f"/api/v1/customers/{rng.choice(ids)}"
    raise ValueError(kind)


@dataclass
class Result:
    kind: str
    concurrency: int
    times: list[float]
    wall: float
    errors: dict[int, int]
    slowest: list[tuple[float, str]]

    def row(self) -> str:
        t = sorted(self.times)

        def pct(p: float) -> float:
            return t[min(len(t) - 1, int(round(p / 100 * (len(t) - 1))))] * 1000

        errors = ", ".join(f"{n}×{code}" for code, n in sorted(self.errors.items())) or "-"
        return (
            f"| {self.kind:<16} | {self.concurrency:>2} | {len(t):>5} | "
            f"{pct(50):>7.1f} | {pct(95):>7.1f} | {pct(99):>7.1f} | "
            f"{statistics.fmean(t) * 1000:>7.1f} | {len(t) / self.wall:>6.1f} | {errors} |"
        )


def run_kind(
    session: Session, kind: str, paths: Callable[[], str], requests: int, concurrency: int
) -> Result:
    lock = threading.Lock()
    times: list[float] = []
    errors: dict[int, int] = {}
    slowest: list[tuple[float, str]] = []
    todo = list(range(requests))

    def worker() -> None:
        conn = session.connect()
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
                path = paths()
            started = time.perf_counter()
            try:
                status, _ = session.request(conn, "GET", path)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = session.connect()
                status = 599
            elapsed = time.perf_counter() - started
            with lock:
                times.append(elapsed)
                slowest.append((elapsed, path))
                if status != 200:
                    errors[status] = errors.get(status, 0) + 1

    # Warm up: each worker process loads templates, translations and the region table once.
    warm = session.connect()
    for _ in range(10):
        session.request(warm, "GET", paths())
    warm.close()
    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    slowest.sort(reverse=True)
    return Result(kind, concurrency, times, wall, errors, slowest)


def print_results(
    results: list[Result], *, slowest: int = 2, show: Callable[[str], str] = str
) -> None:
    """The table of timings per kind and concurrency, then each kind's slowest requests."""
    print(
        "| kind             |  c |     n |     p50 |     p95 |     p99 |    mean |  req/s "
        "| errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for result in results:
        print(result.row())
    print()
    print("Slowest requests:")
    for result in results:
        for elapsed, path in result.slowest[:slowest]:
            shown = show(path)
            print(f"  {result.kind:<16} c={result.concurrency} {elapsed * 1000:7.1f} ms  {shown}")


def print_by_filter(results: list[Result]) -> None:
    """For the list kinds: each filter's median and slowest time (cursors shown as "…")."""
    for result in results:
        if not result.kind.startswith("list"):
            continue
        by_filter: dict[str, list[float]] = {}
        for elapsed, path in result.slowest:
            shown = re.sub(r"cursor=[^&]+", "cursor=…", urllib.parse.unquote(path))
            by_filter.setdefault(shown, []).append(elapsed * 1000)
        print(f"\n{result.kind}, c={result.concurrency}: per filter (n, median, max ms)")
        for shown, times in sorted(by_filter.items(), key=lambda kv: -max(kv[1])):
            print(f"  {len(times):>3} {statistics.median(times):7.1f} {max(times):7.1f}  {shown}")


def customer_ids(session: Session, sample: int, rng: random.Random) -> list[int]:
    """Ids to open, spread over the archive: a sample of the list API's pages."""
    conn = session.connect()
    status, body = session.request(conn, "GET", "/api/v1/customers/?page_size=1&order=id")
    first = json.loads(body)["results"][0]["id"] if status == 200 else 1
    status, body = session.request(conn, "GET", "/api/v1/customers/?page_size=1")
    last = json.loads(body)["results"][0]["id"] if status == 200 else first
    return [rng.randint(first, last) for _ in range(sample)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=300, help="per kind and concurrency")
    parser.add_argument("--concurrency", default="1,4", help="comma-separated, e.g. 1,4")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--database-url", default="", help="PostgreSQL; default SQLite")
    parser.add_argument("--data-dir", default="", help="default: a directory per N and database")
    parser.add_argument("--rebuild", action="store_true", help="delete the data dir first")
    args = parser.parse_args()

    engine = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    data_dir = Path(
        args.data_dir or Path(tempfile.gettempdir()) / f"kehu-bench-{engine}-{args.customers}"
    )
    if args.rebuild and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = kehu_env(data_dir, args.database_url or None)
    print(f"Machine: {machine()}")
    print(f"Database: {engine}; data directory {data_dir}")
    load_seconds = build_archive(args.customers, args.seed, env)
    if load_seconds is not None:
        rate = args.customers / load_seconds
        print(f"Loaded {args.customers:,} customers in {load_seconds:.1f} s ({rate:,.0f}/s)")

    if not (ROOT / "staticfiles" / "staticfiles.json").exists():  # pages need the manifest
        subprocess.run([KEHU, "collectstatic", "--noinput", "-v0"], env=env, check=True)  # noqa: S603
    port = free_port()
    server = start_server(env, port, args.workers)
    try:
        admin, rep = Session(port), Session(port)
        admin.login(ADMIN_USER)
        rep.login(REP_USER)
        rng = random.Random(args.seed)
        ids = customer_ids(admin, 5000, rng)
        results = []
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            for kind in args.kinds.split(","):
                session = rep if kind.endswith("(rep)") else admin
                paths = make_paths(kind, ids, rng)
                result = run_kind(session, kind, paths, args.requests, concurrency)
                results.append(result)
                print(result.row(), flush=True)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)

    print()
    print(
        f"{args.customers:,} customers, {engine}, gunicorn {args.workers} workers × 4 threads; "
        "times in ms"
    )
    print_results(results)
    print_by_filter(results)


if __name__ == "__main__":
    main()
