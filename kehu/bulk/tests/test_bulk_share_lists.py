"""The customer list's bulk share, "add to a list segment" and "add to a campaign": through the
customers' and marketing's services, in each role's scope, undone where it can be."""

from datetime import date

import pytest

from kehu.accounts.models import Role
from kehu.bulk import services
from kehu.bulk.models import BulkAction
from kehu.customers import services as customer_services
from kehu.customers.models import Customer, Segment
from kehu.customers.segments import segment_customers, segment_save
from kehu.customers.selectors import CustomerFilters
from kehu.marketing import services as marketing
from kehu.marketing.models import Campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(rep):
    return [
        customer_services.customer_create(user=rep, kind="person", data={"name": f"客户{i}"})
        for i in range(4)
    ]


@pytest.fixture
def marketer(make_user):
    return make_user(Role.MARKETER, username="marketer1", display_name="周敏")


@pytest.fixture
def campaign(marketer):
    filtered = segment_save(user=marketer, name="杭州", filters=CustomerFilters(city="杭州"))
    return marketing.campaign_create(
        user=marketer,
        name="春季新品",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        channels=["phone"],
        segment_ids=[filtered.pk],
    )


def _post(client, ids, action, field, value, confirm=True):
    data = {"ids": ids, "action": action, f"value_{field}": value, "query": ""}
    return client.post("/bulk/customers/", {**data, "confirm": "1"} if confirm else data)


def test_share_adds_the_colleague_keeps_the_others_and_undo_takes_only_them(
    client, rep, other_rep, make_user, book
):
    third = make_user(Role.SALES_REP, username="rep3")
    customer_services.customer_share(user=rep, customer=book[0], users=[third])
    client.force_login(rep)
    _post(client, [c.pk for c in book[:2]], "share", "share", str(other_rep.pk))
    row = BulkAction.objects.get()
    assert (row.status, row.changed) == (BulkAction.Status.DONE, 2)
    assert set(book[0].shared_with.all()) == {third, other_rep}
    assert set(book[1].shared_with.all()) == {other_rep}
    assert book[1].changes.filter(field="shared_with").exists()  # on the timeline
    assert other_rep in Customer.objects.filter(pk=book[1].pk).get().shared_with.all()
    # undo
    client.post(f"/bulk/{row.pk}/undo/")
    assert set(book[0].shared_with.all()) == {third}
    assert not book[1].shared_with.exists()


def test_share_needs_an_active_colleague(client, rep, other_rep, book):
    other_rep.is_active = False
    other_rep.save()
    client.force_login(rep)
    page = _post(client, [book[0].pk], "share", "share", str(other_rep.pk), confirm=False)
    assert "Choose an active colleague." in page.content.decode()
    assert not book[0].shared_with.exists()


def test_a_list_segment_is_made_filled_opened_and_undone(client, rep, book):
    client.force_login(rep)
    _post(client, [book[0].pk, book[1].pk], "segment", "segment", "展会回访")
    segment = Segment.objects.get(name="展会回访")
    assert segment.is_list
    assert segment.owner == rep
    assert segment.last_count == 2  # counted at the end of the run
    # a second run on the same name adds only who is not there yet
    _post(client, [book[1].pk, book[2].pk], "segment", "segment", "展会回访")
    second = BulkAction.objects.order_by("-id")[0]
    assert second.changed == 1
    assert set(segment_customers(user=rep, segment=segment)) == set(book[:3])
    # the segments page opens it as a customer list filter
    page = client.get(f"/customers/?in_list={segment.pk}").content.decode()
    assert page.count('data-testid="bulk-pick"') == 3
    assert "List segment: <strong>展会回访</strong>" in page
    assert "客户3" not in page
    # undo the second: only 客户2 leaves
    client.post(f"/bulk/{second.pk}/undo/")
    assert set(segment.members.all()) == set(book[:2])


def test_a_filter_segment_name_is_not_a_list(client, rep, book):
    segment_save(user=rep, name="北京客户", filters=CustomerFilters(city="北京"))
    client.force_login(rep)
    _post(client, [book[0].pk], "segment", "segment", "北京客户")
    row = BulkAction.objects.get()
    assert row.status == BulkAction.Status.FAILED
    page = client.get(f"/bulk/{row.pk}/").content.decode()
    assert "Your segment “北京客户” is a saved filter; name a list instead." in page
    assert not Segment.objects.get(name="北京客户").members.exists()


def test_a_leader_may_list_but_not_change(client, make_user, book):
    leader = make_user(Role.LEADER, username="boss")
    client.force_login(leader)
    page = client.get("/customers/").content.decode()
    assert 'value="segment"' in page
    assert 'value="tag"' not in page
    assert 'value="campaign"' not in page
    # the leader sees every customer: all four go on the list
    _post(client, [c.pk for c in book], "segment", "segment", "季度复盘")
    assert Segment.objects.get(name="季度复盘").members.count() == 4
    assert _post(client, [book[0].pk], "share", "share", str(leader.pk)).status_code == 403
    assert not book[0].shared_with.exists()


def test_a_marketer_adds_customers_to_a_campaign_not_launched(client, marketer, book, campaign):
    client.force_login(marketer)
    page = client.get("/customers/").content.decode()
    assert ">春季新品 (" in page  # offered, with its status
    _post(client, [book[0].pk, book[1].pk], "campaign", "campaign", str(campaign.pk))
    row = BulkAction.objects.get()
    assert (row.status, row.changed) == (BulkAction.Status.DONE, 2)
    picked = campaign.segments.get(name="Hand-picked for 春季新品")
    assert picked.is_list
    assert marketing.audience_ids(user=marketer, campaign=campaign) == {book[0].pk, book[1].pk}
    # the launch snapshots them
    launched = marketing.campaign_launch(user=marketer, campaign=campaign)
    assert launched.audience_count == 2
    # a launched campaign is no longer offered, and a post for it is refused clearly
    assert ">春季新品 (" not in client.get("/customers/").content.decode()
    page = _post(client, [book[2].pk], "campaign", "campaign", str(campaign.pk), confirm=False)
    assert "Choose a campaign not launched yet." in page.content.decode()


def test_a_campaign_launched_before_the_run_fails_the_run_with_a_message(marketer, book, campaign):
    row = services.bulk_action_create(
        user=marketer,
        action="campaign",
        value=str(campaign.pk),
        selection=Customer.objects.filter(pk=book[0].pk),
    )
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.RUNNING)
    marketer.language = "zh-hans"  # the run (in the background) speaks the user's language
    marketer.save()
    row = services.bulk_action_run(action_id=row.pk)
    assert row.status == BulkAction.Status.FAILED
    assert row.error == "此活动已启动。"
    assert campaign.segments.count() == 1


def test_a_rep_may_not_add_to_a_campaign(client, rep, book, campaign):
    client.force_login(rep)
    assert 'value="campaign"' not in client.get("/customers/").content.decode()
    assert _post(client, [book[0].pk], "campaign", "campaign", str(campaign.pk)).status_code == 403
    assert not BulkAction.objects.exists()


def test_ticked_customers_are_exported_through_the_export_page(client, archivist, book):
    from kehu.exports.models import ExportJob

    client.force_login(archivist)
    response = client.post(
        "/bulk/customers/", {"ids": [book[0].pk, book[2].pk], "action": "export", "query": ""}
    )
    assert response.status_code == 302
    url = response["Location"]
    assert url == f"/exports/new/?ids={book[0].pk}&ids={book[2].pk}"
    query = url.split("?", 1)[1]
    assert f'value="{query.replace("&", "&amp;")}"' in client.get(url).content.decode()
    client.post("/exports/new/", {"columns": ["name"], "format": "csv", "query": query})
    job = ExportJob.objects.get()
    assert job.filters == {"ids": [book[0].pk, book[2].pk]}
    text = b"".join(client.get(f"/exports/{job.pk}/download/").streaming_content)
    assert text.decode("utf-8-sig").splitlines() == ["name", "客户2", "客户0"]  # newest first


def test_export_needs_a_ticked_row_and_an_exporting_role(client, rep, archivist, book):
    client.force_login(archivist)
    response = client.post("/bulk/customers/", {"action": "export", "query": ""}, follow=True)
    assert "Nothing to export: select at least one row." in response.content.decode()
    client.force_login(rep)
    response = client.post("/bulk/customers/", {"ids": [book[0].pk], "action": "export"})
    assert response.status_code == 403
