"""Bulk actions on the customer list: confirm with counts, apply through the customers'
services (on each timeline), undo assignments and tags, refuse roles that may not change."""

import pytest

from kehu.accounts.models import Role
from kehu.bulk import services
from kehu.bulk.models import BulkAction
from kehu.customers import services as customer_services
from kehu.customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(rep):
    return [
        customer_services.customer_create(user=rep, kind="person", data={"name": f"客户{i}"})
        for i in range(5)
    ]


def _tags(customer):
    return sorted(t.name for t in customer.tags.all())


def test_confirmation_shows_counts_then_tags_and_undo_removes(client, rep, other_rep, book):
    # given: the rep ticks three of theirs and one of another rep's
    theirs = customer_services.customer_create(
        user=other_rep, kind="person", data={"name": "别人的客户"}
    )
    ids = [book[0].pk, book[1].pk, book[2].pk, theirs.pk]
    client.force_login(rep)
    data = {"ids": ids, "action": "tag", "value_tag": "重点跟进", "query": ""}
    # when: first the confirmation
    page = client.post("/bulk/customers/", data).content.decode()
    assert 'data-testid="bulk-selected">4<' in page
    assert 'data-testid="bulk-targets">3<' in page
    # then confirmed
    response = client.post("/bulk/customers/", {**data, "confirm": "1"})
    row = BulkAction.objects.get()
    assert response["Location"] == f"/bulk/{row.pk}/"
    assert row.status == BulkAction.Status.DONE
    assert row.changed == 3
    assert _tags(book[0]) == ["重点跟进"]
    assert _tags(theirs) == []
    assert book[0].changes.filter(field="tags").exists()  # on the timeline
    # undo
    client.post(f"/bulk/{row.pk}/undo/")
    assert _tags(book[0]) == []
    row.refresh_from_db()
    assert row.status == BulkAction.Status.UNDONE


def test_all_matching_the_filter(client, rep, book):
    Customer.objects.filter(pk__in=[book[0].pk, book[1].pk]).update(grade="important")
    client.force_login(rep)
    client.post(
        "/bulk/customers/",
        {"all": "1", "query": "grade=important", "action": "stage", "value_stage": "customer",
         "confirm": "1"},
    )  # fmt: skip
    stages = dict(Customer.objects.values_list("pk", "lifecycle_stage"))
    assert stages[book[0].pk] == stages[book[1].pk] == "customer"
    assert stages[book[2].pk] == "lead"


def test_assign_and_undo_puts_owners_back(rep, other_rep, book):
    row = services.bulk_action_create(
        user=rep,
        action="assign",
        value=str(other_rep.pk),
        selection=Customer.objects.filter(pk__in=[c.pk for c in book]),
    )
    services.bulk_action_run(action_id=row.pk)
    assert Customer.objects.filter(owner=other_rep).count() == 5
    services.bulk_action_undo(action_id=row.pk)
    assert Customer.objects.filter(owner=rep).count() == 5


def test_grade_change_is_recorded_with_provenance(rep, book):
    row = services.bulk_action_create(
        user=rep, action="grade", value="special", selection=Customer.objects.all()
    )
    services.bulk_action_run(action_id=row.pk)
    assert set(Customer.objects.values_list("grade", flat=True)) == {"special"}
    assert book[0].changes.filter(field="grade", new_value="special").exists()
    assert not row.undoable


def test_large_runs_in_the_background(
    client, rep, book, monkeypatch, huey_immediate, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "BACKGROUND_ABOVE", 2)
    client.force_login(rep)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/bulk/customers/",
            {"all": "1", "query": "", "action": "tag", "value_tag": "春节", "confirm": "1"},
        )
    row = BulkAction.objects.get()
    assert row.status == BulkAction.Status.DONE
    assert row.done == 5


def test_bad_values_are_refused(rep, book):
    with pytest.raises(Exception, match="tag"):
        services.bulk_action_create(
            user=rep, action="tag", value="", selection=Customer.objects.all()
        )
    with pytest.raises(Exception, match="grade"):
        services.bulk_action_create(
            user=rep, action="grade", value="gold", selection=Customer.objects.all()
        )


@pytest.mark.parametrize("role", [Role.LEADER, Role.MARKETER, Role.SERVICE_AGENT])
def test_read_only_roles_are_refused(client, make_user, role, book):
    someone = make_user(role, username=f"u_{role}")
    client.force_login(someone)
    response = client.post(
        "/bulk/customers/",
        {"all": "1", "query": "", "action": "tag", "value_tag": "x", "confirm": "1"},
    )
    assert response.status_code == 403
    assert not BulkAction.objects.exists()
    # their bar offers lists only ("add to a list segment"; a marketer's also campaigns)
    page = client.get("/customers/").content.decode()
    assert 'value="segment"' in page
    assert 'value="tag"' not in page


def test_someone_elses_action_is_not_found(client, rep, other_rep, book):
    row = services.bulk_action_create(
        user=rep, action="tag", value="a", selection=Customer.objects.all()
    )
    services.bulk_action_run(action_id=row.pk)
    client.force_login(other_rep)
    assert client.get(f"/bulk/{row.pk}/").status_code == 404
    assert client.post(f"/bulk/{row.pk}/undo/").status_code == 404
    assert Customer.objects.filter(tags__name="a").count() == 5


def test_the_list_offers_bulk_actions_to_who_may_change(client, rep, book):
    client.force_login(rep)
    page = client.get("/customers/").content.decode()
    assert 'data-testid="bulk-bar"' in page
    assert page.count('data-testid="bulk-pick"') == 5
