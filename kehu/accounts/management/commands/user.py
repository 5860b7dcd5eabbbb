from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.accounts import selectors, services, twofactor
from kehu.accounts.models import Role, User


class Command(BaseCommand):
    help = "Create, disable or list users; reset a user's two-factor sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a user.")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--team", help="Team name; created if new.")
        create.add_argument("--manager", action="store_true", help="Make them the team's manager.")
        create.add_argument("--password", help="Without it, a random password is printed.")
        create.add_argument("--display-name", default="")
        create.add_argument("--email", default="")
        create.add_argument(
            "--integration",
            action="store_true",
            help="An account for another system (e.g. the call center): no password, no web "
            "sign-in, only API tokens; the only kind the call-center webhook accepts.",
        )
        disable = sub.add_parser("disable", help="Disable a user.")
        disable.add_argument("username")
        sub.add_parser("list", help="List users.")
        reset = sub.add_parser(
            "reset-2fa",
            help="Remove a user's authenticator and recovery codes (a lost phone); they set it "
            "up again at their next sign-in if their role requires it.",
        )
        reset.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "disable":
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"No user named {options['username']!r}.")
            services.user_set_active(user=user, active=False)
            self.stdout.write(f"Disabled {user.username}.")
        elif action == "reset-2fa":
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"No user named {options['username']!r}.")
            twofactor.twofactor_disable(user=user, disabled_by=None)
            self.stdout.write(f"Two-factor sign-in reset for {user.username}.")
        else:
            for user in selectors.users_list():
                teams = ", ".join(
                    m.team.name + (" (manager)" if m.is_manager else "")
                    for m in user.memberships.all()
                )
                state = "" if user.is_active else "  [disabled]"
                state += "  [integration]" if user.is_integration else ""
                self.stdout.write(f"{user.username:<20} {user.role:<14} {teams}{state}")

    def _create(self, options: dict[str, Any]) -> None:
        from django.utils.crypto import get_random_string

        integration = options["integration"]
        password = None if integration else options["password"] or get_random_string(16)
        try:
            user = services.user_create(
                username=options["username"],
                role=options["role"],
                password=password,
                team_name=options["team"],
                is_team_manager=options["manager"],
                display_name=options["display_name"],
                email=options["email"],
                is_integration=integration,
            )
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(problems) from None
        kind = ", integration account" if integration else ""
        self.stdout.write(f"Created {user.username} ({user.role}{kind}).")
        if not options["password"] and not integration:
            self.stdout.write(f"Password: {password}")
