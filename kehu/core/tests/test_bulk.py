"""The raw batch insert every bulk writer uses: all rows, in order, with their values."""

import pytest
from django.db import connection
from django.utils import timezone

from kehu.core.bulk import SQLITE_MAX_VALUES, insert_rows, sqlite_datetime
from kehu.customers.models import Tag

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [1, SQLITE_MAX_VALUES // 3, 2 * (SQLITE_MAX_VALUES // 3) + 2])
def test_every_row_goes_in_with_its_values(count):
    now = timezone.now()
    stamp = sqlite_datetime(now) if connection.vendor == "sqlite" else now
    rows = [(f"标签{i}", stamp, stamp) for i in range(count)]
    with connection.cursor() as cursor:
        insert_rows(cursor, Tag._meta.db_table, ("name", "created_at", "updated_at"), rows)
    names = list(Tag.objects.order_by("id").values_list("name", flat=True))
    assert names == [name for name, _c, _u in rows]
    assert Tag.objects.filter(created_at=now).count() == count


def test_no_rows_is_no_statement(django_assert_num_queries):
    with connection.cursor() as cursor, django_assert_num_queries(0):
        insert_rows(cursor, Tag._meta.db_table, ("name",), [])
