import os
import time
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kehu.accounts.models import Role, User
from kehu.accounts.services import user_create
from kehu.customers.models import Customer
from kehu.demo.customers import DEMO_PASSWORD_DEFAULT, DemoStaff
from kehu.demo.customers_load import demo_customers_load

# username, role, display name, team, team manager
DEMO_USERS = [
    ("zhaoqiang", Role.SALES_REP, "赵强", "华东销售部", True),
    ("liuyang", Role.SALES_REP, "刘洋", "华东销售部", False),
    ("chenjing", Role.SALES_REP, "陈静", "华南销售部", False),
    ("wangfang", Role.ARCHIVE_ADMIN, "王芳", None, False),
    ("sunli", Role.SERVICE_AGENT, "孙丽", "客服中心", False),
    ("zhoumin", Role.MARKETER, "周敏", "市场部", False),
    ("lijun", Role.LEADER, "李军", None, False),
]
STAFF = DemoStaff(
    owners=("zhaoqiang", "liuyang", "chenjing"),
    service="sunli",
    marketing="zhoumin",
    archive="wangfang",
)


class Command(BaseCommand):
    help = (
        "Load demo data: teams, one user per role (password KEHU_DEMO_PASSWORD, default "
        f"'{DEMO_PASSWORD_DEFAULT}') and Chinese sample customers with profiles, contacts and "
        "two years of history, spread over the sales reps and the public pool."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=300, help="How many (default 300).")
        parser.add_argument(
            "--seed", type=int, default=2026, help="The same seed gives the same customers."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when customers already exist."
        )
        parser.add_argument(
            "--order-lines",
            type=int,
            default=None,
            help="Demo order lines over all customers (default 10 per customer; 0: none).",
        )
        parser.add_argument(
            "--service",
            type=float,
            default=1.0,
            help="Demo service cases, ratings and feedback, as a multiple of the usual rates "
            "(default 1: about one customer in twelve opened a case last year; 0: none).",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load demo data although KEHU_ENV=production (then KEHU_DEMO_PASSWORD must be "
            "set to a password other than the published one).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Customer.objects.exists():
            self.stdout.write("Customers exist already; demo data not loaded.")
            return
        password = os.environ.get("KEHU_DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)
        if settings.PRODUCTION:
            if not options["allow_production"]:
                raise CommandError(
                    "KEHU_ENV=production: demo accounts with a published password are not "
                    "created. Use --allow-production with KEHU_DEMO_PASSWORD if you mean it."
                )
            if password == DEMO_PASSWORD_DEFAULT:
                raise CommandError(
                    "KEHU_ENV=production: set KEHU_DEMO_PASSWORD to a password of your own."
                )
        self._users(password)
        count = options["customers"]
        # History ends at today's midnight, so a seed gives the same archive all day.
        midnight = timezone.make_aware(datetime.combine(timezone.localdate(), clock.min))
        started = time.monotonic()
        shown = [started]

        def progress(done: int) -> None:
            now = time.monotonic()
            if done == count or now - shown[0] >= 2:
                shown[0] = now
                rate = done / max(now - started, 1e-6)
                self.stdout.write(f"  {done:>10,} / {count:,} customers  ({rate:,.0f}/s)")

        created = demo_customers_load(
            count=count,
            seed=options["seed"],
            staff=STAFF,
            now=midnight - timedelta(microseconds=1),
            progress=progress if count >= 10_000 else None,
        )
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Demo data: {created:,} customers in {elapsed:.1f} s; users (password {password!r}):"
        )
        for username, role, name, team, manager in DEMO_USERS:
            extra = f", {team}" + (" manager" if manager else "") if team else ""
            self.stdout.write(f"  {username:<11} {Role(role).label} ({name}{extra})")
        lines = options["order_lines"]
        if lines is None or lines > 0:
            from kehu.demo.sales_load import demo_sales_report

            lines = 10 * Customer.objects.count() if lines is None else lines
            demo_sales_report(order_lines=lines, seed=options["seed"], write=self.stdout.write)
            from kehu.analytics.services import analytics_refresh_report

            analytics_refresh_report(write=self.stdout.write)
            from kehu.basket.services import demo_mining_report

            demo_mining_report(write=self.stdout.write)
        if options["service"] > 0:
            from kehu.demo.service_load import demo_service_report

            demo_service_report(
                seed=options["seed"],
                agent=STAFF.service,
                scale=options["service"],
                write=self.stdout.write,
            )
        if lines is None or lines > 0:
            from kehu.demo.loyalty_load import demo_loyalty_report

            demo_loyalty_report(seed=options["seed"], write=self.stdout.write)
        from kehu.demo.knowledge import demo_knowledge_report

        demo_knowledge_report(write=self.stdout.write)
        from kehu.demo.marketing_load import demo_marketing_report

        demo_marketing_report(seed=options["seed"], write=self.stdout.write)
        from kehu.demo.surveys_load import demo_surveys_report

        demo_surveys_report(marketer=STAFF.marketing, seed=options["seed"], write=self.stdout.write)

        self._work(options["seed"])

    def _work(self, seed: int) -> None:
        """Recent contacts, follow-ups and tasks around today: my work, calendar, homes."""
        from kehu.demo.interactions_load import demo_interactions_load
        from kehu.demo.sales_load import demo_opportunity_products_load
        from kehu.demo.tasks_load import demo_tasks_load

        today = timezone.localdate()
        reps = list(STAFF.owners)
        interactions = demo_interactions_load(reps=reps, seed=seed, today=today)
        tasks = demo_tasks_load(reps=reps, agent=STAFF.service, seed=seed, today=today)
        self.stdout.write(f"Demo work: {interactions:,} recent interactions, {tasks:,} tasks.")
        lines = demo_opportunity_products_load(owners=reps, seed=seed)
        self.stdout.write(f"Demo opportunities: {lines:,} product lines.")
        from kehu.demo.oversight_load import demo_oversight_report

        demo_oversight_report(staff=STAFF, write=self.stdout.write)

    def _users(self, password: str) -> None:
        for username, role, name, team, manager in DEMO_USERS:
            if not User.objects.filter(username=username).exists():
                user_create(
                    username=username,
                    role=role,
                    password=password,
                    display_name=name,
                    team_name=team,
                    is_team_manager=manager,
                )
