"""``kehu import FILE --mapping NAME``: import customers from a CSV or XLSX file, with progress.

Running it again on the same file continues an interrupted import from its last chunk.
"""

import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.accounts.models import User
from kehu.core.access import can_administer_archive
from kehu.imports import services
from kehu.imports.models import ImportBatch


class Command(BaseCommand):
    help = "Import customers from a CSV or XLSX file after its dry run (--dry-run: only that)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--mapping", default="", help="A saved column mapping (its name).")
        parser.add_argument(
            "--kind",
            default="person",
            choices=["person", "organization", "orders"],
            help="orders: order history, one row per order line.",
        )
        parser.add_argument(
            "--refuse-unknown-products",
            action="store_true",
            help="Order history: refuse rows of products not in the catalogue.",
        )
        parser.add_argument("--channel", default=services.DEFAULT_CHANNEL, help="Channel code.")
        parser.add_argument("--owner", default="", help="Owner's username (none: public pool).")
        parser.add_argument(
            "--duplicates", default="skip", choices=[c.value for c in ImportBatch.Duplicates]
        )
        parser.add_argument("--dry-run", action="store_true", help="Only check the rows.")
        parser.add_argument(
            "--as-user", default="", help="The archive administrator the import is recorded as."
        )

    def _user(self, username: str) -> User:
        users = User.objects.filter(is_active=True).order_by("id")
        user = users.filter(username=username).first() if username else None
        if user is None and not username:
            user = next((u for u in users if can_administer_archive(u)), None)
        if user is None or not can_administer_archive(user):
            raise CommandError("Give --as-user: an active archive administrator or admin.")
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = self._user(options["as_user"])
        started = time.monotonic()

        def progress(batch: ImportBatch) -> None:
            done = batch.processed_rows if batch.status == "importing" else batch.checked_rows
            total = batch.total_rows or 0
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stdout.write(f"\r{done:,}/{total:,} rows  {rate:,.0f} rows/s", ending="")
            self.stdout.flush()

        try:
            with path.open("rb") as handle:
                batch = services.import_upload(
                    user=user,
                    upload=handle,
                    name=path.name,
                    kind=options["kind"],
                    channel=options["channel"],
                    owner=options["owner"] or None,
                    duplicates=options["duplicates"],
                    mapping=options["mapping"] or None,
                    create_products=not options["refuse_unknown_products"],
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if batch.processed_rows:
            self.stdout.write(f"Continuing import #{batch.pk} after row {batch.processed_rows:,}.")
        self.stdout.write(
            f"Import #{batch.pk}: {', '.join(f'{h} → {c}' for h, c in batch.mapping.items())}"
        )
        checked = batch.checked_hash == batch.content_hash
        if options["dry_run"] or not checked:
            # An import starts only after a dry run of the same file passed.
            batch = services.import_dry_run(batch_id=batch.pk, progress=progress)
            self.stdout.write("")
            self._summary(batch, dry=True)
        if not options["dry_run"] and batch.status != ImportBatch.Status.FAILED:
            batch = services.import_run(batch_id=batch.pk, progress=progress)
            self.stdout.write("")
            self._summary(batch, dry=False)
        if batch.status == ImportBatch.Status.FAILED:
            sys.exit(1)

    def _summary(self, batch: ImportBatch, *, dry: bool) -> None:
        if batch.status == ImportBatch.Status.FAILED:
            self.stderr.write(f"Import #{batch.pk} failed: {batch.error}")
            return
        if dry:
            matched = (
                "to skip: order in the archive"
                if batch.kind == "orders"
                else "match existing customers"
            )
            self.stdout.write(
                f"Checked {batch.checked_rows:,} rows: {batch.valid_rows:,} valid "
                f"({batch.duplicate_rows:,} {matched}), "
                f"{batch.invalid_rows:,} invalid."
            )
        else:
            self.stdout.write(
                f"Import #{batch.pk} done: {batch.created_count:,} created, "
                f"{batch.updated_count:,} updated, {batch.skipped_count:,} skipped, "
                f"{batch.invalid_rows:,} invalid."
            )
