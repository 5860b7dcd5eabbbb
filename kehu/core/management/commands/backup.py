from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kehu.core.backup import BackupError, backup_create, backup_name, read_passphrase


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the running archive (database, files, manifest with "
        "checksums) to one file, optionally encrypted with a passphrase. The field-encryption "
        "key is not in it unless --include-key: keep the key apart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "target",
            nargs="?",
            help="The backup file to write (default: kehu-YYYYMMDD-HHMMSS.kehubak here).",
        )
        parser.add_argument(
            "--passphrase-file",
            help="Encrypt with the passphrase in the first line of this file (scrypt + Fernet).",
        )
        parser.add_argument(
            "--include-key",
            action="store_true",
            help="Also put the encryption and lookup keys and Django's secret key in the file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["target"] or backup_name(timezone.localtime()))
        try:
            passphrase = read_passphrase(options["passphrase_file"])
            result = backup_create(
                target=target, passphrase=passphrase, include_key=options["include_key"]
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        state = "encrypted" if result.encrypted else "NOT encrypted"
        self.stdout.write(
            f"Backup written: {result.path} ({result.size / 1e6:.1f} MB, {result.files} files, "
            f"{state})."
        )
        if options["include_key"]:
            self.stdout.write(
                "It includes the encryption key: whoever has this file can read every "
                "encrypted field. Keep it as safe as the key itself."
            )
        else:
            self.stdout.write(
                "The encryption key is not in it: keep a copy of the key (data/"
                "field_encryption_key or KEHU_FIELD_ENCRYPTION_KEY) apart from the backups."
            )
