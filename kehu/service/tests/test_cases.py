"""Cases: SLA deadlines in business hours (time frozen), transitions, the waiting pause,
escalation to a supervisor, and satisfaction with its one-time public link."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.accounts.models import Membership, Role, Team
from kehu.core.exceptions import Conflict
from kehu.interactions.models import Notification
from kehu.service import services
from kehu.service.models import Case, CaseEvent, CaseRating, SpecialDay
from kehu.service.ratinglink import RatingLinkProblem
from kehu.service.selectors import SlaState, case_queue, sla_breaches
from kehu.service.tests.factories import open_case, resolve

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SH)  # 2026-03-02 is a Monday


# --- SLA deadlines ----------------------------------------------------------------------------


def test_deadlines_count_business_hours_over_the_weekend(agent, customer):
    # given: a normal complaint: respond within 4 business hours, resolve within 3 days (27 h)
    # when: it arrives on Friday at 16:00
    with time_machine.travel(at(6, 16), tick=False):
        case = open_case(agent, customer, type="complaint", priority="normal")
    # then: the response is due Monday 11:00 (2 h on Friday, 2 h on Monday)
    assert case.response_due_at == at(9, 11)
    # and the resolution Wednesday 16:00 (2 h Fri, 9 h Mon, 9 h Tue, 7 h Wed)
    assert case.resolution_due_at == at(11, 16)


def test_deadlines_skip_holidays_set_by_the_admin(admin_user, agent, customer):
    services.special_day_save(user=admin_user, day=date(2026, 3, 9), kind="holiday", name="假日")
    with time_machine.travel(at(6, 16), tick=False):
        case = open_case(agent, customer, type="complaint", priority="normal")
    assert case.response_due_at == at(10, 11)


def test_business_hours_are_configurable(admin_user, agent, customer):
    services.service_settings_save(
        user=admin_user,
        work_weekdays=[0, 1, 2, 3, 4, 5],
        day_starts_at=time(8, 0),
        day_ends_at=time(20, 0),
        warn_before_minutes=30,
    )
    with time_machine.travel(at(6, 19), tick=False):
        case = open_case(agent, customer, type="complaint", priority="urgent")  # 1 h response
    assert case.response_due_at == at(6, 20)
    with time_machine.travel(at(6, 19, 30), tick=False):
        case = open_case(agent, customer, type="complaint", priority="urgent")
    assert case.response_due_at == at(7, 8, 30)  # Saturday is a working day now


def test_sla_policy_edits_apply_to_new_cases_only(admin_user, agent, customer):
    with time_machine.travel(at(2, 9), tick=False):
        before = open_case(agent, customer, type="question", priority="low")
        services.sla_policies_save(user=admin_user, minutes={("question", "low"): (30, 60)})
        after = open_case(agent, customer, type="question", priority="low")
    assert after.response_due_at == at(2, 9, 30)
    assert after.resolution_due_at == at(2, 10)
    before.refresh_from_db()
    assert before.response_due_at == at(3, 18)  # two business days, as when it opened


def test_sla_policy_refuses_resolution_shorter_than_response(admin_user):
    with pytest.raises(ValidationError):
        services.sla_policies_save(user=admin_user, minutes={("question", "low"): (60, 30)})


def test_only_admins_change_the_settings(agent):
    with pytest.raises(PermissionDenied):
        services.special_day_save(user=agent, day=date(2026, 3, 9), kind="holiday")
    assert not SpecialDay.objects.exists()


# --- transitions ------------------------------------------------------------------------------


def test_allowed_transitions_and_first_response(agent, customer):
    with time_machine.travel(at(2, 10), tick=False):
        case = open_case(agent, customer)
    with time_machine.travel(at(2, 11), tick=False):
        case = services.case_transition(user=agent, case=case, to_status="in_progress")
    assert case.first_response_at == at(2, 11)
    with pytest.raises(Conflict):
        services.case_transition(user=agent, case=case, to_status="closed")
    with pytest.raises(ValidationError) as problem:
        services.case_transition(user=agent, case=case, to_status="resolved")
    assert "resolution" in problem.value.message_dict
    case = resolve(agent, case)
    case = services.case_transition(user=agent, case=case, to_status="closed")
    assert case.closed_at is not None
    with pytest.raises(Conflict):
        services.case_transition(user=agent, case=case, to_status="in_progress")
    kinds = list(case.events.values_list("kind", "to_status"))
    assert kinds == [
        ("opened", "new"),
        ("status", "in_progress"),
        ("status", "resolved"),
        ("status", "closed"),
    ]


def test_reopen_a_resolved_case(agent, customer):
    case = resolve(agent, open_case(agent, customer))
    case = services.case_transition(user=agent, case=case, to_status="in_progress")
    assert case.resolved_at is None
    assert case.rating_nonce == ""


def test_waiting_on_the_customer_stops_the_resolution_clock(agent, customer):
    with time_machine.travel(at(2, 10), tick=False):
        case = open_case(
            agent, customer, type="complaint", priority="urgent", assigned_to=agent
        )  # resolve within 1 business day
    assert case.resolution_due_at == at(3, 10)
    with time_machine.travel(at(2, 11), tick=False):
        case = services.case_transition(user=agent, case=case, to_status="waiting")
    # a business day and a half later the customer answers
    with time_machine.travel(at(3, 15, 30), tick=False):
        assert case_queue(user=agent).rows[0].state == SlaState.PAUSED
        case = services.case_transition(user=agent, case=case, to_status="in_progress")
    # 7 h on Monday + 6.5 h on Tuesday waited: the deadline moves on by 13.5 business hours
    assert case.resolution_due_at == at(4, 14, 30)
    assert case.waiting_since is None


def test_roles_that_may_not_work_cases(leader, marketer, customer, agent):
    for user in (leader, marketer):
        with pytest.raises(PermissionDenied):
            open_case(user, customer)
    case = open_case(agent, customer)
    with pytest.raises(PermissionDenied):
        services.case_transition(user=leader, case=case, to_status="in_progress")


def test_assign_only_to_service_staff(agent, customer, leader, rep):
    case = open_case(agent, customer)
    with pytest.raises(ValidationError):
        services.case_assign(user=agent, case=case, assignee=leader)
    case = services.case_assign(user=agent, case=case, assignee=rep)
    assert case.assigned_to == rep
    assert Notification.objects.filter(user=rep, text__contains=case.number).exists()


# --- queue and breach warnings ----------------------------------------------------------------


def test_queue_sorted_by_deadline_with_warnings(agent, customer):
    with time_machine.travel(at(2, 9), tick=False):
        low = open_case(agent, customer, priority="low", assigned_to=agent)  # response +1 day
        urgent = open_case(agent, customer, priority="urgent", assigned_to=agent)  # +1 h
        normal = open_case(agent, customer, priority="normal", assigned_to=agent)  # +4 h
        open_case(agent, customer, priority="urgent")  # nobody's: not in "mine"
    with time_machine.travel(at(2, 12, 30), tick=False):
        queue = case_queue(user=agent, scope="mine")
    assert [r.case.pk for r in queue.rows] == [urgent.pk, normal.pk, low.pk]
    assert [r.state for r in queue.rows] == [SlaState.BREACHED, SlaState.AT_RISK, SlaState.OK]
    assert (queue.breached, queue.at_risk) == (1, 1)


def test_breach_flags(agent, customer):
    with time_machine.travel(at(2, 9), tick=False):
        case = open_case(agent, customer, priority="urgent")
    with time_machine.travel(at(2, 11), tick=False):
        case = services.case_transition(user=agent, case=case, to_status="in_progress")
        assert sla_breaches(case, now=at(2, 11)) == (True, False)


# --- escalation -------------------------------------------------------------------------------


def test_breached_case_escalates_to_the_agents_team_manager_once(make_user, agent, customer):
    # given: the agent's team has a manager
    supervisor = make_user(Role.SERVICE_AGENT, username="lead")
    team = Team.objects.create(name="客服一组")
    Membership.objects.create(user=agent, team=team)
    Membership.objects.create(user=supervisor, team=team, is_manager=True)
    with time_machine.travel(at(6, 17, 30), tick=False):
        case = open_case(agent, customer, priority="urgent", assigned_to=agent)  # 1 h response
    assert case.response_due_at == at(9, 9, 30)
    # when: the job runs before and after the deadline (the weekend in between)
    assert services.cases_escalate(now=at(9, 9, 29)).escalated == 0
    result = services.cases_escalate(now=at(9, 9, 31))
    # then: the supervisor and the agent are told, once
    assert result.escalated == 1
    assert Notification.objects.filter(user=supervisor, text__contains=case.number).count() == 1
    assert Notification.objects.filter(user=agent, text__contains="SLA").count() == 1
    assert services.cases_escalate(now=at(9, 9, 45)).escalated == 0
    case.refresh_from_db()
    assert case.escalated_at == at(9, 9, 31)
    # a later breach of the resolution deadline (Monday 17:30) escalates again, once
    services.case_transition(user=agent, case=case, to_status="in_progress", now=at(9, 9, 40))
    assert services.cases_escalate(now=at(10, 9, 1)).escalated == 1
    assert services.cases_escalate(now=at(10, 9, 2)).escalated == 0
    keys = set(CaseEvent.objects.filter(kind="escalated").values_list("key", flat=True))
    assert keys == {"sla:response", "sla:resolution"}


def test_escalation_falls_back_to_default_supervisor_then_admins(
    make_user, admin_user, agent, customer
):
    with time_machine.travel(at(2, 9), tick=False):
        open_case(agent, customer, priority="urgent")
    services.cases_escalate(now=at(2, 11))
    assert Notification.objects.filter(user=admin_user, text__contains="SLA").count() == 1
    boss = make_user(Role.SERVICE_AGENT, username="svc-boss")
    services.service_settings_save(
        user=admin_user,
        work_weekdays=[0, 1, 2, 3, 4],
        day_starts_at=time(9),
        day_ends_at=time(18),
        warn_before_minutes=60,
        default_supervisor=boss,
    )
    with time_machine.travel(at(2, 9), tick=False):
        open_case(agent, customer, priority="urgent")
    services.cases_escalate(now=at(2, 11))
    assert Notification.objects.filter(user=boss, text__contains="SLA").count() == 1


def test_waiting_and_finished_cases_do_not_escalate(agent, customer):
    with time_machine.travel(at(2, 9), tick=False):
        waiting = open_case(agent, customer, priority="urgent")
        services.case_transition(user=agent, case=waiting, to_status="waiting")
        done = resolve(agent, open_case(agent, customer, priority="urgent"))
    assert services.cases_escalate(now=at(20, 9)).escalated == 0
    assert done.status == Case.Status.RESOLVED


# --- satisfaction -----------------------------------------------------------------------------


def test_rating_link_works_once(agent, customer):
    case = resolve(agent, open_case(agent, customer, assigned_to=agent))
    token = services.case_rating_link(user=agent, case=case)
    rating = services.case_rate_by_token(token=token, score=4, comment="师傅很专业")
    assert (rating.score, rating.source, rating.rated_by) == (4, "customer", None)
    with pytest.raises(RatingLinkProblem) as problem:
        services.case_rate_by_token(token=token, score=1)
    assert problem.value.reason == "used"
    assert CaseRating.objects.count() == 1
    assert Notification.objects.filter(user=agent, text__contains="4/5").exists()
    with pytest.raises(Conflict):
        services.case_rating_link(user=agent, case=case)


def test_agent_rating_spends_the_link(agent, customer):
    case = resolve(agent, open_case(agent, customer))
    token = services.case_rating_link(user=agent, case=case)
    services.case_rate(user=agent, case=case, score=5)
    with pytest.raises(RatingLinkProblem):
        services.case_for_rating_token(token)
    with pytest.raises(Conflict):
        services.case_rate(user=agent, case=case, score=3)


def test_rating_link_is_refused_when_forged_or_expired_or_replaced(agent, customer):
    case = resolve(agent, open_case(agent, customer))
    with pytest.raises(RatingLinkProblem) as problem:
        services.case_for_rating_token(services.case_rating_link(user=agent, case=case) + "x")
    assert problem.value.reason == "invalid"
    with time_machine.travel(datetime.now(tz=SH) - timedelta(days=31)):
        old = services.case_rating_link(user=agent, case=case)
    with pytest.raises(RatingLinkProblem) as problem:
        services.case_for_rating_token(old)
    assert problem.value.reason == "expired"
    first = services.case_rating_link(user=agent, case=case)
    # reopened and resolved again: the old link no longer works
    services.case_transition(user=agent, case=case, to_status="in_progress")
    resolve(agent, case)
    with pytest.raises(RatingLinkProblem):
        services.case_for_rating_token(first)


def test_rating_needs_a_resolved_case_and_a_score_from_1_to_5(agent, customer):
    case = open_case(agent, customer)
    with pytest.raises(Conflict):
        services.case_rate(user=agent, case=case, score=5)
    case = resolve(agent, case)
    with pytest.raises(ValidationError):
        services.case_rate(user=agent, case=case, score=6)
