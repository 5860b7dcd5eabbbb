"""Bulk actions on the opportunity and order lists: assign (with undo), change an opportunity's
stage, export; through the sales services (a correction or a stage move on each record), only
on records the user may change, refusing the roles that may not."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kehu.accounts.models import Role
from kehu.bulk import services
from kehu.bulk.models import BulkAction
from kehu.core.encryption import decrypted_chunks
from kehu.core.models import AuditEvent
from kehu.customers import services as customer_services
from kehu.exports.models import ExportJob
from kehu.exports.selectors import export_file
from kehu.sales import services as sales
from kehu.sales.models import Opportunity, OpportunityMove, Order, SalesCorrection, SalesDaily
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def marketer(make_user):
    return make_user(Role.MARKETER, username="mkt")


@pytest.fixture
def book(rep, other_rep):
    """Two customers of rep1 (the first shared with rep2), one of rep2; an opportunity each."""
    shared = customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})
    customer_services.customer_share(user=rep, customer=shared, users=[other_rep])
    own = customer_services.customer_create(user=rep, kind="person", data={"name": "李娜"})
    theirs = customer_services.customer_create(user=other_rep, kind="person", data={"name": "王芳"})
    opportunities = [
        sales.opportunity_create(user=rep, customer=shared, name="批量商机甲", amount=Decimal(100)),
        sales.opportunity_create(user=rep, customer=own, name="批量商机乙", amount=Decimal(200)),
        sales.opportunity_create(
            user=other_rep, customer=theirs, name="批量商机丙", amount=Decimal(300)
        ),
    ]
    return {"shared": shared, "own": own, "theirs": theirs, "opportunities": opportunities}


def _csv_rows(job):
    path = export_file(job)
    assert path is not None
    return list(csv.reader(io.StringIO(b"".join(decrypted_chunks(path)).decode("utf-8-sig"))))


def _owners():
    return dict(Opportunity.objects.values_list("name", "owner__username"))


def test_assign_opportunities_counts_skips_records_and_undoes(client, rep, other_rep, book):
    # given: rep ticks their two opportunities and one of rep2's
    ids = [o.pk for o in book["opportunities"]]
    client.force_login(rep)
    data = {
        "ids": ids,
        "action": "assign",
        "value_assign": str(other_rep.pk),
        "note": "区域调整",
        "query": "view=list",
    }
    # when: the confirmation
    page = client.post("/bulk/opportunities/", data).content.decode()
    # then: three selected, two theirs to change, one of which rep2 may not take
    assert 'data-testid="bulk-selected">3<' in page
    assert 'data-testid="bulk-targets">2<' in page
    assert 'data-testid="bulk-refused">1 you may not change<' in page
    assert 'data-testid="bulk-cannot-take">1 (the new owner may not change' in page
    # when confirmed
    response = client.post("/bulk/opportunities/", {**data, "confirm": "1"})
    row = BulkAction.objects.get()
    assert response["Location"] == f"/bulk/{row.pk}/"
    assert (row.kind, row.status, row.changed, row.skipped) == ("opportunities", "done", 1, 1)
    assert _owners() == {"批量商机甲": "rep2", "批量商机乙": "rep1", "批量商机丙": "rep2"}
    # recorded as a single owner change is: a correction with who and why
    correction = SalesCorrection.objects.get(opportunity=book["opportunities"][0])
    assert correction.changed_by == rep
    assert correction.reason == "区域调整"
    assert "owner" in correction.changes
    detail = client.get(f"/bulk/{row.pk}/").content.decode()
    assert "1 skipped" in detail
    # and undone
    client.post(f"/bulk/{row.pk}/undo/")
    assert _owners()["批量商机甲"] == "rep1"
    row.refresh_from_db()
    assert row.status == BulkAction.Status.UNDONE


def test_undo_leaves_opportunities_someone_moved_since(rep, other_rep, archivist, book):
    first, second = book["opportunities"][:2]
    customer_services.customer_share(
        user=rep, customer=book["own"], users=[other_rep]
    )  # rep2 may now take both
    row = services.bulk_action_create(
        user=rep,
        kind="opportunities",
        action="assign",
        value=str(other_rep.pk),
        selection=Opportunity.objects.filter(pk__in=[first.pk, second.pk]),
    )
    services.bulk_action_run(action_id=row.pk)
    assert Opportunity.objects.filter(owner=other_rep).count() == 3
    sales.opportunity_update(
        user=archivist, opportunity=second, data={"owner": archivist}, reason="接手"
    )
    services.bulk_action_undo(action_id=row.pk)
    assert _owners() == {"批量商机甲": "rep1", "批量商机乙": "archivist", "批量商机丙": "rep2"}


def test_stage_change_for_all_matching_the_filter_moves_each(client, rep, book):
    client.force_login(rep)
    client.post(
        "/bulk/opportunities/",
        {"all": "1", "query": "view=list&q=批量商机", "action": "stage", "value_stage": "won",
         "confirm": "1"},
    )  # fmt: skip
    stages = dict(Opportunity.objects.values_list("name", "stage__code"))
    # rep2's opportunity is not in rep1's list
    assert stages == {"批量商机甲": "won", "批量商机乙": "won", "批量商机丙": "qualify"}
    assert OpportunityMove.objects.filter(to_stage__code="won", moved_by=rep).count() == 2
    won = Opportunity.objects.get(name="批量商机甲")
    assert won.probability == 100
    assert won.closed_on is not None


def test_a_lost_stage_is_refused_in_bulk_with_a_clear_message(client, rep, book):
    client.force_login(rep)
    data = {"ids": [book["opportunities"][0].pk], "action": "stage", "value_stage": "lost"}
    page = client.post("/bulk/opportunities/", data).content.decode()
    assert 'data-testid="bulk-error"' in page
    assert "lost reason" in page
    assert 'data-testid="bulk-do"' not in page
    response = client.post("/bulk/opportunities/", {**data, "confirm": "1"}, follow=True)
    assert "lost reason" in response.content.decode()
    assert not BulkAction.objects.exists()
    assert not Opportunity.objects.filter(stage__code="lost").exists()


def test_a_won_opportunity_that_became_an_order_is_skipped(rep, book):
    first = book["opportunities"][0]
    sales.opportunity_move(user=rep, opportunity=first, stage=_stage("won"))
    product = ProductFactory.create()
    sales.order_create(
        user=rep,
        customer=book["shared"],
        lines=[sales.LineInput(product=product, quantity=Decimal(1))],
        opportunity=first,
    )
    selection = Opportunity.objects.filter(pk__in=[o.pk for o in book["opportunities"][:2]])
    preview = services.bulk_preview(
        user=rep, kind="opportunities", action="stage", value="proposal", selection=selection
    )
    assert (preview.allowed, preview.cannot_take) == (2, 1)
    row = services.bulk_action_create(
        user=rep, kind="opportunities", action="stage", value="proposal", selection=selection
    )
    row = services.bulk_action_run(action_id=row.pk)
    assert (row.changed, row.skipped) == (1, 1)
    assert Opportunity.objects.get(pk=first.pk).stage.code == "won"


def _stage(code):
    from kehu.sales.models import PipelineStage

    return PipelineStage.objects.get(code=code)


@pytest.mark.parametrize("role", [Role.LEADER, Role.MARKETER, Role.SERVICE_AGENT])
def test_roles_that_may_not_sell_are_refused(client, make_user, role, book):
    someone = make_user(role, username=f"u_{role}")
    client.force_login(someone)
    data = {"all": "1", "query": "", "action": "assign", "value_assign": str(someone.pk)}
    assert client.post("/bulk/opportunities/", data).status_code == 403
    assert client.post("/bulk/opportunities/", {**data, "confirm": "1"}).status_code == 403
    assert client.post("/bulk/orders/", {**data, "confirm": "1"}).status_code == 403
    assert not BulkAction.objects.exists()
    assert set(_owners().values()) == {"rep1", "rep2"}


def test_the_list_offers_each_role_what_it_may_do(client, rep, leader, marketer, book):
    client.force_login(rep)
    page = client.get("/sales/opportunities/?view=list").content.decode()
    assert 'data-testid="bulk-bar"' in page
    assert page.count('data-testid="bulk-pick"') == 2
    assert 'value="assign"' in page
    assert 'value="export"' not in page  # a sales rep does not export
    client.force_login(marketer)
    page = client.get("/sales/opportunities/?view=list").content.decode()
    assert 'value="export"' in page
    assert 'value="assign"' not in page
    client.force_login(leader)
    page = client.get("/sales/opportunities/?view=list").content.decode()
    assert 'data-testid="bulk-bar"' not in page
    assert 'data-testid="bulk-pick"' not in page


def test_opportunity_list_queries_do_not_grow_with_rows(
    client, rep, book, django_assert_num_queries, django_assert_max_num_queries
):
    client.force_login(rep)
    url = "/sales/opportunities/?view=list"
    client.get(url)  # warm caches
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(20):
        sales.opportunity_create(user=rep, customer=book["own"], name=f"更多{n}", amount=Decimal(1))
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


def test_export_of_selected_opportunities_is_audited_and_scoped(client, archivist, marketer, book):
    # given: a marketer (who exports) selects every opportunity
    client.force_login(marketer)
    data = {"all": "1", "query": "view=list", "action": "export", "value_format": "csv"}
    page = client.post("/bulk/opportunities/", data).content.decode()
    assert 'data-testid="bulk-targets">3<' in page
    # when confirmed
    response = client.post("/bulk/opportunities/", {**data, "confirm": "1"})
    # then: a file in "My exports", with the list's columns, audited
    assert response["Location"] == "/exports/"
    job = ExportJob.objects.get()
    assert (job.kind, job.status, job.row_count) == ("opportunities", "done", 3)
    rows = _csv_rows(job)
    assert rows[0][:4] == ["ID", "Name", "Customer", "Stage"]
    assert sorted(r[1] for r in rows[1:]) == ["批量商机丙", "批量商机乙", "批量商机甲"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == marketer
    assert event.detail == {"kind": "opportunities", "rows": 3, "format": "csv"}
    assert job.file_name.startswith("opportunities-")
    listing = client.get("/exports/").content.decode()
    assert 'data-testid="export-kind">Opportunities<' in listing


def test_export_is_refused_to_roles_that_do_not_export(client, rep, book):
    client.force_login(rep)
    data = {"all": "1", "query": "", "action": "export", "value_format": "csv", "confirm": "1"}
    assert client.post("/bulk/opportunities/", data).status_code == 403
    assert not ExportJob.objects.exists()


def test_an_export_whose_requester_lost_the_right_fails_without_a_file(archivist, rep, book):
    from kehu.exports.services import export_records_request, export_run

    ids = [o.pk for o in book["opportunities"]]
    with pytest.raises(PermissionDenied):
        export_records_request(user=rep, kind="opportunities", record_ids=ids, format="csv")
    job = ExportJob.objects.create(
        requester=archivist, kind="opportunities", record_ids=ids, format="csv"
    )
    archivist.role = Role.SALES_REP
    archivist.save()
    job = export_run(job_id=job.pk)
    assert job.status == ExportJob.Status.FAILED
    assert export_file(job) is None
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


# --- orders -----------------------------------------------------------------------------------


@pytest.fixture
def orders(rep, other_rep, book):
    product = ProductFactory.create(list_price=Decimal("50.00"))
    line = [sales.LineInput(product=product, quantity=Decimal(2))]
    return [
        sales.order_create(user=rep, customer=book["shared"], lines=line),
        sales.order_create(user=rep, customer=book["own"], lines=line),
        sales.order_create(user=other_rep, customer=book["theirs"], lines=line),
    ]


def _revenue(user):
    return sum(r.revenue for r in SalesDaily.objects.filter(owner=user))


def test_assign_orders_moves_their_credit_and_undo_moves_it_back(client, rep, other_rep, orders):
    client.force_login(rep)
    data = {
        "ids": [o.pk for o in orders],
        "action": "assign",
        "value_assign": str(other_rep.pk),
        "query": "",
    }
    page = client.post("/bulk/orders/", data).content.decode()
    assert 'data-testid="bulk-targets">2<' in page
    assert 'data-testid="bulk-cannot-take">1' in page
    client.post("/bulk/orders/", {**data, "confirm": "1"})
    row = BulkAction.objects.get()
    assert (row.kind, row.changed, row.skipped) == ("orders", 1, 1)
    owners = dict(Order.objects.values_list("pk", "owner__username"))
    assert [owners[o.pk] for o in orders] == ["rep2", "rep1", "rep2"]
    # the sales report credits the new owner; the change is a correction with a reason
    assert _revenue(rep) == Decimal("100.00")
    assert _revenue(other_rep) == Decimal("200.00")
    correction = SalesCorrection.objects.get(order=orders[0])
    assert correction.reason == "Bulk action"
    assert correction.changes["owner"] == [str(rep), str(other_rep)]
    client.post(f"/bulk/{row.pk}/undo/")
    assert Order.objects.get(pk=orders[0].pk).owner == rep
    assert _revenue(rep) == Decimal("200.00")


def test_order_assign_service_refuses_who_may_not_change_and_cancelled_orders(
    rep, other_rep, archivist, orders
):
    from kehu.core.exceptions import Conflict

    with pytest.raises(PermissionDenied):
        sales.order_assign(user=other_rep, order=orders[1], owner=other_rep, reason="x")
    with pytest.raises(Exception, match="reason"):
        sales.order_assign(user=rep, order=orders[1], owner=archivist, reason=" ")
    sales.order_cancel(user=rep, order=orders[1])
    with pytest.raises(Conflict):
        sales.order_assign(user=rep, order=orders[1], owner=archivist, reason="接手")


def test_export_selected_orders_as_an_archivist(client, archivist, orders):
    client.force_login(archivist)
    client.post(
        "/bulk/orders/",
        {"ids": [orders[0].pk, orders[2].pk], "action": "export", "value_format": "csv",
         "confirm": "1", "query": ""},
    )  # fmt: skip
    job = ExportJob.objects.get()
    rows = _csv_rows(job)
    assert rows[0][0] == "Order number"
    assert sorted(r[0] for r in rows[1:]) == sorted([orders[0].number, orders[2].number])


def test_large_selections_run_in_the_background_and_undo_too(
    client, rep, other_rep, book, monkeypatch, huey_immediate, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "BACKGROUND_ABOVE", 1)
    customer_services.customer_share(user=rep, customer=book["own"], users=[other_rep])
    client.force_login(rep)
    data = {"all": "1", "query": "view=list", "action": "assign",
            "value_assign": str(other_rep.pk), "confirm": "1"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/bulk/opportunities/", data)
    row = BulkAction.objects.get()
    assert response["Location"] == f"/bulk/{row.pk}/"
    row.refresh_from_db()
    assert (row.status, row.done, row.changed) == ("done", 2, 2)
    assert Opportunity.objects.filter(owner=other_rep).count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/bulk/{row.pk}/undo/")
    row.refresh_from_db()
    assert row.status == BulkAction.Status.UNDONE
    assert Opportunity.objects.filter(owner=rep).count() == 2
    assert AuditEvent.objects.filter(object_type="bulk.bulkaction").get().detail == {
        "kind": "opportunities",
        "action": "assign",
        "records": 2,
        "changed": 2,
        "skipped": 0,
    }


def test_an_unknown_list_is_not_found(client, rep):
    client.force_login(rep)
    assert client.post("/bulk/payments/", {"action": "assign"}).status_code == 404
