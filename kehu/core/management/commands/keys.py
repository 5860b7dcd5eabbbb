import secrets
from typing import Any

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.core import keys
from kehu.core.models import KeyCanary, KeyRotation


class Command(BaseCommand):
    help = "The archive's keys: make new ones, show which are in use, rotate to new ones."
    requires_system_checks: list[str] = []  # `keys status` must work when the keys are wrong

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        new = sub.add_parser("new", help="Print a new field-encryption key (or lookup key).")
        new.add_argument("--lookup", action="store_true", help="A lookup-hash key instead.")
        sub.add_parser("status", help="Which keys are configured and in use; any problem.")
        sub.add_parser(
            "rotate",
            help="Re-encrypt every value under the first field key and recompute every lookup "
            "hash under the first lookup key; resumable, Kehu keeps serving.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "new":
            lookup = options["lookup"]
            self.stdout.write(
                secrets.token_urlsafe(32) if lookup else Fernet.generate_key().decode()
            )
        elif action == "status":
            self._status()
        else:
            self._rotate()

    def _status(self) -> None:
        from django.conf import settings

        field = keys.field_keys()
        self.stdout.write("Field-encryption keys (first encrypts): " + ", ".join(
            keys.fingerprint(k) for k in field))  # fmt: skip
        own = settings.FIELD_LOOKUP_KEYS
        self.stdout.write("Lookup keys (first hashes): " + (
            ", ".join(keys.fingerprint(k.encode()) for k in own) if own
            else "none of its own: derived from the field-encryption key"))  # fmt: skip
        self.stdout.write(
            "Lookup hashes of the old derivation may exist: "
            + ("yes (run kehu keys rotate)" if keys.legacy_lookups_in_use() else "no")
        )
        for canary in KeyCanary.objects.order_by("purpose", "created_at"):
            self.stdout.write(f"  canary {canary.purpose:<6} {canary.fingerprint}")
        last = KeyRotation.objects.first()
        if last is not None:
            if last.finished_at:
                state = f"finished {last.finished_at:%Y-%m-%d %H:%M}"
            else:
                state = f"unfinished at {last.step or 'start'} (run kehu keys rotate to resume)"
            self.stdout.write(f"Last rotation: {state}")
        problems = keys.key_problems()
        for problem in problems:
            self.stderr.write(f"PROBLEM: {problem}")
        if problems:
            raise CommandError("The configured keys cannot read this archive.")

    def _rotate(self) -> None:
        from kehu.core.rotation import keys_rotate

        problems = keys.key_problems()
        if problems:
            raise CommandError(" ".join(problems))
        shown: dict[str, int] = {}

        def progress(step: str, done: int, total: int) -> None:
            if done == total or done - shown.get(step, 0) >= 5000:
                shown[step] = done
                self.stdout.write(f"  {step}: {done}/{total}")

        rotation = keys_rotate(progress=progress)
        self.stdout.write(
            f"Rotated to field key {rotation.field_key} and lookup key {rotation.lookup_key}. "
            "Old keys may now be removed from the configuration (keep a copy with the backups "
            "made before today)."
        )
