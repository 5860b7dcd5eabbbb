import itertools
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from kehu.accounts.models import Membership, Role, User
from kehu.accounts.services import user_create
from kehu.customers.demo import customer_names
from kehu.customers.models import Customer

DEMO_PASSWORD_DEFAULT = "kehu-demo-2026"  # noqa: S105 (demo accounts, printed on load)
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
BATCH = 5000


class Command(BaseCommand):
    help = (
        "Load demo data: teams, one user per role (password KEHU_DEMO_PASSWORD, default "
        f"'{DEMO_PASSWORD_DEFAULT}') and Chinese sample customers spread over the sales reps."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=300, help="How many (default 300).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when customers already exist."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Customer.objects.exists():
            self.stdout.write("Customers exist already; demo data not loaded.")
            return
        password = os.environ.get("KEHU_DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)
        reps = self._users(password)
        created = self._customers(options["customers"], reps)
        self.stdout.write(f"Demo data: {created} customers; users (password {password!r}):")
        for username, role, name, team, manager in DEMO_USERS:
            extra = f", {team}" + (" manager" if manager else "") if team else ""
            self.stdout.write(f"  {username:<11} {Role(role).label} ({name}{extra})")

    def _users(self, password: str) -> list[User]:
        reps = []
        for username, role, name, team, manager in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(
                    username=username,
                    role=role,
                    password=password,
                    display_name=name,
                    team_name=team,
                    is_team_manager=manager,
                )
            if role == Role.SALES_REP:
                reps.append(user)
        return reps

    def _customers(self, count: int, reps: list[User]) -> int:
        teams = {
            m.user_id: m.team
            for m in Membership.objects.filter(user__in=reps).select_related("team")
        }
        owners: itertools.cycle[User | None] = itertools.cycle([*reps, None])  # None: public pool
        start = Customer.objects.count()
        names = customer_names(count, seed=2026 + start)
        created = 0
        while batch := list(itertools.islice(names, BATCH)):
            rows = []
            for name, is_org in batch:
                owner = next(owners)
                rows.append(
                    Customer(
                        name=name,
                        kind=Customer.Kind.ORGANIZATION if is_org else Customer.Kind.PERSON,
                        owner=owner,
                        team=teams.get(owner.pk) if owner else None,
                    )
                )
            with transaction.atomic():
                Customer.objects.bulk_create(rows)
            created += len(rows)
        return created
