"""The loyalty pages and the cards on the 360°, order and "my day" pages."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from kehu.loyalty import care
from kehu.loyalty.models import CareTask, Festival, Member
from kehu.sales import services as sales
from kehu.sales.services import LineInput

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def member(programme, rep, customer, product):
    o = sales.order_create(
        user=rep, customer=customer, lines=[LineInput(product=product, quantity=Decimal("20"))]
    )
    sales.payment_record(user=rep, order=o, amount=o.total_amount)
    return Member.objects.get(customer=customer)


def test_pages_render(member, rep, admin_user):
    client = client_for(rep)
    for name in ("overview", "ledger", "care"):
        response = client.get(reverse(f"loyalty:{name}"))
        assert response.status_code == 200, name
    assert "银卡" in client.get(reverse("loyalty:overview")).content.decode()
    assert (
        client.get(reverse("loyalty:ledger") + "?kind=earn")
        .content.decode()
        .count('data-testid="ledger-row"')
        == 1
    )
    assert client.get(reverse("loyalty:settings")).status_code == 403
    assert client_for(admin_user).get(reverse("loyalty:settings")).status_code == 200


def test_settings_save_is_audited(programme, admin_user):
    from kehu.core.models import AuditEvent

    client = client_for(admin_user)
    page = client.get(reverse("loyalty:settings"))
    form, levels = page.context["form"], page.context["levels"]
    data = {f"p-{k}": v for k, v in form.initial.items() if v is not None}
    data["p-grace_days"] = 10
    data["p-enrol_on_first_payment"] = "on"
    data.update({f"l-{k}": v for k, v in levels.management_form.initial.items()})
    for i, level_form in enumerate(levels.forms[:-1]):
        data[f"l-{i}-id"] = level_form.instance.pk
        for name, value in level_form.initial.items():
            if value is not None and not isinstance(value, bool):
                data[f"l-{i}-{name}"] = value
            elif value:
                data[f"l-{i}-{name}"] = "on"
    data["l-TOTAL_FORMS"] = len(levels.forms) - 1
    response = client.post(reverse("loyalty:settings"), data)
    assert response.status_code == 302, (
        response.context["form"].errors,
        response.context["levels"].errors,
    )
    assert AuditEvent.objects.filter(object_type="loyalty.programme").exists()


def test_member_card_on_the_360_page_and_enrol(programme, rep, customer, other_rep):
    url = customer.get_absolute_url()
    page = client_for(rep).get(url).content.decode()
    assert 'data-testid="member-enrol"' in page
    assert (
        client_for(other_rep).post(reverse("loyalty:enrol", args=[customer.pk])).status_code == 404
    )
    client_for(rep).post(reverse("loyalty:enrol", args=[customer.pk]))
    page = client_for(rep).get(url).content.decode()
    assert 'data-testid="member-card-number"' in page


def test_redeem_on_the_order_page(member, rep, other_rep, customer, product):
    o = sales.order_create(
        user=rep, customer=customer, lines=[LineInput(product=product, quantity=Decimal("1"))]
    )
    page = client_for(rep).get(o.get_absolute_url()).content.decode()
    assert 'data-testid="redeem-points"' in page
    url = reverse("loyalty:redeem", args=[o.pk])
    assert client_for(other_rep).post(url, {"points": "100"}).status_code == 404
    client_for(rep).post(url, {"points": "1000"})
    member.refresh_from_db()
    assert member.points_balance == 1000


def test_care_task_on_my_day_done_in_one_click(programme, rep, other_rep, admin_user, customer):
    care.care_plan_save(
        user=admin_user,
        data={
            "name": "春节问候",
            "occasion": "festival",
            "festival": Festival.objects.get(code="spring-festival"),
            "action": "call",
            "days_before": 3,
        },
    )
    care.care_tasks_generate(today=date(2027, 2, 4))  # 春节 2027: 6 February
    page = client_for(rep).get(reverse("interactions:my_day")).content.decode()
    assert 'data-testid="care-task"' in page
    task_id = CareTask.objects.get().task_id
    assert (
        client_for(other_rep).post(reverse("loyalty:care_done", args=[task_id])).status_code == 404
    )
    client_for(rep).post(reverse("loyalty:care_done", args=[task_id]))
    assert CareTask.objects.get().done_at is not None
    page = client_for(rep).get(reverse("interactions:my_day")).content.decode()
    assert 'data-testid="care-task"' not in page
