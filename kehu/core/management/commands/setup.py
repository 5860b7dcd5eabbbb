import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.crypto import get_random_string

from kehu.accounts import services
from kehu.accounts.models import Role, User
from kehu.core import keys


class Command(BaseCommand):
    help = (
        "Prepare an install: compile translations, collect static files, apply migrations and "
        "create the first admin if there is none (KEHU_ADMIN_USERNAME / KEHU_ADMIN_PASSWORD, "
        "else 'admin' with a random password printed once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-static", action="store_true", help="Skip collectstatic.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("compiletranslations", verbosity=0)
        if not options["no_static"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database is up to date.")
        keys.require_readable_keys()
        keys.canaries_record()
        if User.objects.filter(role=Role.ADMIN, is_active=True).exists():
            return
        username = os.environ.get("KEHU_ADMIN_USERNAME", "admin")
        given = os.environ.get("KEHU_ADMIN_PASSWORD")
        password = given or get_random_string(20)
        services.user_create(
            username=username, role=Role.ADMIN, password=password, display_name="Administrator"
        )
        border = "=" * 64
        self.stdout.write(border)
        self.stdout.write(f"First administrator created: {username}")
        if not given:
            self.stdout.write(f"Password (shown only now, write it down): {password}")
        self.stdout.write(border)
