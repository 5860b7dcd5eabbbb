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


# --- decisions on the queue with htmx: every count on the page agrees without a reload -------


HTMX = {"HX-Request": "true"}


def _between(text, start, end):
    """The text from ``start`` up to the next ``end``."""
    return start + text.split(start, 1)[1].split(end, 1)[0] + end


@pytest.fixture
def queue(archivist):
    """Five people: 张伟–章伟 and 章伟–张玮 (章伟 in two pairs), 李娜–李纳."""
    names = ["张伟", "章伟", "张玮", "李娜", "李纳"]
    people = {n: customer_create(user=archivist, kind="person", data={"name": n}) for n in names}

    def pair(a, b, probability):
        return DuplicateCandidate.objects.create(
            customer_a=people[a],
            customer_b=people[b],
            kind="person",
            match_probability=probability,
            found_at=timezone.now(),
        )

    return {
        "people": people,
        "zhang": pair("张伟", "章伟", 0.97),
        "zhang2": pair("章伟", "张玮", 0.93),
        "li": pair("李娜", "李纳", 0.95),
    }


def test_the_page_shows_one_count_in_its_head_and_the_navigation(client, archivist, queue):
    client.force_login(archivist)
    page = client.get("/duplicates/").content.decode()
    assert "3 pairs wait for review." in _between(page, 'id="dedup-pending"', "</p>")
    assert page.count('data-nav-count="dedup"><span class="nav-badge"') == 2  # menu and sidebar
    assert 'data-testid="nav-badge-dedup"' in page
    assert page.count('data-testid="duplicate-row"') == 3


def test_dismissing_on_the_queue_updates_the_queue_and_every_count(client, archivist, queue):
    client.force_login(archivist)
    # when one pair is dismissed from its row, with htmx
    response = client.post(
        f"/duplicates/{queue['li'].pk}/dismiss/", {"from": "queue"}, headers=HTMX
    )
    # then the answer is the queue without it…
    page = response.content.decode()
    assert response.status_code == 200
    table = _between(page, '<section class="card" id="dedup-queue"', "</section>")
    assert "hx-swap-oob" not in table.split(">", 1)[0]
    assert table.count('data-testid="duplicate-row"') == 2
    assert f'data-candidate="{queue["li"].pk}"' not in table
    assert "Marked as not a duplicate." in table
    # …with the page head's count and the navigation badge swapped out of band
    head = _between(page, '<p class="muted" id="dedup-pending"', "</p>")
    assert 'hx-swap-oob="true"' in head
    assert "2 pairs wait for review." in head
    badge = _between(
        page, '<span hx-swap-oob="innerHTML:[data-nav-count=dedup]">', "</span></span>"
    )
    assert ">2</span>" in badge
    queue["li"].refresh_from_db()
    assert queue["li"].status == DuplicateCandidate.Status.DISMISSED


def test_merging_on_the_queue_also_drops_the_pairs_the_merge_closed(client, archivist, queue):
    client.force_login(archivist)
    zhang, zhang_b = queue["people"]["张伟"], queue["people"]["章伟"]
    # when 章伟 is merged into 张伟 from the queue
    response = client.post(
        f"/duplicates/{queue['zhang'].pk}/merge/",
        {"from": "queue", "survivor": zhang.pk},
        headers=HTMX,
    )
    # then 章伟's other pair is gone too, and the counts say one pair is left
    page = response.content.decode()
    assert response.status_code == 200
    table = _between(page, '<section class="card" id="dedup-queue"', "</section>")
    assert table.count('data-testid="duplicate-row"') == 1
    assert f'data-candidate="{queue["li"].pk}"' in table
    assert "1 pair waits for review." in _between(page, 'id="dedup-pending"', "</p>")
    badge = _between(
        page, '<span hx-swap-oob="innerHTML:[data-nav-count=dedup]">', "</span></span>"
    )
    assert ">1</span>" in badge
    assert Customer.objects.get(pk=zhang_b.pk).status == Customer.Status.MERGED
    queue["zhang2"].refresh_from_db()
    assert queue["zhang2"].status == DuplicateCandidate.Status.SUPERSEDED


def test_the_last_decision_empties_the_badge(client, archivist, pair):
    client.force_login(archivist)
    response = client.post(f"/duplicates/{pair.pk}/dismiss/", {"from": "queue"}, headers=HTMX)
    page = response.content.decode()
    assert "0 pairs wait for review." in page
    assert '<span hx-swap-oob="innerHTML:[data-nav-count=dedup]"></span>' in page
    assert "nav-badge-dedup" not in page


def test_a_pair_decided_meanwhile_is_said_so_in_the_queue(client, archivist, queue):
    client.force_login(archivist)
    DuplicateCandidate.objects.filter(pk=queue["li"].pk).update(status="dismissed")
    response = client.post(
        f"/duplicates/{queue['li'].pk}/dismiss/", {"from": "queue"}, headers=HTMX
    )
    page = response.content.decode()
    assert "This pair has been decided already." in page
    assert "2 pairs wait for review." in page


def test_without_javascript_a_queue_decision_returns_to_the_filtered_queue(
    client, archivist, queue
):
    client.force_login(archivist)
    response = client.post(
        f"/duplicates/{queue['li'].pk}/merge/",
        {"from": "queue", "survivor": queue["people"]["李娜"].pk, "kind": "person"},
    )
    assert response.status_code == 302
    assert response.url == "/duplicates/?kind=person"
    page = client.get(response.url).content.decode()
    assert "Merged." in page
    assert "2 pairs wait for review." in page


def test_the_search_poll_brings_the_counts_and_when_done_the_queue(client, archivist, queue):
    from kehu.dedup.models import DuplicateRun

    client.force_login(archivist)
    run = DuplicateRun.objects.create(threshold=-8, status=DuplicateRun.Status.RUNNING)
    # while the search runs: its status, and the counts out of band
    page = client.get("/duplicates/?kind=person", headers=HTMX).content.decode()
    assert 'hx-get="/duplicates/?kind=person" hx-trigger="every 3s"' in page
    assert "3 pairs wait for review." in _between(page, 'id="dedup-pending"', "</p>")
    assert 'id="dedup-queue"' not in page
    # when it has finished (and found a new pair): the queue too, out of band
    people = queue["people"]
    DuplicateCandidate.objects.create(
        customer_a=people["张伟"],
        customer_b=people["张玮"],
        kind="person",
        match_probability=0.9,
        found_at=timezone.now(),
    )
    DuplicateRun.objects.filter(pk=run.pk).update(
        status=DuplicateRun.Status.DONE, finished_at=timezone.now()
    )
    page = client.get("/duplicates/?kind=person", headers=HTMX).content.decode()
    assert "every 3s" not in page
    assert "4 pairs wait for review." in page
    table = _between(page, '<section class="card" id="dedup-queue"', "</section>")
    assert 'hx-swap-oob="true"' in table.split(">", 1)[0]
    assert table.count('data-testid="duplicate-row"') == 4


def test_queue_decisions_are_refused_to_a_sales_rep(client, rep, queue):
    client.force_login(rep)
    dismiss = client.post(f"/duplicates/{queue['li'].pk}/dismiss/", {"from": "queue"}, headers=HTMX)
    assert dismiss.status_code == 403
    queue["li"].refresh_from_db()
    assert queue["li"].status == DuplicateCandidate.Status.PENDING


def test_on_a_queue_narrowed_to_a_customer_that_customer_survives(client, archivist, queue):
    # given the queue narrowed to 张玮, who is the second customer of the pair 章伟–张玮
    client.force_login(archivist)
    zhang_wei = queue["people"]["张玮"]
    page = client.get(f"/duplicates/?customer={zhang_wei.pk}").content.decode()
    assert f'name="survivor" value="{zhang_wei.pk}"' in page
    # when the pair is merged from its row
    response = client.post(
        f"/duplicates/{queue['zhang2'].pk}/merge/",
        {"from": "queue", "survivor": zhang_wei.pk, "customer": zhang_wei.pk},
        headers=HTMX,
    )
    # then the narrowed queue comes back (its customer lives on), with the counts
    assert response.status_code == 200
    assert f"Pairs with #{zhang_wei.pk}" in response.content.decode()
    assert Customer.objects.get(pk=zhang_wei.pk).status == Customer.Status.ACTIVE
    assert "1 pair waits for review." in response.content.decode()
