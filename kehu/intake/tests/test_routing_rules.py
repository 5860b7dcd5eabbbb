"""Lead routing rules by region and by product: checked in order before the general lead
assignment, for web forms, calls and leads that marketers enter; the public pool only when a
rule says so; the new owner is notified; only administrators edit them."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.accounts.models import Membership, Role, Team
from kehu.customers.models import Customer
from kehu.intake import services
from kehu.intake.models import LeadRoutingRule
from kehu.intake.services.leads import lead_assignment_save, lead_routing_rule_save
from kehu.intake.tests.test_calls import event, post
from kehu.intake.tests.test_forms import page_post
from kehu.interactions.models import Notification
from kehu.sales.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def south(make_user):
    return make_user(Role.SALES_REP, username="south_rep")


@pytest.fixture
def tea(db):
    return Product.objects.create(code="TEA-01", name="龙井礼盒", list_price=Decimal("99.00"))


@pytest.fixture
def general(admin_user, rep):
    """The general rule: every lead to rep (a fixed user)."""
    return lead_assignment_save(user=admin_user, rule="fixed_user", fixed_user_id=rep.pk)


def _form(admin_user, *, product=None, slug="inquiry"):
    return services.web_form_save(
        user=admin_user,
        slug=slug,
        title="产品询价",
        fields=[{"code": "name", "required": True}, {"code": "phones"}, {"code": "address"}],
        product_id=product.pk if product else None,
    )


def test_a_region_rule_routes_a_web_form_lead_by_its_address(
    client, admin_user, general, rep, south
):
    # given: leads in 广东省 go to south_rep; the rest to rep
    lead_routing_rule_save(
        user=admin_user, kind="region", province="广东省", target="user", user_id=south.pk
    )
    _form(admin_user)
    # when: two visitors, one in Shenzhen, one in Hangzhou, send the form
    page_post(
        client,
        "inquiry",
        {"name": "深圳客户", "phones": "13500000001", "address": "广东省深圳市南山区科技园"},
    )
    page_post(
        client,
        "inquiry",
        {"name": "杭州客户", "phones": "13500000002", "address": "浙江省杭州市西湖区文三路"},
    )
    # then
    assert Customer.objects.get(name="深圳客户").owner == south
    assert Customer.objects.get(name="杭州客户").owner == rep
    assert Notification.objects.filter(user=south, text__contains="深圳客户").exists()


def test_a_region_rule_routes_a_call_by_the_callers_number(
    client, admin_user, general, agent_token, south
):
    lead_routing_rule_save(
        user=admin_user, kind="region", province="北京市", target="user", user_id=south.pk
    )
    # 138 0013 8000 is a Beijing mobile block; 021 is Shanghai's area code
    assert post(client, agent_token, event("c-bj", caller="13800138000")).status_code == 201
    assert post(client, agent_token, event("c-sh", caller="021-62345678")).status_code == 201
    beijing = Customer.objects.get(phones__number="+8613800138000")
    shanghai = Customer.objects.get(phones__number="+862162345678")
    assert beijing.owner == south
    assert shanghai.owner is not None
    assert shanghai.owner.username == "rep1"
    assert Notification.objects.filter(user=south, text__contains="138").exists()


def test_a_product_rule_routes_a_web_form_and_a_call(
    client, admin_user, general, agent_token, make_user, tea
):
    # given: tea leads go round robin within the tea team
    tea_team = Team.objects.create(name="茶叶组")
    first = make_user(Role.SALES_REP, username="tea1")
    second = make_user(Role.SALES_REP, username="tea2")
    for member in (first, second):
        Membership.objects.create(user=member, team=tea_team)
    lead_routing_rule_save(
        user=admin_user, kind="product", product_id=tea.pk, target="team", team_id=tea_team.pk
    )
    _form(admin_user, product=tea, slug="tea")
    _form(admin_user, slug="other")
    # when: a tea form, a tea call (IVR), an unrelated form
    page_post(client, "tea", {"name": "茶客一", "phones": "13500000003"})
    post(client, agent_token, event("c-tea", caller="13912345678", product="TEA-01"))
    page_post(client, "other", {"name": "别的客户", "phones": "13500000004"})
    # then: the tea leads go to the tea team in turn, the other by the general rule
    owners = [
        Customer.objects.get(name="茶客一").owner,
        Customer.objects.get(phones__number="+8613912345678").owner,
    ]
    assert owners == [first, second]
    other = Customer.objects.get(name="别的客户").owner
    assert other is not None
    assert other.username == "rep1"


def test_an_unknown_product_code_in_a_call_is_refused(client, agent_token):
    response = post(client, agent_token, event("c-x", product="NO-SUCH"))
    assert response.status_code == 422
    assert "product" in response.content.decode()
    assert not Customer.objects.filter(phones__number="+8613800138000").exists()


def test_the_pool_only_when_a_rule_says_so(client, admin_user, general, south):
    lead_routing_rule_save(user=admin_user, kind="region", province="广东省", target="pool")
    _form(admin_user)
    page_post(
        client, "inquiry", {"name": "公海客户", "phones": "13500000005", "address": "广州市天河区"}
    )
    lead = Customer.objects.get(name="公海客户")
    assert (lead.owner, lead.status) == (None, Customer.Status.PUBLIC_POOL)


def test_a_rule_that_cannot_place_the_lead_falls_back(client, admin_user, rep, archivist, south):
    lead_assignment_save(
        user=admin_user, rule="fixed_user", fixed_user_id=rep.pk, fallback_user_id=archivist.pk
    )
    lead_routing_rule_save(
        user=admin_user, kind="region", province="广东省", target="user", user_id=south.pk
    )
    south.is_active = False
    south.save()
    _form(admin_user)
    page_post(
        client, "inquiry", {"name": "无人客户", "phones": "13500000006", "address": "广东省佛山市"}
    )
    assert Customer.objects.get(name="无人客户").owner == archivist


def test_rules_are_checked_in_order_and_inactive_ones_skipped(
    admin_user, general, rep, south, make_user, tea
):
    other = make_user(Role.SALES_REP, username="other_south")
    lead_routing_rule_save(
        user=admin_user, kind="region", province="广东省", target="user", user_id=other.pk,
        sort_order=5, is_active=False,
    )  # fmt: skip
    lead_routing_rule_save(
        user=admin_user, kind="product", product_id=tea.pk, target="user", user_id=south.pk,
        sort_order=20,
    )  # fmt: skip
    lead_routing_rule_save(
        user=admin_user, kind="region", province="广东省", target="user", user_id=rep.pk,
        sort_order=10,
    )  # fmt: skip
    from kehu.intake.routing import lead_facts, lead_owner_next

    assert lead_owner_next(lead_facts(address="广东省深圳市", product_id=tea.pk)) == rep
    assert lead_owner_next(lead_facts(address="浙江省杭州市", product_id=tea.pk)) == south


def test_a_marketers_lead_is_routed_by_its_address(client, admin_user, general, south, make_user):
    lead_routing_rule_save(
        user=admin_user, kind="region", province="广东省", target="user", user_id=south.pk
    )
    client.force_login(make_user(Role.MARKETER))
    body = {
        "name": "展会线索",
        "phones": "139 1234 5678",
        "address": "广东省东莞市",
        "source_channel": "exhibition",
        "lifecycle_stage": "lead",
        "grade": "general",
    }
    assert client.post(reverse("customers:create") + "?kind=person", body).status_code == 302
    assert Customer.objects.get(name="展会线索").owner == south
    assert Notification.objects.filter(user=south, text__contains="展会线索").exists()


def test_rule_validation(admin_user, rep):
    with pytest.raises(ValidationError) as error:
        lead_routing_rule_save(user=admin_user, kind="region", province="火星", target="user")
    assert {"province", "user"} <= set(error.value.message_dict)
    with pytest.raises(ValidationError) as error:
        lead_routing_rule_save(user=admin_user, kind="product", target="team")
    assert {"product", "team"} <= set(error.value.message_dict)


def test_only_administrators_change_rules(rep):
    with pytest.raises(PermissionDenied):
        lead_routing_rule_save(user=rep, kind="region", province="广东省", target="pool")


def test_the_rule_pages_work_for_an_administrator(client, admin_user, south):
    client.force_login(admin_user)
    page = client.get(reverse("intake_admin:rule_new"))
    assert page.status_code == 200
    assert "广东省" in page.content.decode()
    response = client.post(
        reverse("intake_admin:rule_new"),
        {"kind": "region", "province": "广东省", "target": "user", "user": south.pk,
         "sort_order": 10, "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    rule = LeadRoutingRule.objects.get()
    assert (rule.province, rule.user) == ("广东省", south)
    listing = client.get(reverse("intake_admin:assignment")).content.decode()
    assert "广东省" in listing
    assert client.get(reverse("intake_admin:rule_edit", args=[rule.pk])).status_code == 200
    bad = client.post(
        reverse("intake_admin:rule_edit", args=[rule.pk]),
        {"kind": "product", "target": "pool", "sort_order": 10},
    )
    assert bad.status_code == 200  # the form again, with the error beside the product
    assert "Choose a product." in bad.content.decode()
    response = client.post(reverse("intake_admin:rule_delete", args=[rule.pk]))
    assert response.status_code == 302
    assert not LeadRoutingRule.objects.exists()


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.MARKETER, Role.LEADER])
def test_the_rule_pages_refuse_others(client, make_user, admin_user, role):
    rule = lead_routing_rule_save(user=admin_user, kind="region", province="广东省", target="pool")
    client.force_login(make_user(role))
    assert client.get(reverse("intake_admin:rule_new")).status_code == 403
    assert client.get(reverse("intake_admin:rule_edit", args=[rule.pk])).status_code == 403
    assert client.post(reverse("intake_admin:rule_delete", args=[rule.pk])).status_code == 403
    assert LeadRoutingRule.objects.exists()
