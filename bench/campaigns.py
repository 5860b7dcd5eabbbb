"""Benchmark marketing campaigns: launching to N members with their e-mails queued, sending
throughput to a local SMTP server (aiosmtpd), and the results page.

    .venv/bin/python bench/campaigns.py --customers 100000 --send 2000

Builds a demo archive of N customers (``kehu demo --order-lines 0``) in a temporary data
directory (SQLite unless ``--database-url``), gives every customer an e-mail address and a
marketing-e-mail consent, then times:

- launch: ``campaign_launch`` of a campaign whose segment is the whole archive — audience
  snapshot into members, the exclusion queries (do not contact, consent, frequency cap), the
  10 % control group, one queued e-mail per target member. Target (issue 20): under 60 s at
  100,000. Floor: the raw insert of N member rows alone (``core.bulk.insert_rows``).
- sending: ``sends_process`` of the first S queued e-mails through Django's SMTP backend to an
  aiosmtpd server on 127.0.0.1 (render, send, interaction, status), throttle off. Floor:
  Django's ``send_messages`` of S plain messages on one connection.
- results page (after the rest of the queue is marked sent and ``--buyers`` of the members,
  targets and control, are given an order today, so there is something to attribute):
  GET /campaigns/ID/results/ as the marketer, p50/p95 over R requests: with the kept
  figures current; after the campaign changed before each request (the kept figures shown
  as stale, their computation queued); and with nothing kept before each (the first view,
  computed on the request). Then the background computation itself, R times. Target: p95
  under 200 ms. Floor: GET /healthz.

``--data-dir DIR`` keeps the archive in DIR; ``--results-only`` then times only the results
page of the last "bench" campaign already there (before/after a change on the same data):

    .venv/bin/python bench/campaigns.py --data-dir /tmp/x --customers 100000   # builds
    .venv/bin/python bench/campaigns.py --data-dir /tmp/x --results-only --requests 20
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive_pages import client_times

KEHU = Path(sys.executable).parent / "kehu"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--data-dir", default="", help="keep the archive here (default: a new temporary directory)"
    )
    parser.add_argument(
        "--results-only",
        action="store_true",
        help="time only the results page of the archive already in --data-dir",
    )
    parser.add_argument(
        "--buyers",
        type=float,
        default=0.3,
        help="share of the members (targets and control) given an order after the launch",
    )
    args = parser.parse_args()
    if args.results_only and not args.data_dir:
        parser.error("--results-only needs --data-dir")
    os.environ["KEHU_DATA_DIR"] = (
        args.data_dir
        or os.environ.get("KEHU_DATA_DIR")
        or tempfile.mkdtemp(prefix="kehu-campaign-bench-")
    )
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    os.environ["KEHU_MARKETING_PER_SECOND"] = "1000000"
    if args.results_only:
        import django

        django.setup()
        results_only(args)
        return
    subprocess.run([KEHU, "setup", "--no-static"], check=True, capture_output=True)  # noqa: S603
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (our own kehu script, fixed arguments)
        [KEHU, "demo", "--customers", str(args.customers), "--seed", str(args.seed),
         "--order-lines", "0", "--service", "0"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    load = time.perf_counter() - started
    import django

    django.setup()
    run(args, load)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(args: argparse.Namespace, load: float) -> None:
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.core.mail import EmailMessage, get_connection
    from django.db import connection, transaction
    from django.urls import reverse
    from django.utils import timezone

    from kehu.accounts.models import Role, User
    from kehu.core.bulk import insert_rows
    from kehu.customers.models import Customer, Email
    from kehu.customers.segments import segment_save
    from kehu.customers.selectors import CustomerFilters
    from kehu.marketing import services
    from kehu.marketing.models import Campaign, CampaignMember, Send
    from kehu.privacy.models import ConsentRecord
    from kehu.sales.models import Order

    marketer = User.objects.filter(role=Role.MARKETER).first()
    if marketer is None:
        raise SystemExit("no marketer in the demo archive")
    ids = list(Customer.objects.live().order_by("id").values_list("id", flat=True))
    has_email = set(Email.objects.values_list("customer_id", flat=True))
    Email.objects.bulk_create(
        (Email(customer_id=i, address=f"c{i}@example.com") for i in ids if i not in has_email),
        batch_size=5000,
    )
    now = timezone.now()
    ConsentRecord.objects.bulk_create(
        (
            ConsentRecord(customer_id=i, purpose="marketing_email", granted=True, at=now,
                          method="web_form")
            for i in ids
        ),
        batch_size=5000,
    )  # fmt: skip
    segment = segment_save(user=marketer, name="bench all", filters=CustomerFilters())
    campaign = services.campaign_create(
        user=marketer,
        name="bench",
        starts_on=now.date(),
        ends_on=now.date(),
        channels=["email"],
        control_percent=10,
        segment_ids=[segment.pk],
    )
    services.template_save(
        user=marketer, campaign=campaign, channel="email", language="zh-hans",
        subject="{{ salutation }}，新品到了", body="{{ salutation }}您好：\n{{ owner }}为您推荐。\n"
        "退订：{{ unsubscribe_url }}",
    )  # fmt: skip
    # floor: the raw insert of the member rows alone
    scratch = Campaign.objects.create(
        name="floor", code="floor", owner=marketer, starts_on=now.date(), ends_on=now.date()
    )
    columns = ["campaign_id", "customer_id", "group", "excluded_reason", "added_at"]
    stamp = now if connection.vendor == "postgresql" else now.isoformat(sep=" ")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        insert_rows(
            cursor,
            CampaignMember._meta.db_table,
            columns,
            [(scratch.pk, i, "target", "", stamp) for i in ids],
        )
    floor_insert = time.perf_counter() - started
    scratch.delete()
    started = time.perf_counter()
    launched = services.campaign_launch(user=marketer, campaign=campaign)
    launch = time.perf_counter() - started
    queued = Send.objects.filter(campaign=launched).count()

    # sending to a local SMTP server
    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    reverse("marketing:list")  # load the URLconf (and the API) before timing
    n = min(args.send, queued)
    plain = [EmailMessage("x", "y", "a@example.com", [f"r{i}@example.com"]) for i in range(n)]
    started = time.perf_counter()
    conn = get_connection()
    conn.send_messages(plain)
    conn.close()
    floor_send = time.perf_counter() - started
    started = time.perf_counter()
    counts = services.sends_process(campaign_id=launched.pk, channel="email", limit=n)
    send = time.perf_counter() - started
    controller.stop()

    # The rest of the sending done (no timing), and orders for a share of the members, so that
    # the results page has touches and orders to attribute.
    Send.objects.filter(campaign=launched, status=Send.Status.QUEUED).update(
        status=Send.Status.SENT, sent_at=timezone.now(), sent_on=timezone.localdate()
    )
    member_customers = list(
        CampaignMember.objects.filter(campaign=launched)
        .exclude(group="excluded")
        .order_by("id")
        .values_list("customer_id", flat=True)
    )
    step = max(1, round(1 / args.buyers)) if args.buyers > 0 else 0
    buyers = member_customers[::step] if step else []
    Order.objects.bulk_create(
        (
            Order(number=f"B{n:09d}", customer_id=cid, ordered_on=timezone.localdate(),
                  status=Order.Status.DELIVERED, total_amount=Decimal(100 + n % 500))
            for n, cid in enumerate(buyers)
        ),
        batch_size=5000,
    )  # fmt: skip

    times = results_timings(marketer, launched.pk, args.requests)
    rows = [
        ("launch: members + queued e-mails (s)", f"{launch:.1f}", f"{floor_insert:.1f}"),
        (
            "  members / control / queued",
            f"{launched.member_count:,} / {launched.control_count:,} / {queued:,}",
            "",
        ),
        (f"send {n} e-mails to aiosmtpd (msg/s)", f"{n / send:,.0f}", f"{n / floor_send:,.0f}"),
        ("  sent / failed", f"{counts['sent']:,} / {counts['failed']:,}", ""),
        ("  touches / orders to attribute", f"{queued:,} / {len(buyers):,}", ""),
        *results_rows(times),
    ]
    print(f"\nCampaigns: {len(ids):,} customers ({connection.vendor}); demo load {load:.0f} s")
    print_rows(rows)


def results_timings(marketer: object, campaign_id: int, requests: int) -> dict[str, list[float]]:
    """GET the campaign's results page ``requests`` times in each state, then /healthz, and
    time the background computation as often: the times in ms, by state."""
    from django.test import Client
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from kehu.core.kept import queued_started
    from kehu.marketing import selectors
    from kehu.marketing.models import Campaign, KeptResults

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(marketer)
    url = f"/campaigns/{campaign_id}/results/"

    def timings(path: str, before=lambda: None) -> list[float]:
        return client_times(client, path, requests, before)

    def nothing_kept() -> None:
        KeptResults.objects.filter(campaign_id=campaign_id).delete()

    def changed() -> None:  # as a send or response does; the queued flag gone, so it queues
        Campaign.objects.filter(pk=campaign_id).update(updated_at=timezone.now())
        queued_started(selectors._queued_key(campaign_id, timezone.localdate()))

    def computation() -> list[float]:
        campaign = Campaign.objects.get(pk=campaign_id)
        out = []
        for _ in range(requests):
            t = time.perf_counter()
            selectors.campaign_results_keep(campaign, timezone.localdate())
            out.append((time.perf_counter() - t) * 1000)
        return out

    found = {
        "first": timings(url, nothing_kept),
        "kept": timings(url),
        "changed": timings(url, changed),
        "computation": computation(),
        "health": timings("/healthz"),
    }
    HUEY.flush()  # the computations the "changed" requests queued
    return found


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def results_rows(times: dict[str, list[float]]) -> list[tuple[str, str, str]]:
    def p50_p95(state: str) -> str:
        return f"{p(times[state], 50):.0f} / {p(times[state], 95):.0f}"

    floor = f"{p(times['health'], 95):.1f}"
    return [
        ("results page p50 / p95, kept figures (ms)", p50_p95("kept"), floor),
        ("  campaign changed: kept, stale, queued", p50_p95("changed"), ""),
        ("  first view, nothing kept: computed", p50_p95("first"), ""),
        ("background computation p50 / p95 (ms)", p50_p95("computation"), ""),
    ]  # fmt: skip


def print_rows(rows: list[tuple[str, str, str]]) -> None:
    print(f"{'what':<42}{'figure':>26}{'floor':>12}")
    for what, figure, floor in rows:
        print(f"{what:<42}{figure:>26}{floor:>12}")


def results_only(args: argparse.Namespace) -> None:
    from django.db import connection

    from kehu.accounts.models import Role, User
    from kehu.marketing.models import Campaign, CampaignMember, Send

    marketer = User.objects.filter(role=Role.MARKETER).first()
    campaign = Campaign.objects.filter(name="bench", launched_at__isnull=False).last()
    if marketer is None or campaign is None:
        raise SystemExit(f"no launched bench campaign in {args.data_dir}")
    members = CampaignMember.objects.filter(campaign=campaign).count()
    touches = Send.objects.filter(campaign=campaign, status=Send.Status.SENT).count()
    times = results_timings(marketer, campaign.pk, args.requests)
    print(
        f"\nCampaign results: {members:,} members, {touches:,} touches ({connection.vendor}),"
        f" {args.requests} requests"
    )
    print_rows(results_rows(times))


if __name__ == "__main__":
    main()
