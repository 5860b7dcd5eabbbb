"""Benchmark the call-center webhook: 10,000 call events per concurrency level over HTTP.

    .venv/bin/python bench/call_webhook.py
    .venv/bin/python bench/call_webhook.py --customers 100000 --events 10000 --concurrency 1,4
    .venv/bin/python bench/call_webhook.py --database-url postgres://postgres@127.0.0.1:5432/kb

Builds a fresh demo archive in a data directory of its own (``kehu demo``), creates an
integration account (a service agent) with an API token and a round-robin lead assignment over
a demo team, starts the real server (``kehu serve --no-worker``) on a free port and posts call
events to ``POST /api/v1/integrations/calls``, one at a time and with several in parallel. The
mix: calls from numbers in the archive (customer and contact phones, typed in several formats),
calls from unknown numbers (each a new lead; some call twice), and repeated deliveries of a call
id already sent. Prints events/s and p50/p95/p99 latency, overall and per kind.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive_pages import (
    KEHU,
    PYTHON,
    build_archive,
    free_port,
    kehu_env,
    machine,
    start_server,
)

AGENT = "bench-callcenter"
# Mobile prefixes of the three carriers, for unknown callers with valid numbers.
MOBILE_PREFIXES = "130 131 133 135 136 137 138 139 150 151 152 158 159 177 180 186 188 189".split()
PATH = "/api/v1/integrations/calls"
SETUP = """
import json, django
django.setup()
from kehu.accounts.models import Team
from kehu.customers.models import Phone
from kehu.intake.models import LeadAssignment
team = Team.objects.order_by("id").first()
LeadAssignment.objects.update_or_create(
    pk=1, defaults={"rule": "round_robin" if team else "public_pool", "team": team}
)
rows = Phone.objects.order_by("?").values_list("number", flat=True)[:3000]
print(json.dumps({"numbers": list(rows), "team": team.name if team else None}))
"""


def django_python(env: dict[str, str], code: str) -> str:
    out = subprocess.run(  # noqa: S603 (our own interpreter)
        [PYTHON, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "kehu.config.settings"},
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def integration_token(env: dict[str, str]) -> str:
    subprocess.run(  # noqa: S603
        [KEHU, "user", "create", AGENT, "--role", "service_agent"],
        env=env,
        capture_output=True,  # exists already when the archive is reused
        check=False,
    )
    out = subprocess.run(  # noqa: S603
        [KEHU, "token", "create", AGENT, "--name", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


# --- the event mix ----------------------------------------------------------------------------


def typed(e164: str, rng: random.Random) -> str:
    """A stored number as a call center might send it."""
    if not e164.startswith("+86"):
        return e164
    national = e164[3:]
    if national.startswith("1") and len(national) == 11:  # mobile
        return rng.choice(
            [
                e164,
                national,
                f"+86 {national[:3]}-{national[3:7]}-{national[7:]}",
                f"0086{national}",
            ]
        )
    return rng.choice([e164, "0" + national])  # landline, with its trunk prefix


@dataclass
class Mix:
    known: list[str]
    rng: random.Random
    run: str
    sent: list[dict[str, object]] = field(default_factory=list)
    delivered: list[dict[str, object]] = field(default_factory=list)  # answered already
    unknown_used: list[str] = field(default_factory=list)

    def next(self) -> tuple[str, dict[str, object]]:
        roll = self.rng.random()
        if roll < 0.15 and self.delivered:
            return "repeat", self.rng.choice(self.delivered)
        if roll < 0.40:
            if self.unknown_used and self.rng.random() < 0.2:
                number = self.rng.choice(self.unknown_used)  # the new lead calls again
            else:
                prefix = self.rng.choice(MOBILE_PREFIXES)
                number = f"+86{prefix}{self.rng.randrange(10**8):08d}"
                self.unknown_used.append(number)
            kind = "unknown"
        else:
            number = self.rng.choice(self.known)
            kind = "known"
        started = datetime.now(UTC) - timedelta(minutes=self.rng.randint(1, 600))
        event: dict[str, object] = {
            "call_id": f"{self.run}-{len(self.sent)}",
            "caller": typed(number, self.rng),
            "callee": "400-800-8888",
            "direction": "inbound",
            "started_at": started.isoformat(),
            "ended_at": (started + timedelta(seconds=self.rng.randint(0, 900))).isoformat(),
            "agent": f"80{self.rng.randint(10, 99)}",
            "recording_url": f"https://rec.example.com/{self.run}/{len(self.sent)}.mp3",
            "ivr_path": self.rng.choice(["1", "1>2", "2>1>3", ""]),
            "notes": self.rng.choice(["", "咨询产品价格", "投诉物流延迟", "询问发票"]),
        }
        self.sent.append(event)
        return kind, event


@dataclass
class Result:
    concurrency: int
    wall: float
    times: dict[str, list[float]]
    errors: dict[int, int]

    @staticmethod
    def pct(values: list[float], p: float) -> float:
        t = sorted(values)
        return t[min(len(t) - 1, int(round(p / 100 * (len(t) - 1))))] * 1000

    def rows(self) -> list[str]:
        every = [t for times in self.times.values() for t in times]
        rows = []
        for kind, times in [("all", every), *sorted(self.times.items())]:
            rate = f"{len(every) / self.wall:>8.1f}" if kind == "all" else f"{'':>8}"
            errors = ", ".join(f"{n}×{c}" for c, n in sorted(self.errors.items())) or "-"
            rows.append(
                f"| {kind:<8} | {self.concurrency:>2} | {len(times):>6} | {rate} | "
                f"{self.pct(times, 50):>7.1f} | {self.pct(times, 95):>7.1f} | "
                f"{self.pct(times, 99):>7.1f} | {statistics.fmean(times) * 1000:>7.1f} | "
                f"{errors if kind == 'all' else ''} |"
            )
        return rows


def run(port: int, token: str, mix: Mix, events: int, concurrency: int) -> Result:
    lock = threading.Lock()
    times: dict[str, list[float]] = {}
    errors: dict[int, int] = {}
    remaining = [events]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if remaining[0] == 0:
                    conn.close()
                    return
                remaining[0] -= 1
                kind, event = mix.next()
            body = json.dumps(event)
            started = time.perf_counter()
            try:
                conn.request("POST", PATH, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 599
            elapsed = time.perf_counter() - started
            expected = 200 if kind == "repeat" else 201
            with lock:
                times.setdefault(kind, []).append(elapsed)
                if status != expected:
                    errors[status] = errors.get(status, 0) + 1
                elif kind != "repeat":
                    mix.delivered.append(event)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(concurrency, time.perf_counter() - started, times, errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000, help="demo archive size")
    parser.add_argument("--events", type=int, default=10_000, help="per concurrency level")
    parser.add_argument("--concurrency", default="1,4", help="comma-separated, e.g. 1,4")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default="", help="PostgreSQL; default SQLite")
    parser.add_argument("--data-dir", default="", help="default: a directory per N and database")
    args = parser.parse_args()

    engine = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    data_dir = Path(
        args.data_dir or Path(tempfile.gettempdir()) / f"kehu-bench-calls-{engine}-{args.customers}"
    )
    if data_dir.exists():
        # Every run adds leads and interactions: start from the same archive each time.
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = kehu_env(data_dir, args.database_url or None)
    print(f"Machine: {machine()}")
    print(f"Database: {engine}; data directory {data_dir}")
    load_seconds = build_archive(args.customers, args.seed, env)
    if load_seconds is not None:
        print(f"Loaded {args.customers:,} customers in {load_seconds:.1f} s")
    setup = json.loads(django_python(env, SETUP))
    known = setup["numbers"]
    print(f"{len(known):,} known numbers sampled; round robin over team {setup['team']!r}")
    token = integration_token(env)

    port = free_port()
    server = start_server(env, port, args.workers)
    rng = random.Random(args.seed)
    run_id = f"bench{int(time.time())}"
    results = []
    try:
        # Warm up: each worker loads the URL conf, translations and the phone metadata once.
        run(port, token, Mix(known, rng, f"{run_id}-warm"), 40, 4)
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            mix = Mix(known, rng, f"{run_id}-c{concurrency}")
            result = run(port, token, mix, args.events, concurrency)
            results.append(result)
            for row in result.rows():
                print(row, flush=True)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)

    print()
    print(
        f"{args.events:,} call events per run, {args.customers:,}-customer archive, {engine}, "
        f"gunicorn {args.workers} workers; times in ms"
    )
    print("| kind     |  c |      n | events/s |     p50 |     p95 |     p99 |    mean | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for result in results:
        for row in result.rows():
            print(row)
    print()
    print(
        "kinds: known = number in the archive (customer or contact phone, various formats); "
        "unknown = new number, becomes a lead (20% of them call again and match it); "
        "repeat = a call id delivered again (answered 200, nothing written)."
    )


if __name__ == "__main__":
    main()
