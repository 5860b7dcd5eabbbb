from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.core.backup import BackupError, backup_restore_here, read_passphrase


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty data directory and database (KEHU_DATA_DIR, "
        "DATABASE_URL), after checking every file against the manifest's checksums."
    )
    # The archive is empty (or absent): checks that read it would only get in the way.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The backup file (kehu backup).")
        parser.add_argument(
            "--passphrase-file", help="The file whose first line is the passphrase."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            passphrase = read_passphrase(options["passphrase_file"])
            manifest = backup_restore_here(archive=Path(options["file"]), passphrase=passphrase)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']}: {len(manifest['files'])} files, "
            "checksums verified."
        )
        if not manifest["includes_keys"]:
            self.stdout.write(
                "The backup holds no keys: put the archive's field-encryption key in place "
                "(data/field_encryption_key or KEHU_FIELD_ENCRYPTION_KEY; and field_lookup_key) "
                "before 'kehu setup' — 'kehu check' says whether it is the right one."
            )
        self.stdout.write("Next: kehu setup (applies any newer migrations), then kehu serve.")
