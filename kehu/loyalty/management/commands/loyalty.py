"""``kehu loyalty care|nightly``: run the loyalty jobs now (the worker runs them daily)."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from kehu.loyalty import care, services


class Command(BaseCommand):
    help = "Make the care tasks due (care), or run expiry, the level review and reconciliation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=["care", "nightly"])
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        if options["job"] == "care":
            made = care.care_tasks_generate(today=today)
            self.stdout.write(f"{made} care tasks made.")
            return
        expired = services.points_expire(today=today)
        review = services.levels_review(today=today)
        check = services.ledger_reconcile()
        self.stdout.write(
            f"{expired} points expired; review {review}; {len(check.mismatches)} mismatches."
        )
