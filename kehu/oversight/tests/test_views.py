"""Every oversight page works for who may see it and refuses who may not; the API's figures."""

from datetime import timedelta
from decimal import Decimal

import pytest

from kehu.oversight import risk
from kehu.oversight.models import RiskAlert, RiskRule
from kehu.oversight.tests.conftest import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

PAGES = [
    "/oversight/",
    "/oversight/risks/",
    "/oversight/alerts/",
    "/oversight/ageing/",
    "/oversight/ageing/?by=customer",
    "/oversight/ageing/?by=team",
    "/oversight/reviews/",
    "/oversight/targets/",
    "/oversight/growth/",
    "/oversight/service/",
    "/oversight/customers/?kpi=lost",
]


@pytest.fixture
def risky(org, sell):
    org.organization.credit_limit = Decimal("500")
    org.organization.save()
    sell(org, "1000", TODAY - timedelta(days=70))
    risk.risk_compute(today=TODAY)
    return org


@pytest.mark.parametrize("url", PAGES)
def test_pages_work_for_leader_and_rep(client, leader, rep, risky, url):
    for user in (leader, rep):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, (user, url)


def test_risk_list_and_360_show_the_reasons(client, leader, risky):
    client.force_login(leader)
    page = client.get("/oversight/risks/?rule=overdue").content.decode()
    assert risky.name in page
    assert "overdue" in page.lower()
    assert 'data-testid="risk-card"' in client.get(risky.get_absolute_url()).content.decode()
    detail = client.get(f"/oversight/customers/{risky.pk}/card/").content.decode()
    assert 'data-testid="risk-badge"' in detail
    assert "200.0% of the credit limit used" in detail


def test_another_rep_does_not_see_the_risk(client, other_rep, risky):
    client.force_login(other_rep)
    assert risky.name not in client.get("/oversight/risks/").content.decode()
    assert client.get(f"/oversight/customers/{risky.pk}/card/").status_code == 404
    assert client.get(f"/api/v1/oversight/customers/{risky.pk}/risk").status_code == 404


def test_acknowledge_alert_lands_on_timeline(client, rep, leader, risky):
    alert = RiskAlert.objects.get(customer=risky)
    client.force_login(leader)
    response = client.post(f"/oversight/alerts/{alert.pk}/acknowledge/", {"note": "x"})
    assert response.status_code == 403
    client.force_login(rep)
    client.post(f"/oversight/alerts/{alert.pk}/acknowledge/", {"note": "已约定分期付款"})
    alert.refresh_from_db()
    assert alert.note == "已约定分期付款"
    timeline = client.get(f"/customers/{risky.pk}/timeline/").content.decode()
    assert "已约定分期付款" in timeline


def test_rules_page_for_admins_only_and_audited(client, admin_user, leader):
    from kehu.core.models import AuditEvent

    client.force_login(leader)
    assert client.get("/oversight/rules/").status_code == 403
    client.force_login(admin_user)
    assert client.get("/oversight/rules/").status_code == 200
    rule = RiskRule.objects.get(code="overdue")
    client.post(
        "/oversight/rules/",
        {"rule": rule.pk, "enabled": "on", "level": "2", "days": "45", "amount": "0"},
    )
    rule.refresh_from_db()
    assert (rule.days, rule.level) == (45, 2)
    event = AuditEvent.objects.filter(action="settings_changed").latest("at")
    assert event.detail == {"changed": ["days", "level"]}


def test_review_page_changes_grade(client, rep, org):
    from kehu.oversight.services import review_settings_update  # noqa: F401

    client.force_login(rep)
    assert client.get(f"/oversight/reviews/new/{org.pk}/").status_code == 200
    response = client.post(
        f"/oversight/reviews/new/{org.pk}/",
        {"outcome": "资料已核实", "grade": "important", "reason": "年采购额过百万"},
    )
    assert response.status_code == 302
    org.refresh_from_db()
    # a rep without a manager: nobody to approve, the archive administrator approves later
    assert org.reviews.get().changes == {"grade": ["general", "important"]}


def test_api_dashboard_and_refusals(client, leader, rep, other_rep, risky):
    client.force_login(leader)
    body = client.get("/api/v1/oversight/dashboard?period=quarter").json()
    assert body["risks"]["high"] == 1
    assert body["figures"]["overdue"] == "1000.00"
    assert (
        client.post(
            "/api/v1/oversight/targets/",
            {
                "period": "month",
                "starts_on": "2026-06-01",
                "metric": "revenue",
                "amount": "1",
                "owner_id": rep.pk,
            },
            content_type="application/json",
        ).status_code
        == 403
    )
    assert client.get("/api/v1/oversight/rules/").status_code == 403
    assert (
        client.get("/api/v1/oversight/ageing?group_by=customer").json()[0]["credit_used"] == 200.0
    )
    client.force_login(rep)
    risks = client.get("/api/v1/oversight/risks/").json()["results"]
    assert [r["id"] for r in risks] == [risky.pk]
    assert {r["rule"] for r in risks[0]["risk"]["reasons"]} == {"overdue", "credit"}
    client.force_login(other_rep)
    assert client.get("/api/v1/oversight/risks/").json()["results"] == []
    assert client.get("/api/v1/oversight/alerts/").json()["results"] == []


def test_checklist_is_configurable_by_admins(client, admin_user, rep):
    from kehu.oversight.models import ReviewCheck

    client.force_login(rep)
    assert (
        client.post("/oversight/rules/checklist/", {"label": "x", "label_en": "x"}).status_code
        == 403
    )
    client.force_login(admin_user)
    client.post(
        "/oversight/rules/checklist/", {"label": "竞争对手已了解", "label_en": "Competitors known"}
    )
    assert ReviewCheck.objects.filter(label_en="Competitors known", is_active=True).exists()
    assert ReviewCheck.objects.count() == 5  # the four defaults and the new one
