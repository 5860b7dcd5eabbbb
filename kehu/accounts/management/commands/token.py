from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kehu.accounts import services
from kehu.accounts.models import User


class Command(BaseCommand):
    help = "Create an API token and print it (it is shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token for USERNAME.")
        create.add_argument("username")
        create.add_argument("--name", default="command line")
        create.add_argument(
            "--days",
            type=int,
            help="Days until it expires. Default: 90 for a person's token; an integration "
            "account's lasts until revoked.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {options['username']!r}.")
        days = options["days"]
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        _row, token = services.api_token_create(
            user=user, name=options["name"], expires_at=expires_at
        )
        self.stdout.write(token)
