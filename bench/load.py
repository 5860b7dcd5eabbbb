"""Sustained mixed load on the API, driven by a real load generator (locust, headless).

    .venv/bin/python bench/load.py --data-dir /tmp/kehu-bench-sqlite-100000 --duration 60s
    .venv/bin/python bench/load.py --data-dir /work/bench-1m-apispeed --duration 10m
    .venv/bin/python bench/load.py --data-dir DIR --duration 10m --import-rows 100000
    .venv/bin/python bench/load.py --customers 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench --duration 60s

Uses (or builds, with ``kehu demo``) the archive in the data directory, makes an API token for
the archive administrator, starts the real server (``kehu serve --no-worker``) on a free port
and runs three phases with the same number of simulated clients, none of which waits between
requests:

1. the floor: ``GET /api/v1/me``, the cheapest authenticated endpoint (``--floor``);
2. customer detail alone, ``GET /api/v1/customers/{id}`` (``--floor``), reported beside it;
3. the mix, for ``--duration``: 36% customer detail, 27% search, 13.5% customer list (filter
   variants), 13.5% interactions list, 5% interactions logged, 5% customer edits — the read mix
   40/30/15/15 plus 10% writes.

With ``--import-rows N`` a generated N-row CSV is imported with ``kehu import`` in the
background, started with the mix. Prints requests/s, p50/p95/p99 per kind, errors by kind (HTTP
5xx, other HTTP codes, connection errors; "database is locked" counted in the server's log) and
the CPU seconds the server and the load generator used. The targets (issue 26): at least 300
requests/s in the mix with p99 under 250 ms and no error, and customer detail at least 60% of
the floor's requests/s.
"""

from gevent import monkey

monkey.patch_all()  # before anything imports socket or ssl: locust's clients need it

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
from locust import FastHttpUser, constant, task  # noqa: E402
from locust.env import Environment  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive_pages import (  # noqa: E402
    ADMIN_USER,
    API_FILTERS,
    KEHU,
    PYTHON,
    ROOT,
    build_archive,
    customer_count,
    deep_cursor,
    free_port,
    kehu_env,
    machine,
    quote,
)

LOCKED = re.compile(r"^\S*OperationalError: database is locked", re.MULTILINE)
SERVER_ERROR = re.compile(r"^Internal Server Error: ", re.MULTILINE)

SAMPLER = """
import json, random, sys
import django
django.setup()
from django.db.models import Max, Min
from kehu.customers.models import Customer, Phone
rng = random.Random(int(sys.argv[1]))
bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
wanted = {rng.randint(bounds["lo"], bounds["hi"]) for _ in range(6000)}
rows = list(Customer.objects.live().filter(pk__in=wanted).values_list("pk", "name"))
rng.shuffle(rows)
phones = Phone.objects.filter(customer_id__in=[pk for pk, _ in rows[:400]])
print(json.dumps({
    "ids": [pk for pk, _ in rows],
    "names": [name for _, name in rows[:400]],
    "phones": [p.replace("+86", "") for p in phones.values_list("number", flat=True)[:150]],
}, ensure_ascii=False))
"""


# --- the archive, the token, the server ---------------------------------------------------------


def django_run(env: dict[str, str], code: str, *args: str) -> str:
    out = subprocess.run(  # noqa: S603 (our own interpreter)
        [PYTHON, "-c", code, *args],
        env={**env, "DJANGO_SETTINGS_MODULE": "kehu.config.settings"},
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def api_token(env: dict[str, str], username: str) -> str:
    out = subprocess.run(  # noqa: S603
        [KEHU, "token", "create", username, "--name", "bench/load.py", "--days", "1"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    log: Path
    port: int

    seen: dict[int, float] = field(default_factory=dict)

    def cpu_seconds(self) -> float:
        """CPU time the server's processes have used: the master and every worker seen so far,
        with a recycled worker counted at its last sample (see ``watch``)."""
        try:
            root = psutil.Process(self.process.pid)
            for proc in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = proc.cpu_times()
                    self.seen[proc.pid] = times.user + times.system
        except psutil.NoSuchProcess:
            pass
        return sum(self.seen.values())

    def watch(self) -> None:
        """Sample every half second, so a worker gunicorn recycles keeps its CPU time."""
        while True:
            self.cpu_seconds()
            gevent.sleep(0.5)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_server(env: dict[str, str], workers: int, threads: int, log: Path) -> Server:
    port = free_port()
    handle = log.open("wb")
    process = subprocess.Popen(  # noqa: S603
        [KEHU, "serve", "--no-worker", "--workers", str(workers), "--threads", str(threads)]
        + ["--port", str(port)],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    import http.client

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                return Server(process, log, port)
        except OSError:
            time.sleep(0.3)
    os.killpg(process.pid, 15)
    sys.exit(f"The server did not start within 90 s (log: {log}).")


# --- the simulated clients ------------------------------------------------------------------


class ApiUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    network_timeout = 60.0
    connection_timeout = 60.0
    ids: list[int] = []
    names: list[str] = []
    phones: list[str] = []
    rng = random.Random(2026)

    def get(self, path: str, name: str) -> None:
        with self.client.get(quote(path), name=name, catch_response=True) as response:
            judge(response, ok=200)

    def customer_id(self) -> int:
        return self.rng.choice(self.ids)


def judge(response: Any, *, ok: int) -> None:
    if response.status_code == ok:
        response.success()
    elif response.status_code == 0:
        response.failure(f"connection: {type(response.error).__name__}")
    else:
        response.failure(f"HTTP {response.status_code}")


class FloorUser(ApiUser):
    abstract = True

    @task
    def me(self) -> None:
        self.get("/api/v1/me", "me")


class DetailUser(ApiUser):
    abstract = True

    @task
    def detail(self) -> None:
        self.get(f"/api/v1/customers/{self.customer_id()}", "customer detail")


class MixUser(ApiUser):
    """Reads 40/30/15/15 (detail/search/list/interactions) plus 10% writes, in weights of 200."""

    abstract = True

    @task(72)
    def detail(self) -> None:
        self.get(f"/api/v1/customers/{self.customer_id()}", "customer detail")

    @task(54)
    def search(self) -> None:
        pick = self.rng.random()
        if pick < 0.5:
            q = self.rng.choice(self.names)
        elif pick < 0.8:
            q = self.rng.choice(self.names)[:2]
        else:
            q = self.rng.choice(self.phones or self.names)
        self.get(f"/api/v1/search?q={q}", "search")

    @task(27)
    def customer_list(self) -> None:
        path = self.rng.choice(API_FILTERS).replace("{deep}", deep_cursor(self.customer_id()))
        self.get("/api/v1/customers/" + path, "customer list")

    @task(27)
    def interaction_list(self) -> None:
        if self.rng.random() < 0.5:
            self.get(f"/api/v1/interactions/?customer_id={self.customer_id()}", "interactions")
        else:
            self.get("/api/v1/interactions/", "interactions")

    @task(10)
    def interaction_log(self) -> None:
        body = {
            "customer_id": self.customer_id(),
            "type": self.rng.choice(["phone_call", "visit", "im"]),
            "summary": "压力测试：电话回访，客户对服务满意。",
        }
        with self.client.post(
            "/api/v1/interactions/", json=body, name="log interaction", catch_response=True
        ) as response:
            judge(response, ok=201)

    @task(10)
    def customer_edit(self) -> None:
        body = {"fields": {"grade": self.rng.choice(["important", "special", "general"])}}
        with self.client.patch(
            f"/api/v1/customers/{self.customer_id()}",
            json=body,
            name="edit customer",
            catch_response=True,
        ) as response:
            judge(response, ok=200)


def user_class(base: type[ApiUser], token: str, sample: dict[str, list[Any]]) -> type[ApiUser]:
    return type(
        base.__name__.removesuffix("User") + "Client",
        (base,),
        {
            "abstract": False,
            "default_headers": {"Authorization": f"Bearer {token}", "Accept-Language": "zh-hans"},
            "ids": sample["ids"],
            "names": sample["names"],
            "phones": sample["phones"],
        },
    )


# --- phases and their figures -----------------------------------------------------------------


@dataclass
class Row:
    kind: str
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    mean: float
    rps: float


@dataclass
class Phase:
    name: str
    seconds: float
    rows: list[Row]
    total: Row
    errors: dict[str, int]
    server_cpu: float
    client_cpu: float
    locked: int
    server_errors: int
    recycled: int


def run_phase(
    name: str, cls: type[ApiUser], users: int, seconds: float, server: Server, warmup: float
) -> Phase:
    env = Environment(user_classes=[cls], host=f"http://127.0.0.1:{server.port}")
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(warmup)
    env.stats.reset_all()
    log_before = server.log_text()
    me = psutil.Process()
    client_before = sum(me.cpu_times()[:2])
    server_before = server.cpu_seconds()
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    server_cpu = server.cpu_seconds() - server_before
    client_cpu = sum(me.cpu_times()[:2]) - client_before
    # Figures of the measured window only: requests still in flight at the end are not counted.
    stats = env.stats
    rows = [row_of(entry.name, entry, elapsed) for entry in stats.entries.values()]
    total = row_of("all", stats.total, elapsed)
    errors: dict[str, int] = {}
    for error in stats.errors.values():
        errors[str(error.error)] = errors.get(str(error.error), 0) + error.occurrences
    runner.quit()
    new_log = server.log_text()[len(log_before) :]
    return Phase(
        name,
        elapsed,
        sorted(rows, key=lambda r: -r.requests),
        total,
        errors,
        server_cpu,
        client_cpu,
        len(LOCKED.findall(new_log)),
        len(SERVER_ERROR.findall(new_log)),
        new_log.count("Booting worker"),
    )


def row_of(kind: str, entry: Any, elapsed: float) -> Row:
    def pct(p: float) -> float:
        return float(entry.get_response_time_percentile(p)) if entry.num_requests else 0.0

    return Row(
        kind,
        entry.num_requests,
        entry.num_failures,
        pct(0.5),
        pct(0.95),
        pct(0.99),
        entry.avg_response_time,
        entry.num_requests / elapsed,
    )


def print_phase(phase: Phase) -> None:
    per_request = phase.server_cpu / max(phase.total.requests, 1) * 1000
    print(
        f"\n{phase.name}: {phase.seconds:.0f} s; server CPU {phase.server_cpu:.1f} s "
        f"({per_request:.1f} ms a request), load generator CPU {phase.client_cpu:.1f} s"
    )
    print("| kind | requests | req/s | p50 ms | p95 ms | p99 ms | mean ms | failed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in [*phase.rows, phase.total] if len(phase.rows) > 1 else phase.rows:
        print(
            f"| {row.kind} | {row.requests:,} | {row.rps:.1f} | {row.p50:.0f} | {row.p95:.0f} "
            f"| {row.p99:.0f} | {row.mean:.1f} | {row.failures} |"
        )
    kinds = dict(phase.errors)
    kinds["database is locked (server log)"] = phase.locked
    kinds["500 logged by the server"] = phase.server_errors
    print("Errors: " + ", ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items())))
    print(f"Workers recycled (gunicorn max_requests) during the phase: {phase.recycled}")


# --- the background import ------------------------------------------------------------------

CSV_WRITER = """
import sys
from pathlib import Path
import django
django.setup()
from kehu.demo.import_files import write_sample_csv
write_sample_csv(Path(sys.argv[1]), int(sys.argv[2]), seed=int(sys.argv[3]))
print("ok")
"""


def start_import(env: dict[str, str], rows: int, directory: Path, seed: int) -> Any:
    path = directory / f"load-import-{rows}-{seed}.csv"
    if not path.exists():
        django_run(env, CSV_WRITER, str(path), str(rows), str(seed))
    log = (directory / "load-import.log").open("wb")
    # The dry run first (an import starts only after one of the same file), so that the mix
    # meets the import's writing, not only its reading.
    subprocess.run(  # noqa: S603
        [KEHU, "import", str(path), "--as-user", ADMIN_USER, "--owner", ADMIN_USER, "--dry-run"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        check=True,
    )
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603
        [KEHU, "import", str(path), "--as-user", ADMIN_USER, "--owner", ADMIN_USER],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, started


# --- main -----------------------------------------------------------------------------------


def seconds_of(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smh]?)", text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 60s, 10m)")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=seconds_of, default="10m", help="the mix: 60s, 10m")
    parser.add_argument("--floor", type=seconds_of, default="30s", help="each floor phase")
    parser.add_argument("--warmup", type=seconds_of, default="5s", help="before each phase")
    parser.add_argument("--users", type=int, default=16, help="simulated clients, no wait")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: kehu's)")
    parser.add_argument("--threads", type=int, default=0, help="threads per worker (kehu's)")
    parser.add_argument("--import-rows", type=int, default=0, help="import N rows meanwhile")
    parser.add_argument("--customers", type=int, default=100_000, help="to build if empty")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default="", help="PostgreSQL; default SQLite")
    parser.add_argument("--data-dir", default="", help="default: a directory per N and database")
    parser.add_argument("--phases", default="floor,detail,mix", help="comma-separated subset")
    args = parser.parse_args()

    engine = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    data_dir = Path(
        args.data_dir or Path(tempfile.gettempdir()) / f"kehu-bench-{engine}-{args.customers}"
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    env = kehu_env(data_dir, args.database_url or None)
    print(f"Machine: {machine()}")
    print(f"Database: {engine}; data directory {data_dir}")
    subprocess.run([KEHU, "migrate", "-v0"], env=env, check=True)  # noqa: S603
    existing = customer_count(env)
    if existing:
        print(f"Using the archive there: {existing:,} customers.")
    else:
        build_archive(args.customers, args.seed, env)
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():  # the sign-in page needs it
        subprocess.run([KEHU, "collectstatic", "--noinput", "-v0"], env=env, check=True)  # noqa: S603
    sample = json.loads(django_run(env, SAMPLER, str(args.seed)))
    print(f"Customers sampled: {len(sample['ids']):,}; search names {len(sample['names'])}")
    token = api_token(env, ADMIN_USER)

    serve_env = dict(env)
    if args.workers:
        serve_env["KEHU_WEB_WORKERS"] = str(args.workers)
    if args.threads:
        serve_env["KEHU_WEB_THREADS"] = str(args.threads)
    workers = int(serve_env.get("KEHU_WEB_WORKERS", "3"))
    threads = int(serve_env.get("KEHU_WEB_THREADS", "4"))
    server = start_server(serve_env, workers, threads, data_dir / "load-server.log")
    watcher = gevent.spawn(server.watch)
    phases: list[Phase] = []
    importer = None
    try:
        wanted = args.phases.split(",")
        plan = [
            ("floor", "Floor: GET /api/v1/me", FloorUser, args.floor),
            ("detail", "Customer detail alone", DetailUser, args.floor),
            ("mix", "Mixed load", MixUser, args.duration),
        ]
        for key, title, base, seconds in plan:
            if key not in wanted:
                continue
            if key == "mix" and args.import_rows:
                importer = start_import(env, args.import_rows, data_dir, args.seed)
                title += f", with a {args.import_rows:,}-row import started with it"
            phase = run_phase(
                title, user_class(base, token, sample), args.users, seconds, server, args.warmup
            )
            phases.append(phase)
            print_phase(phase)
            sys.stdout.flush()
    finally:
        watcher.kill()
        os.killpg(server.process.pid, 15)
        server.process.wait(timeout=60)

    print(
        f"\n{engine}, gunicorn {workers} workers × {threads} threads, {args.users} clients "
        f"without think time; load average now {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    floor = next((p for p in phases if p.name.startswith("Floor")), None)
    for phase in phases:
        ratio = f" = {phase.total.rps / floor.total.rps:.0%} of the floor" if floor else ""
        cpu = phase.server_cpu / max(phase.total.requests, 1) * 1000
        floor_cpu = floor.server_cpu / max(floor.total.requests, 1) * 1000 if floor else cpu
        print(
            f"  {phase.name}: {phase.total.rps:.1f} req/s{ratio}, p99 {phase.total.p99:.0f} ms; "
            f"server CPU {cpu:.1f} ms a request ({floor_cpu / cpu:.0%} of the floor's rate)"
        )
    if importer is not None:
        process, started = importer
        running = process.poll() is None
        process.wait()
        took = time.monotonic() - started
        state = "still running when the mix ended; " if running else ""
        print(
            f"  Import of {args.import_rows:,} rows: {state}exit {process.returncode} after "
            f"{took:.0f} s (log {data_dir / 'load-import.log'})"
        )


if __name__ == "__main__":
    main()
