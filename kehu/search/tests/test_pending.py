"""Terms kept aside by a large import (``PendingTerm``) and moved into the index in one pass:
moved once, never beside a newer copy of the same customer's terms."""

import pytest
from django.db import connection

from kehu.customers import services
from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_person
from kehu.search.models import PendingTerm, SearchTerm
from kehu.search.selectors import customer_search
from kehu.search.services import (
    pending_insert_rows,
    search_index_rebuild,
    search_pending_flush,
    search_terms_delete,
)

pytestmark = pytest.mark.django_db

FIELDS = ("term", "customer_id", "source", "owner_id", "team_id")


def names(user, q):
    return [hit.customer.name for hit in customer_search(user=user, q=q).hits]


def index_rows():
    return sorted(SearchTerm.objects.values_list(*FIELDS))


def set_aside(customer_ids, extra=()):
    """Move these customers' terms from the index to the pending table, as an import that
    deferred them would have left them (plus ``extra`` rows)."""
    rows = list(SearchTerm.objects.filter(customer_id__in=customer_ids).values_list(*FIELDS))
    SearchTerm.objects.filter(customer_id__in=customer_ids).delete()
    with connection.cursor() as cursor:
        pending_insert_rows(cursor, [*rows, *extra])
    return rows


def test_pending_terms_are_searchable_after_the_flush_and_only_once(rep):
    # given: one customer indexed, another's terms still pending
    make_person(rep, "欧阳娜娜", phones=["13800138000"])
    waiting = make_person(rep, "司马相如", phones=["13900139000"])
    complete = index_rows()
    pending = set_aside([waiting.pk])
    assert names(rep, "smxr") == []
    assert names(rep, "139000") == []
    # when
    moved = search_pending_flush()
    # then
    assert moved == len(pending) > 5
    assert PendingTerm.objects.count() == 0
    assert names(rep, "smxr") == ["司马相如"]
    assert names(rep, "139000") == ["司马相如"]
    assert index_rows() == complete
    assert search_pending_flush() == 0  # nothing left to move twice


def test_an_edit_while_terms_wait_wins_over_them(rep):
    # given: the imported name's terms pending, then the customer renamed in the archive
    customer = make_person(rep, "司马相如")
    set_aside([customer.pk])
    services.customer_update(user=rep, customer=customer, data={"name": "诸葛亮"})
    # when: the import ends
    search_pending_flush()
    # then: only the new name, as a rebuild from the archive would have it
    assert names(rep, "诸葛亮") == ["诸葛亮"]
    assert names(rep, "司马") == []
    after = index_rows()
    search_index_rebuild()
    assert index_rows() == after


def test_a_customer_archived_while_its_terms_wait_is_not_indexed(rep, archivist):
    customer = make_person(rep, "司马相如")
    set_aside([customer.pk])
    services.customer_archive(user=archivist, customer=customer)
    search_pending_flush()
    assert not SearchTerm.objects.filter(customer_id=customer.pk).exists()


def test_a_rebuild_forgets_pending_terms_of_the_customers_it_indexes(rep):
    customer = make_person(rep, "司马相如")
    set_aside([customer.pk])
    search_index_rebuild(batch_size=1)
    assert PendingTerm.objects.count() == 0
    rebuilt = index_rows()
    assert search_pending_flush() == 0
    assert index_rows() == rebuilt


def test_deleting_terms_takes_the_pending_ones_too(rep):
    customer = make_person(rep, "司马相如", phones=["13900139000"])
    pending = set_aside([customer.pk])
    assert search_terms_delete(customer_ids=[customer.pk]) == len(pending)
    assert PendingTerm.objects.count() == 0


def test_a_deleted_customer_takes_its_pending_terms(rep):
    customer = make_person(rep, "司马相如")
    set_aside([customer.pk])
    Customer.objects.filter(pk=customer.pk).delete()
    assert PendingTerm.objects.count() == 0
