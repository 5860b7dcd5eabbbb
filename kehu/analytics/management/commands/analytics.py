"""``kehu analytics refresh``: refresh every customer's value figures now."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kehu.analytics.services import analytics_refresh_report


class Command(BaseCommand):
    help = "Refresh the customer value analytics (RFM, tiers, BG/NBD, CLV, cohorts) now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        analytics_refresh_report(write=self.stdout.write)
