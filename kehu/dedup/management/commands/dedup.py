"""``kehu dedup find [--threshold W]``: search the whole archive for duplicates now."""

import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.dedup.finder import DEFAULT_THRESHOLD
from kehu.dedup.selectors import duplicates_pending_count
from kehu.dedup.services import duplicate_run_create, duplicate_run_execute


class Command(BaseCommand):
    help = "Find likely duplicate customers; they wait in the review queue (Duplicates)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["find"])
        parser.add_argument(
            "--threshold",
            type=float,
            default=DEFAULT_THRESHOLD,
            help=f"Keep pairs with at least this match weight (default {DEFAULT_THRESHOLD}).",
        )

    def handle(self, *args: Any, action: str, threshold: float, **options: Any) -> None:
        try:
            run = duplicate_run_create(threshold=threshold)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        started = time.monotonic()
        shown: list[tuple[str, int]] = [("", -10)]

        def progress(stage: str, percent: int) -> None:
            if stage != shown[0][0] or percent >= shown[0][1] + 10:
                shown[0] = (stage, percent)
                self.stdout.write(f"  {stage} {percent}%  ({time.monotonic() - started:.0f} s)")

        run = duplicate_run_execute(run_id=run.pk, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"{run.customers:,} customers, {run.pairs_compared:,} pairs compared, "
                f"{run.candidates:,} likely duplicates ({run.new_candidates:,} new) in "
                f"{time.monotonic() - started:.1f} s; {duplicates_pending_count():,} to review."
            )
        )
