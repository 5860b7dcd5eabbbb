"""The service pages: queue, cases, feedback, report, settings, the 360° cards, the screen-pop
and the customer's public rating page. Scope and roles as in the API; list query counts flat."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from kehu.customers import services as customer_services
from kehu.service import services
from kehu.service.models import Case, CaseRating, Feedback, SlaPolicy, SpecialDay
from kehu.service.tests.factories import open_case, resolve

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def case(agent, customer):
    return open_case(agent, customer, assigned_to=agent)


# --- the queue --------------------------------------------------------------------------------


def test_queue_shows_my_cases_with_breach_warnings(client, agent, customer):
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=SH), tick=False):
        open_case(agent, customer, priority="urgent", assigned_to=agent, subject="急：漏水")
        open_case(agent, customer, priority="low", assigned_to=agent, subject="咨询保修")
    client.force_login(agent)
    with time_machine.travel(datetime(2026, 3, 2, 11, tzinfo=SH), tick=False):
        page = client.get(reverse("service:queue")).text
    assert page.index("急：漏水") < page.index("咨询保修")
    assert 'data-testid="breach-warning"' in page
    assert 'data-state="breached"' in page


def test_queue_query_count_does_not_grow(client, agent, customer, django_assert_max_num_queries):
    client.force_login(agent)
    open_case(agent, customer, assigned_to=agent)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("service:queue") + "?scope=all")
    for _ in range(10):
        open_case(agent, customer, assigned_to=agent)
        open_case(agent, customer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("service:queue") + "?scope=all")
    assert response.text.count('data-testid="queue-row"') == 21


def test_case_list_is_scoped_and_flat(
    client, rep, agent, customer, other_customer, django_assert_max_num_queries
):
    open_case(agent, customer, subject="我的客户的工单")
    open_case(agent, other_customer, subject="别人的客户的工单")
    client.force_login(rep)
    with django_assert_max_num_queries(30) as few:
        page = client.get(reverse("service:cases")).text
    assert "我的客户的工单" in page
    assert "别人的客户的工单" not in page
    for _ in range(10):
        open_case(agent, customer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("service:cases") + "?status=open&q=漏水")


# --- one case ---------------------------------------------------------------------------------


def test_case_detail_and_scope(client, rep, other_rep, case):
    client.force_login(rep)
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    assert case.subject in response.text
    assert 'data-testid="transition-form"' in response.text
    client.force_login(other_rep)
    assert client.get(case.get_absolute_url()).status_code == 404


def test_leader_reads_without_controls(client, leader, case):
    client.force_login(leader)
    page = client.get(case.get_absolute_url()).text
    assert 'data-testid="transition-form"' not in page
    url = reverse("service:case_transition", args=[case.pk])
    assert client.post(url, {"status": "in_progress"}).status_code == 403


def test_move_resolve_and_rate_in_the_browser_forms(client, agent, case):
    client.force_login(agent)
    url = reverse("service:case_transition", args=[case.pk])
    response = client.post(url, {"status": "resolved", "resolution": ""})
    assert response.status_code == 400
    assert "Say how the case was resolved" in response.text
    client.post(url, {"status": "in_progress"})
    response = client.post(url, {"status": "resolved", "resolution": "换了新的密封圈"}, follow=True)
    assert "换了新的密封圈" in response.text
    assert 'data-testid="rating-link"' in response.text
    response = client.post(url, {"status": "new"}, follow=True)
    assert "cannot become" in response.text
    rate = reverse("service:case_rate", args=[case.pk])
    response = client.post(rate, {"score": "5", "comment": "很满意"}, follow=True)
    assert 'data-testid="rating-score"' in response.text
    assert CaseRating.objects.get().score == 5


def test_assign_form(client, agent, rep, leader, case):
    client.force_login(agent)
    url = reverse("service:case_assign", args=[case.pk])
    client.post(url, {"assigned_to": str(rep.pk)})
    case.refresh_from_db()
    assert case.assigned_to == rep
    client.force_login(leader)
    assert client.post(url, {"assigned_to": ""}).status_code == 403


def test_open_a_case_from_the_customer(client, agent, leader, rep, customer, other_customer):
    url = reverse("service:case_new", args=[customer.pk])
    client.force_login(agent)
    assert client.get(url).status_code == 200
    response = client.post(url, {"type": "complaint", "priority": "high", "subject": ""})
    assert response.status_code == 400
    response = client.post(
        url,
        {
            "type": "complaint",
            "priority": "high",
            "channel": "complaint",
            "subject": "安装师傅态度差",
            "description": "安装师傅态度很差，还多收了费用。",
            "assigned_to": str(agent.pk),
        },
    )
    case = Case.objects.get()
    assert response.url == case.get_absolute_url()
    assert case.channel is not None
    assert (case.channel.code, case.assigned_to) == ("complaint", agent)
    client.force_login(leader)
    assert client.get(url).status_code == 403
    client.force_login(rep)
    assert client.get(reverse("service:case_new", args=[other_customer.pk])).status_code == 404


# --- the 360° page and the screen-pop ---------------------------------------------------------


def test_customer_page_shows_cases_satisfaction_feedback_and_timeline(client, rep, agent, customer):
    rated = resolve(agent, open_case(agent, customer, subject="已解决的工单"))
    services.case_rate(user=agent, case=rated, score=3, comment="一般")
    services.case_transition(user=agent, case=rated, to_status="closed")
    open_case(agent, customer, subject="还开着的工单")
    services.feedback_record(
        user=rep,
        customer=customer,
        kind="question",
        question_type="product_service",
        content="保修期多长？",
        solution="三年",
    )
    client.force_login(rep)
    page = client.get(customer.get_absolute_url()).text
    assert 'data-testid="service-cases"' in page
    assert "还开着的工单" in page
    assert 'data-testid="average-score"' in page
    assert "保修期多长？" in page
    assert 'data-kind="case"' in page
    assert 'data-kind="feedback"' in page
    assert "Case closed" in page
    assert "Case reopened" not in page


def test_customer_page_queries_do_not_grow_with_cases(
    client, rep, agent, customer, django_assert_max_num_queries
):
    client.force_login(rep)
    open_case(agent, customer)
    with django_assert_max_num_queries(60) as few:
        client.get(customer.get_absolute_url())
    for _ in range(8):
        case = resolve(agent, open_case(agent, customer))
        services.case_rate(user=agent, case=case, score=4)
        open_case(agent, customer)
        services.feedback_record(
            user=rep, customer=customer, kind="market_comment", market_type="华东", content="…"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(customer.get_absolute_url())


def test_screen_pop_lists_open_cases(client, agent, rep):
    customer = customer_services.customer_create(
        user=rep, kind="person", data={"name": "来电客户", "phones": "138 0013 8000"}
    )
    open_case(agent, customer, subject="来电前开的工单")
    client.force_login(agent)
    page = client.get(reverse("calls:lookup") + "?number=13800138000").text
    assert "来电前开的工单" in page
    assert "not available yet" not in page


# --- feedback pages ---------------------------------------------------------------------------


def test_feedback_form_list_and_report(client, rep, other_rep, customer):
    client.force_login(rep)
    url = reverse("service:feedback_new", args=[customer.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "product_comment", "content": "不错"})
    assert response.status_code == 400  # no product
    client.post(
        url,
        {
            "kind": "product_comment",
            "product_code": "X1",
            "product_name": "滚筒洗衣机 X1",
            "satisfaction": "4",
            "understands_product": "true",
            "content": "洗得干净",
        },
    )
    row = Feedback.objects.get()
    assert (row.satisfaction, row.understands_product) == (4, True)
    assert "洗得干净" in client.get(reverse("service:feedback") + "?q=干净").text
    assert "滚筒洗衣机 X1" in client.get(reverse("service:product_report")).text
    client.force_login(other_rep)
    assert "洗得干净" not in client.get(reverse("service:feedback")).text
    assert client.get(url).status_code == 404


# --- settings ---------------------------------------------------------------------------------


def test_settings_for_admins_only(client, admin_user, agent):
    client.force_login(agent)
    assert client.get(reverse("service:settings")).status_code == 403
    assert client.post(reverse("service:settings_sla"), {}).status_code == 403
    client.force_login(admin_user)
    assert client.get(reverse("service:settings")).status_code == 200
    client.post(
        reverse("service:settings_hours"),
        {
            "work_weekdays": ["0", "1", "2", "3", "4", "5"],
            "day_starts_at": "08:30",
            "day_ends_at": "17:30",
            "warn_before_minutes": "90",
        },
    )
    client.post(reverse("service:special_day_add"), {"date": "2026-10-01", "kind": "holiday"})
    assert SpecialDay.objects.get().name == ""
    response = client.post(
        reverse("service:settings_hours"),
        {"work_weekdays": ["0"], "day_starts_at": "18:00", "day_ends_at": "09:00"},
    )
    assert response.status_code == 400


def test_sla_table_saves_hours_as_minutes(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("service:settings"))
    form = page.context["sla_form"]
    data = {name: str(form[name].initial) for name in form.fields}
    data["complaint_urgent_response"] = "0.5"
    client.post(reverse("service:settings_sla"), data)
    assert SlaPolicy.objects.get(case_type="complaint", priority="urgent").response_minutes == 30
    data["complaint_urgent_resolution"] = "0.25"
    response = client.post(reverse("service:settings_sla"), data)
    assert response.status_code == 400
    assert "cannot be shorter" in response.text


# --- the public rating page -------------------------------------------------------------------


def test_public_rating_page_works_once_without_signing_in(agent, customer):
    case = resolve(agent, open_case(agent, customer, subject="漏水"))
    url = reverse("public_rating:rate", args=[services.case_rating_link(user=agent, case=case)])
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(url)
    assert page.status_code == 200
    assert "漏水" in page.text
    token = page.cookies["kehu_csrftoken"].value
    response = anonymous.post(
        url, {"score": "2", "comment": "太慢了", "csrfmiddlewaretoken": token}
    )
    assert 'data-testid="rating-thanks"' in response.text
    assert CaseRating.objects.get().source == "customer"
    again = anonymous.get(url)
    assert again.status_code == 410
    assert "used already" in again.text
    response = anonymous.post(url, {"score": "5", "csrfmiddlewaretoken": token})
    assert response.status_code == 410
    assert CaseRating.objects.get().score == 2


def test_public_rating_page_refuses_bad_links_and_floods(client, settings, one_rate_window):
    assert client.get(reverse("public_rating:rate", args=["nonsense"])).status_code == 404
    from kehu.service import views

    for _ in range(views.RATING_LIMIT):
        client.get(reverse("public_rating:rate", args=["nonsense"]))
    assert client.get(reverse("public_rating:rate", args=["nonsense"])).status_code == 429
