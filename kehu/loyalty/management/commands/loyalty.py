"""``kehu loyalty care|nightly``: run the loyalty jobs now (the worker runs them daily);
``kehu loyalty import FILE --user NAME``: enrol the customers of a CSV file (columns
``customer_id`` and optionally ``level`` (a level's code) and ``joined_on`` (YYYY-MM-DD))."""

import csv
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kehu.accounts.models import User
from kehu.loyalty import care, services


class Command(BaseCommand):
    help = "Make the care tasks due (care), or run expiry, the level review and reconciliation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=["care", "nightly", "import"])
        parser.add_argument("file", nargs="?", type=Path, help="import: the CSV file")
        parser.add_argument("--user", help="import: who imports (a programme manager)")
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        if options["job"] == "import":
            self._import(options["file"], options["user"])
            return
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

    def _import(self, file: Path | None, username: str | None) -> None:
        if file is None or not username:
            raise CommandError("import needs FILE and --user.")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        try:
            with file.open(encoding="utf-8-sig", newline="") as handle:
                rows = [
                    services.ImportRow(
                        customer_id=int(r["customer_id"]),
                        level_code=(r.get("level") or "").strip(),
                        joined_on=date.fromisoformat(r["joined_on"])
                        if r.get("joined_on")
                        else None,
                    )
                    for r in csv.DictReader(handle)
                ]
        except (KeyError, ValueError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        counts = services.members_import(user=user, rows=rows)
        self.stdout.write(
            f"{counts['enrolled']} enrolled, {counts['already']} members already, "
            f"{counts['unknown']} unknown customers or levels."
        )
