"""Handing a user's work to colleagues (交接)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.accounts import handover
from kehu.accounts.models import Handover, Membership, Role, Team
from kehu.core.models import AuditEvent
from kehu.customers import services as customer_services
from kehu.customers.models import Customer
from kehu.interactions.models import Reminder
from kehu.sales import services as sales_services
from kehu.sales.models import Opportunity
from kehu.service.models import Case
from kehu.service.tests.factories import open_case
from kehu.tasks import services as task_services
from kehu.tasks.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(rep, other_rep, make_user):
    """A team: ``boss`` manages it, ``rep`` (leaving), ``rep2`` and ``rep3`` stay."""
    boss = make_user(username="teamboss")
    third = make_user(username="rep3")
    team = Team.objects.create(name="华东销售部")
    Membership.objects.create(user=boss, team=team, is_manager=True)
    for member in (rep, other_rep, third):
        Membership.objects.create(user=member, team=team)
    return {"boss": boss, "third": third, "team": team}


@pytest.fixture
def book(rep, admin_user):
    """``rep``'s work: 4 customers (one a VIP), an opportunity, a case, a task, a reminder."""
    customers = [
        customer_services.customer_create(user=rep, kind="person", data={"name": f"客户{i}"})
        for i in range(4)
    ]
    Customer.objects.filter(pk=customers[0].pk).update(grade="important")
    opportunity = sales_services.opportunity_create(
        user=rep, customer=customers[0], name="年度采购", amount=Decimal("80000")
    )
    case = open_case(admin_user, customers[1], assigned_to=rep)
    task = task_services.task_create(
        user=rep, title="回访", due_at=timezone.now() + timedelta(days=1), customer=customers[2]
    )
    Reminder.objects.create(
        user=rep, kind="follow_up", customer=customers[3], due_on=timezone.localdate(), key="k1"
    )
    return {"customers": customers, "opportunity": opportunity, "case": case, "task": task}


def test_preview_counts_the_book(rep, book):
    counts = handover.handover_preview(scope=handover.HandoverScope(from_user=rep))
    assert counts == {"customers": 4, "opportunities": 1, "cases": 1, "tasks": 1, "reminders": 1}
    vip = handover.handover_preview(scope=handover.HandoverScope(from_user=rep, grade="important"))
    assert vip["customers"] == 1
    assert vip["opportunities"] == 1
    assert vip["cases"] == 0


def test_admin_hands_everything_to_two_colleagues(client, admin_user, rep, other_rep, team, book):
    # when
    client.force_login(admin_user)
    response = client.post(
        "/accounts/handover/",
        {"from_user": rep.pk, "to_users": [other_rep.pk, team["third"].pk]},
    )
    # then
    row = Handover.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/handover/{row.pk}/"
    assert row.status == Handover.Status.DONE
    assert row.moved == {"customers": 4, "opportunities": 1, "cases": 1, "tasks": 1, "reminders": 1}
    owners = list(Customer.objects.order_by("id").values_list("owner__username", flat=True))
    assert owners == ["rep2", "rep3", "rep2", "rep3"]
    # what belongs to a customer follows it
    assert Opportunity.objects.get().owner == other_rep
    assert Case.objects.get().assigned_to == team["third"]
    assert Task.objects.get().assignee == other_rep
    assert Reminder.objects.get().user == team["third"]
    # on the timeline, and one audit event
    first = book["customers"][0]
    assert first.changes.filter(field="owner", new_value="rep2").exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.HANDOVER)
    assert event.object_id == str(rep.pk)
    assert event.detail["moved"]["customers"] == 4
    detail = client.get(response["Location"]).content.decode()
    assert 'data-testid="moved">4<' in detail


def test_handover_by_filter_moves_only_matching_customers(admin_user, rep, other_rep, book):
    scope = handover.HandoverScope(from_user=rep, grade="important")
    result = handover.handover_run(user=admin_user, scope=scope, to_users=[other_rep])
    assert result.moved["customers"] == 1
    assert result.moved["opportunities"] == 1
    assert result.moved["cases"] == 0
    assert Customer.objects.filter(owner=rep).count() == 3


def test_manager_hands_over_a_members_book(client, rep, other_rep, team, book):
    client.force_login(team["boss"])
    preview = client.get("/accounts/handover/", {"from_user": rep.pk}).content.decode()
    assert 'data-testid="count-customers">4<' in preview
    client.post("/accounts/handover/", {"from_user": rep.pk, "to_users": [other_rep.pk]})
    assert Customer.objects.filter(owner=other_rep).count() == 4


def test_manager_may_not_hand_to_outsiders_nor_take_from_outsiders(
    client, rep, team, make_user, book
):
    outsider = make_user(username="outsider")
    client.force_login(team["boss"])
    client.post("/accounts/handover/", {"from_user": rep.pk, "to_users": [outsider.pk]})
    client.post("/accounts/handover/", {"from_user": outsider.pk, "to_users": [rep.pk]})
    assert Customer.objects.filter(owner=rep).count() == 4
    assert not Handover.objects.exists()
    with pytest.raises(Exception, match="teams"):
        handover.handover_run(
            user=team["boss"], scope=handover.HandoverScope(from_user=outsider), to_users=[rep]
        )


def test_handover_needs_a_colleague(client, admin_user, rep, book):
    client.force_login(admin_user)
    response = client.post("/accounts/handover/", {"from_user": rep.pk})
    assert response.status_code == 200
    assert not Handover.objects.exists()


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.LEADER, Role.ARCHIVE_ADMIN])
def test_others_are_refused(client, make_user, rep, other_rep, role, book):
    someone = make_user(role, username=f"u_{role}")
    client.force_login(someone)
    assert client.get("/accounts/handover/").status_code == 403
    response = client.post("/accounts/handover/", {"from_user": rep.pk, "to_users": [someone.pk]})
    assert response.status_code == 403
    assert Customer.objects.filter(owner=rep).count() == 4


def test_someone_elses_handover_is_not_found(client, admin_user, rep, other_rep, team, book):
    row, _background = handover.handover_start(
        user=admin_user, scope=handover.HandoverScope(from_user=rep), to_users=[other_rep]
    )
    client.force_login(team["boss"])
    assert client.get(f"/accounts/handover/{row.pk}/").status_code == 404


def test_a_large_book_runs_in_the_background(
    client,
    admin_user,
    rep,
    other_rep,
    book,
    monkeypatch,
    huey_immediate,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(handover, "BACKGROUND_ABOVE", 2)
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/handover/", {"from_user": rep.pk, "to_users": [other_rep.pk]})
    row = Handover.objects.get()
    assert row.status == Handover.Status.DONE
    assert row.done == row.total == 4
    # a rerun changes nothing
    assert handover.handover_execute(handover_id=row.pk).moved["customers"] == 4
    assert AuditEvent.objects.filter(action=AuditEvent.Action.HANDOVER).count() == 1
