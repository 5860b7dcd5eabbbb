"""``kehu oversight nightly|dashboards``: run the key-account jobs now (the worker runs them
every night): the whole archive's risks, then the kept dashboards of the current period
(``dashboards`` alone: only the dashboards, e.g. after a large import)."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from kehu.oversight import services
from kehu.oversight.risk import risk_run


class Command(BaseCommand):
    help = "Compute every customer's risk and keep the dashboards again, or the dashboards only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=["nightly", "dashboards"])
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        if options["job"] == "nightly":
            run = risk_run(full=True, today=today)
            self.stdout.write(f"Risks: {run.customers:,} customers at risk, {run.alerts:,} alerts.")
        kept = services.dashboards_keep_all(today)
        self.stdout.write(f"Dashboards kept: {kept}.")
