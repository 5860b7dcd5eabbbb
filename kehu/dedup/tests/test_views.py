"""The review queue and the comparison page in the browser (server side)."""

import pytest
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.customers.services import customer_create
from kehu.dedup.finder import Pair
from kehu.dedup.models import DuplicateCandidate, Merge
from kehu.dedup.services import candidates_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(archivist):
    a = customer_create(
        user=archivist, kind="person", data={"name": "张伟", "address": "北京市朝阳区建国路1号"}
    )
    b = customer_create(
        user=archivist, kind="person", data={"name": "章伟", "address": "北京市朝阳区光华路2号"}
    )
    return DuplicateCandidate.objects.create(
        customer_a=a, customer_b=b, kind="person", match_probability=0.97, found_at=timezone.now()
    )


def test_queue_compare_merge(client, archivist, pair):
    client.force_login(archivist)
    page = client.get("/duplicates/")
    assert page.status_code == 200
    assert "章伟" in page.content.decode()
    compare = client.get(f"/duplicates/{pair.pk}/")
    assert compare.status_code == 200
    assert "光华路" in compare.content.decode()
    a, b = pair.customer_a_id, pair.customer_b_id
    response = client.post(
        f"/duplicates/{pair.pk}/merge/", {"survivor": a, "field:name": b, "field:address": a}
    )
    assert response.status_code == 302
    assert response.url == f"/customers/{a}/"
    survivor = Customer.objects.get(pk=a)
    assert (survivor.name, survivor.address) == ("章伟", "北京市朝阳区建国路1号")
    # the tombstone's page leads to the survivor
    old = client.get(f"/customers/{b}/")
    assert old.status_code == 302
    assert old.url == f"/customers/{a}/"
    # and the merge can be undone from the merge list
    merge = Merge.objects.get()
    assert client.get("/duplicates/merges/").status_code == 200
    assert client.post(f"/duplicates/merges/{merge.pk}/undo/").status_code == 302
    assert Customer.objects.get(pk=b).status == Customer.Status.ACTIVE


def test_dismiss_and_rerun_keeps_it_dismissed(client, archivist, pair):
    client.force_login(archivist)
    client.post(f"/duplicates/{pair.pk}/dismiss/")
    pair.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.DISMISSED
    found = Pair(pair.customer_a_id, pair.customer_b_id, "person", 0.99, 10.0, ["name"])
    counts = candidates_store(pairs=[found], run=None)
    pair.refresh_from_db()
    assert counts["new"] == 0
    assert pair.status == DuplicateCandidate.Status.DISMISSED


def test_pages_refuse_a_sales_rep(client, rep, pair):
    client.force_login(rep)
    for url in ("/duplicates/", f"/duplicates/{pair.pk}/", "/duplicates/merges/"):
        assert client.get(url).status_code == 403
    assert (
        client.post(f"/duplicates/{pair.pk}/merge/", {"survivor": pair.customer_a_id}).status_code
        == 403
    )
    assert client.post("/duplicates/find/").status_code == 403


def test_the_nightly_search_fills_the_queue_and_skips_while_another_runs(archivist):
    from datetime import timedelta

    from kehu.dedup.models import DuplicateRun
    from kehu.dedup.services import duplicate_run_nightly
    from kehu.dedup.tasks import nightly_duplicate_search

    # given two entries of one person and no search yet
    data = {"name": "张伟", "phones": ["13800138000"], "address": "北京市朝阳区建国路1号"}
    a = customer_create(user=archivist, kind="person", data=data)
    b = customer_create(user=archivist, kind="person", data={**data, "name": "章伟"})
    # when the nightly task runs
    nightly_duplicate_search.call_local()
    # then the pair waits for review, found by a finished run
    run = DuplicateRun.objects.get()
    assert run.status == DuplicateRun.Status.DONE
    assert DuplicateCandidate.objects.filter(customer_a=a, customer_b=b).exists()
    # and while another search is queued the night's is skipped…
    queued = DuplicateRun.objects.create(threshold=-8)
    assert duplicate_run_nightly() is None
    # …unless that one was asked for so long ago that its worker must have been lost
    DuplicateRun.objects.filter(pk=queued.pk).update(created_at=timezone.now() - timedelta(hours=7))
    again = duplicate_run_nightly()
    assert again is not None
    assert again.status == DuplicateRun.Status.DONE
    assert nightly_duplicate_search.s().validate_datetime(timezone.now().replace(hour=2, minute=10))
