"""``kehu search rebuild``: re-create the search index; ``kehu search stats``: its size."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kehu.search.services import search_index_rebuild, search_index_stats


class Command(BaseCommand):
    help = "Rebuild the customer search index (after a raw import or restore), or show its size."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "stats"])
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, action: str, batch_size: int, **options: Any) -> None:
        if action == "stats":
            for source, count in search_index_stats().items():
                self.stdout.write(f"{source:15} {count:>12,}")
            return
        started = time.monotonic()
        shown = [started]

        def progress(customers: int, terms: int) -> None:
            now = time.monotonic()
            if now - shown[0] >= 2:
                shown[0] = now
                self.stdout.write(f"  {customers:,} customers, {terms:,} terms…")

        terms = search_index_rebuild(batch_size=batch_size, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Search index rebuilt: {terms:,} terms in {time.monotonic() - started:.1f} s."
            )
        )
