"""Undo of an order-history import: what it created is removed, chunk by chunk."""

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kehu.core.bulk import insert_rows
from kehu.imports.models import ImportBatch
from kehu.imports.orders.writing import payment_reference
from kehu.sales.models import Order, OrderLine, Payment, Product, SalesDaily
from kehu.sales.summary import collects

UNDO_CHUNK_SIZE = 2000


def undo_rows(batch: ImportBatch) -> int:
    """How many orders an undo of this batch goes through."""
    return Order.objects.filter(import_batch=batch).count()


def undo_chunk(batch_id: int) -> ImportBatch:
    """Delete the next orders this import created, in one transaction with the checkpoint and
    the summary's deltas. An order someone has since corrected or recorded a payment against
    is kept (counted as archived); the import's own payments go with their orders."""
    from kehu.sales.models import SalesCorrection

    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch_id).update(updated_at=timezone.now())
        batch = ImportBatch.objects.get(pk=batch_id)
        if batch.status != ImportBatch.Status.UNDOING or batch.undone_rows >= batch.undo_rows:
            return batch
        # Kept orders stay in the batch, and have lower ids than any not looked at yet.
        start = batch.archived_count
        orders = list(
            Order.objects.filter(import_batch_id=batch_id)
            .order_by("id")
            .values_list("id", "ordered_on", "owner_id", "team_id", "currency", "status",
                         "total_amount", "first_for_customer")[start : start + UNDO_CHUNK_SIZE]
        )  # fmt: skip
        ids = [o[0] for o in orders]
        reference = payment_reference(batch)
        kept = set(
            Payment.objects.filter(order_id__in=ids)
            .exclude(reference=reference, reversed_at__isnull=True)
            .values_list("order_id", flat=True)
        )
        kept |= set(
            SalesCorrection.objects.filter(order_id__in=ids).values_list("order_id", flat=True)
        )
        doomed = [o for o in orders if o[0] not in kept]
        doomed_ids = [o[0] for o in doomed]
        deltas: dict[tuple[Any, ...], list[Any]] = defaultdict(
            lambda: [0, Decimal(0), 0, Decimal(0)]
        )
        for _pk, day, owner, team, currency, status, total, first in doomed:
            if status != Order.Status.CANCELLED:
                delta = deltas[(day, owner, team, currency)]
                delta[0] -= 1
                delta[1] -= total
                delta[2] -= int(first)
        payments = Payment.objects.filter(order_id__in=doomed_ids, reference=reference)
        for day, owner, team, currency, amount, method in payments.values_list(
            "received_on", "owner_id", "team_id", "currency", "amount", "method"
        ):
            if collects(method):
                deltas[(day, owner, team, currency)][3] -= amount
        payments.delete()
        OrderLine.objects.filter(order_id__in=doomed_ids).delete()
        Order.objects.filter(pk__in=doomed_ids).delete()
        with connection.cursor() as cursor:
            insert_rows(cursor, SalesDaily._meta.db_table, (
                "day", "owner_id", "team_id", "currency", "orders", "revenue", "new_customers",
                "collected", "won", "lost", "opportunity_revenue",
            ), [(*key, *values, 0, 0, 0) for key, values in deltas.items()])  # fmt: skip
        batch.undone_rows = batch.undone_rows + len(orders) if orders else batch.undo_rows
        batch.deleted_count += len(doomed)
        batch.archived_count += len(kept)
        if batch.undone_rows >= batch.undo_rows:
            # Products this import created that no order uses any more.
            used = OrderLine.objects.filter(product__import_batch=batch).values("product_id")
            Product.objects.filter(import_batch=batch).exclude(pk__in=used).delete()
        batch.save(update_fields=["undone_rows", "deleted_count", "archived_count", "updated_at"])
    return batch
