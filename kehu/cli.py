"""The ``kehu`` command: the server and every admin task, on top of Django's management."""

import os
import sys

HELP = """\
kehu — Kehu (客户) customer information management

Usage: kehu COMMAND [options]

Server
  serve                  Serve the web UI and API with gunicorn, the task worker beside it
  setup                  Prepare an install: migrations, static files, translations, first admin
  migrate                Apply database migrations
  worker                 Run only the background task worker (for a team server)

Accounts
  user create USERNAME --role ROLE [--team TEAM] [--manager] [--password PASSWORD]
  user disable USERNAME  Disable an account; its sessions and tokens stop working at once
  user list              List users with their roles and teams
  user reset-2fa USERNAME
                         Remove a user's two-factor authenticator (a lost phone)
  token create USERNAME [--name NAME]
                         Print a new personal API token for USERNAME

Data
  demo                   Load demo teams, users and customers (Chinese sample data)
  search rebuild         Re-create the customer search index (search stats: its size)
  sales rebuild-summary  Re-create the daily sales summary the performance report reads
  import FILE [--mapping NAME] [--kind person|organization] [--channel CODE]
         [--owner USERNAME] [--duplicates skip|fill|overwrite] [--dry-run]
                         Import customers from CSV or XLSX; re-run to resume an interrupted one
  dedup find [--threshold W]
                         Find likely duplicate customers for the review queue (Duplicates)
  analytics refresh      Refresh customer value analytics now (also nightly and on the page)

Roles: sales_rep, archive_admin, service_agent, marketer, leader, admin.
Run 'kehu COMMAND --help' for a command's options; 'kehu help --commands' lists every command.
"""


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    args = sys.argv[1:]
    if not args or args[0] in {"-h", "--help"} or args == ["help"]:
        sys.stdout.write(HELP)
        return
    if args[0] == "worker":
        args = ["run_huey", *args[1:]]
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["kehu", *args])
    except ImproperlyConfigured as exc:
        # A configuration mistake is the operator's to fix: say what, without a traceback.
        sys.stderr.write(f"kehu: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
