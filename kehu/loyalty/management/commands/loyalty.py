"""``kehu loyalty care|nightly``: run the loyalty jobs now (the worker runs them daily);
``kehu loyalty import FILE --user NAME [--dry-run]``: the membership import page's import
(``kehu.loyalty.member_import``) of a CSV or XLSX file: a customer key (customer number, ID
number, credit code or phone), and optionally card number, level, join date and opening
points; each bad row is printed with its number and reason."""

from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kehu.accounts.models import User
from kehu.loyalty import care, member_import, services


class Command(BaseCommand):
    help = "Make the care tasks due (care), or run expiry, the level review and reconciliation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=["care", "nightly", "import"])
        parser.add_argument("file", nargs="?", type=Path, help="import: the CSV file")
        parser.add_argument("--user", help="import: who imports (a programme manager)")
        parser.add_argument("--dry-run", action="store_true", help="import: check, write nothing")
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        if options["job"] == "import":
            self._import(options["file"], options["user"], options["dry_run"])
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

    def _import(self, file: Path | None, username: str | None, dry_run: bool) -> None:
        if file is None or not username:
            raise CommandError("import needs FILE and --user.")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        try:
            with file.open("rb") as handle:
                report = member_import.members_import_upload(
                    user=user, upload=handle, name=file.name
                )
            if not dry_run:
                report = member_import.members_import_run(
                    user=user, token=report.token, name=file.name
                )
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        for line in report.problem_lines:
            where = " ".join(
                str(p) for p in (line["column"], line["value"] and repr(line["value"])) if p
            )
            self.stderr.write(f"row {line['row']}: {where}: {line['message']}")
        self.stdout.write(
            f"{report.enrolling} {'enrolled' if report.imported else 'to enrol (dry run)'}, "
            f"{len(report.already)} members already, {len(report.problems)} rows with problems."
        )
