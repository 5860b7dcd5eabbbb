from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.accounts import services
from kehu.accounts.models import User


class Command(BaseCommand):
    help = "Create a personal API token and print it (it is shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token for USERNAME.")
        create.add_argument("username")
        create.add_argument("--name", default="command line")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {options['username']!r}.")
        _row, token = services.api_token_create(user=user, name=options["name"])
        self.stdout.write(token)
