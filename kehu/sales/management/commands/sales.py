"""``kehu sales rebuild-summary``: re-create the daily sales summary from the raw rows."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kehu.sales.summary import summary_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the daily sales summary that the sales-performance report reads (after a raw "
        "import, a restore or a repair) from orders, payments and opportunities."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild-summary"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        started = time.monotonic()
        rows = summary_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Sales summary rebuilt: {rows:,} rows in {time.monotonic() - started:.1f} s."
            )
        )
