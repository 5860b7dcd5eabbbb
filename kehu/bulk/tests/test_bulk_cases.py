"""Bulk actions on the case list: assign to an agent (with undo), change status or priority
where the single case's rules allow, export; each on the case's history, for case workers on the
cases they can see."""

import pytest

from kehu.accounts.models import Role
from kehu.bulk import services
from kehu.bulk.models import BulkAction
from kehu.customers import services as customer_services
from kehu.exports.models import ExportJob
from kehu.interactions.models import Notification
from kehu.service.models import Case, CaseEvent
from kehu.service.tests.factories import open_case, resolve

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def other_agent(make_user):
    return make_user(Role.SERVICE_AGENT, username="agent2", display_name="客服小王")


@pytest.fixture
def cases(rep, other_rep, agent):
    mine = customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})
    theirs = customer_services.customer_create(user=other_rep, kind="person", data={"name": "王芳"})
    rows = [
        open_case(agent, mine, subject="批量工单一", assigned_to=agent),
        open_case(agent, mine, subject="批量工单二", assigned_to=agent),
        open_case(agent, theirs, subject="批量工单三", assigned_to=agent),
    ]
    resolve(agent, rows[1])
    return rows


def _agents():
    return dict(Case.objects.values_list("subject", "assigned_to__username"))


def test_assign_cases_skips_finished_ones_and_undoes(client, agent, other_agent, cases):
    client.force_login(agent)
    data = {
        "ids": [c.pk for c in cases],
        "action": "assign",
        "value_assign": str(other_agent.pk),
        "query": "",
    }
    page = client.post("/bulk/cases/", data).content.decode()
    assert 'data-testid="bulk-targets">3<' in page
    assert 'data-testid="bulk-cannot-take">1 (resolved and closed cases' in page
    client.post("/bulk/cases/", {**data, "confirm": "1"})
    row = BulkAction.objects.get()
    assert (row.kind, row.changed, row.skipped) == ("cases", 2, 1)
    assert _agents() == {"批量工单一": "agent2", "批量工单二": "agent1", "批量工单三": "agent2"}
    # on each case's history, as a single assignment is
    assert CaseEvent.objects.filter(
        case=cases[0], kind=CaseEvent.Kind.ASSIGNED, by=agent, note="客服小王"
    ).exists()
    # the agent hears once for the two cases, not once per case
    notes = list(Notification.objects.filter(user=other_agent).values_list("text", "url"))
    assert notes == [(f"{agent} assigned 2 cases to you.", "/service/")]
    client.post(f"/bulk/{row.pk}/undo/")
    assert set(_agents().values()) == {"agent1"}


def test_a_rep_acts_only_on_the_cases_of_their_customers(rep, other_agent, cases):
    selection = Case.objects.filter(pk__in=[cases[0].pk, cases[2].pk])
    preview = services.bulk_preview(
        user=rep, kind="cases", action="priority", value="high", selection=selection
    )
    assert (preview.selected, preview.allowed, preview.refused) == (2, 1, 1)
    row = services.bulk_action_create(
        user=rep,
        kind="cases",
        action="priority",
        value="high",
        note="重要客户",
        selection=selection,
    )
    services.bulk_action_run(action_id=row.pk)
    priorities = dict(Case.objects.values_list("subject", "priority"))
    assert priorities["批量工单一"] == "high"
    assert priorities["批量工单三"] == "normal"
    event = CaseEvent.objects.get(case=cases[0], kind=CaseEvent.Kind.PRIORITY)
    assert event.note.endswith(": 重要客户")
    assert not row.undoable


def test_priority_needs_a_reason_and_resolving_is_refused(client, agent, cases):
    client.force_login(agent)
    base = {"ids": [cases[0].pk], "query": ""}
    page = client.post(
        "/bulk/cases/", {**base, "action": "priority", "value_priority": "urgent"}
    ).content.decode()
    assert "Say why" in page
    page = client.post(
        "/bulk/cases/", {**base, "action": "status", "value_status": "resolved"}
    ).content.decode()
    assert "own resolution" in page
    client.post(
        "/bulk/cases/",
        {**base, "action": "status", "value_status": "resolved", "confirm": "1"},
    )
    assert not BulkAction.objects.exists()
    assert Case.objects.get(pk=cases[0].pk).status == "new"


def test_status_moves_only_where_the_transition_is_allowed(agent, cases):
    # given: new, resolved and new cases; "closed" is allowed only from resolved
    selection = Case.objects.filter(pk__in=[c.pk for c in cases])
    preview = services.bulk_preview(
        user=agent, kind="cases", action="status", value="closed", selection=selection
    )
    assert (preview.allowed, preview.taking) == (3, 1)
    row = services.bulk_action_create(
        user=agent, kind="cases", action="status", value="closed", selection=selection
    )
    row = services.bulk_action_run(action_id=row.pk)
    assert (row.changed, row.skipped) == (1, 2)
    statuses = dict(Case.objects.values_list("subject", "status"))
    assert statuses == {"批量工单一": "new", "批量工单二": "closed", "批量工单三": "new"}
    assert CaseEvent.objects.filter(
        case=cases[1], kind=CaseEvent.Kind.STATUS, to_status="closed", by=agent
    ).exists()


@pytest.mark.parametrize("role", [Role.LEADER, Role.MARKETER])
def test_roles_that_do_not_work_cases_are_refused(client, make_user, role, agent, cases):
    someone = make_user(role, username=f"u_{role}")
    client.force_login(someone)
    data = {"all": "1", "query": "", "action": "assign", "value_assign": str(agent.pk)}
    assert client.post("/bulk/cases/", {**data, "confirm": "1"}).status_code == 403
    data = {"all": "1", "query": "", "action": "status", "value_status": "in_progress"}
    assert client.post("/bulk/cases/", {**data, "confirm": "1"}).status_code == 403
    assert not BulkAction.objects.exists()


def test_the_case_list_bar(client, agent, leader, cases):
    client.force_login(agent)
    page = client.get("/service/cases/").content.decode()
    assert page.count('data-testid="bulk-pick"') == 3
    assert 'value="priority"' in page
    assert 'value="export"' not in page  # service agents do not export
    client.force_login(leader)
    assert 'data-testid="bulk-bar"' not in client.get("/service/cases/").content.decode()


def test_export_selected_cases(client, admin_user, cases):
    client.force_login(admin_user)
    client.post(
        "/bulk/cases/",
        {"all": "1", "query": "status=open", "action": "export", "value_format": "xlsx",
         "confirm": "1"},
    )  # fmt: skip
    job = ExportJob.objects.get()
    assert (job.kind, job.format, job.row_count) == ("cases", "xlsx", 2)


def test_someone_elses_bulk_action_is_not_found(client, agent, other_agent, cases):
    row = services.bulk_action_create(
        user=agent,
        kind="cases",
        action="assign",
        value=str(other_agent.pk),
        selection=Case.objects.all(),
    )
    services.bulk_action_run(action_id=row.pk)
    client.force_login(other_agent)
    assert client.get(f"/bulk/{row.pk}/").status_code == 404
    assert client.post(f"/bulk/{row.pk}/undo/").status_code == 404
    assert Case.objects.filter(assigned_to=other_agent).count() == 2
