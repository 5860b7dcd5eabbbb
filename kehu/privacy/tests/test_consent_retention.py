"""The consent register read by the pool and fed by web forms; retention rules, their review and
the scheduled run; each endpoint works and refuses the wrong user."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.core.models import AuditEvent
from kehu.customers import services as customer_services
from kehu.customers.models import Customer
from kehu.intake.services.forms import web_form_save, web_form_submit
from kehu.interactions.services import interaction_log
from kehu.privacy import services
from kehu.privacy.models import ConsentRecord, Erasure, RetentionFlag, RetentionRule
from kehu.privacy.selectors import consent_states, customers_consenting
from kehu.privacy.tasks import run_retention
from kehu.privacy.tests.conftest import api

pytestmark = pytest.mark.django_db


def test_customers_consenting_follows_the_newest_record(archivist, customer):
    assert not customers_consenting("marketing_email").exists()  # never asked: no
    record = services.consent_record(
        user=archivist,
        customer=customer,
        purpose="marketing_email",
        granted=True,
        method="paper",
        reference="A-1",
    )
    assert list(customers_consenting("marketing_email")) == [customer]
    services.consent_record(
        user=archivist,
        customer=customer,
        purpose="marketing_email",
        granted=False,
        method="call_recording",
        reference="REC-2",
        at=record.at + timedelta(seconds=1),
    )
    assert not customers_consenting("marketing_email").exists()
    assert [s.granted for s in consent_states(customer)] == [False] * 5
    with pytest.raises(ValueError, match="unknown purpose"):
        customers_consenting("carrier_pigeon")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONSENT).count() == 2


def test_the_pool_hides_who_refused_marketing_calls(client, rep, other_rep, admin_user, customer):
    customer_services.customer_assign(user=admin_user, customer=customer, owner=None)
    client.force_login(other_rep)
    listed = client.get("/api/v1/pool/").json()["results"]
    assert [c["id"] for c in listed] == [customer.pk]
    services.consent_record(
        user=None,
        customer=customer,
        purpose="marketing_phone",
        granted=False,
        method="call_recording",
        reference="REC-9",
    )
    assert client.get("/api/v1/pool/").json()["results"] == []
    assert client.post(f"/api/v1/pool/{customer.pk}/claim").status_code == 404
    assert Customer.objects.get(pk=customer.pk).owner is None


def test_web_form_consent_flows_into_the_register_with_form_and_version(admin_user, data_dir):
    form = web_form_save(
        user=admin_user,
        slug="newsletter",
        title="订阅",
        fields=[{"code": "name", "required": True}, {"code": "emails"}],
        consent_text="我同意接收营销邮件。",
        consent_purposes=["marketing_email"],
    )
    submission = web_form_submit(
        form=form, values={"name": "邝嘉禾", "emails": "jiahe@example.com"}, consent=True
    )
    record = ConsentRecord.objects.get()
    assert (record.customer_id, record.purpose, record.granted) == (
        submission.customer_id,
        "marketing_email",
        True,
    )
    assert record.method == "web_form"
    assert record.reference == "newsletter v1"
    assert record.submission == submission


def test_past_web_form_consents_are_derived_once_purposes_are_named(admin_user, data_dir):
    form = web_form_save(
        user=admin_user,
        slug="inquiry-old",
        title="询价",
        fields=[{"code": "name", "required": True}, {"code": "phones"}],
        consent_text="我同意贵公司就询价与我联系。",
    )
    web_form_submit(form=form, values={"name": "卢思远", "phones": "13511112222"}, consent=True)
    assert not ConsentRecord.objects.exists()
    web_form_save(
        user=admin_user,
        form=form,
        slug=form.slug,
        title=form.title,
        fields=form.fields,
        consent_text=form.consent_text,
        consent_purposes=["marketing_phone", "marketing_sms"],
    )
    assert services.consents_derive_from_web_forms() == 2
    assert services.consents_derive_from_web_forms() == 0  # idempotent
    assert {r.reference for r in ConsentRecord.objects.all()} == {"inquiry-old v1"}


def test_web_form_purposes_are_checked(admin_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        web_form_save(
            user=admin_user,
            slug="bad",
            title="x",
            fields=[{"code": "name", "required": True}],
            consent_text="",
            consent_purposes=["marketing_email"],
        )
    assert "consent_purposes" in refused.value.message_dict


# --- retention --------------------------------------------------------------------------------


@pytest.fixture
def old_lead(rep, data_dir):
    lead = customer_services.customer_create(
        user=rep, kind="person", data={"name": "久未联系", "phones": ["13900001111"]}
    )
    long_ago = timezone.now() - timedelta(days=800)
    Customer.objects.filter(pk=lead.pk).update(created_at=long_ago, updated_at=long_ago)
    return lead


def test_retention_flags_then_anonymises_after_review(archivist, rep, old_lead):
    fresh = customer_services.customer_create(user=rep, kind="person", data={"name": "新线索"})
    active = customer_services.customer_create(user=rep, kind="person", data={"name": "常联系"})
    Customer.objects.filter(pk=active.pk).update(updated_at=timezone.now() - timedelta(days=800))
    interaction_log(user=rep, customer=active, type="phone_call", summary="回访")
    rule = services.retention_rule_save(
        user=archivist, name="线索两年无往来", kind="inactive_leads", months=24
    )
    first = services.retention_run(user=archivist)
    assert first.flagged == 1
    flag = RetentionFlag.objects.get()
    assert flag.customer_id == old_lead.pk
    assert flag.rule == rule
    assert not RetentionFlag.objects.filter(customer__in=[fresh, active]).exists()
    # nothing is anonymised before review; a second run flags nobody twice
    assert services.retention_run().flagged == 0
    assert not Erasure.objects.exists()
    services.retention_decide(user=archivist, flag_ids=[flag.pk], approve=True)
    run_retention.call_local()  # the scheduled job
    old_lead.refresh_from_db()
    assert old_lead.name == f"#{old_lead.pk}"
    assert Erasure.objects.get(customer=old_lead).reason == "retention"
    assert RetentionFlag.objects.get().status == "anonymised"
    steps = [e.detail["step"] for e in AuditEvent.objects.filter(action="retention")]
    assert sorted(steps) == ["reviewed", "rule saved", "run", "run", "run"]


def test_kept_customers_are_not_anonymised(archivist, old_lead):
    services.retention_rule_save(user=archivist, name="r", kind="inactive_leads", months=12)
    services.retention_run()
    flag = RetentionFlag.objects.get()
    services.retention_decide(user=archivist, flag_ids=[flag.pk], approve=False)
    services.retention_run()
    assert not Erasure.objects.exists()
    assert RetentionFlag.objects.get().status == "kept"


def test_retention_api(client, archivist, rep, old_lead):
    client.force_login(archivist)
    bad = api(client, "POST", "/privacy/retention/rules/", {"name": "x", "kind": "x", "months": 0})
    assert bad.status_code == 422
    rule = api(
        client,
        "POST",
        "/privacy/retention/rules/",
        {"name": "流失三年", "kind": "inactive_leads", "months": 36},
    )
    assert rule.status_code == 201
    rule_id = rule.json()["id"]
    changed = api(
        client,
        "PUT",
        f"/privacy/retention/rules/{rule_id}",
        {"name": "流失两年", "kind": "inactive_leads", "months": 24, "is_active": True},
    )
    assert changed.json()["months"] == 24
    assert api(client, "GET", "/privacy/retention/rules/").json()[0]["name"] == "流失两年"
    assert api(client, "POST", "/privacy/retention/run").json()["flagged"] == 1
    flags = api(client, "GET", "/privacy/retention/flags").json()["results"]
    assert [f["customer"]["id"] for f in flags] == [old_lead.pk]
    decided = api(
        client,
        "POST",
        "/privacy/retention/flags/decide",
        {"flag_ids": [flags[0]["id"]], "approve": True},
    )
    assert decided.json() == {"decided": 1}
    assert api(client, "POST", "/privacy/retention/run").json()["anonymised"] == 1
    client.force_login(rep)
    for method, path, body in (
        ("GET", "/privacy/retention/rules/", None),
        ("POST", "/privacy/retention/rules/", {"name": "x", "kind": "lost_customers", "months": 1}),
        (
            "PUT",
            f"/privacy/retention/rules/{rule_id}",
            {"name": "x", "kind": "lost_customers", "months": 1},
        ),
        ("GET", "/privacy/retention/flags", None),
        ("POST", "/privacy/retention/flags/decide", {"flag_ids": [1], "approve": True}),
        ("POST", "/privacy/retention/run", None),
    ):
        assert api(client, method, path, body).status_code == 404, path
    assert RetentionRule.objects.get().months == 24


def test_retention_pages(client, archivist, rep, old_lead):
    client.force_login(archivist)
    page = client.get("/privacy/retention/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "保存期限规则" in page.content.decode()
    created = client.post(
        "/privacy/retention/",
        {"name": "线索一年", "kind": "inactive_leads", "months": 12, "is_active": "on"},
    )
    assert created.status_code == 302
    rule = RetentionRule.objects.get()
    assert client.post(f"/privacy/retention/rules/{rule.pk}/toggle/").status_code == 302
    assert not RetentionRule.objects.get().is_active
    client.post(f"/privacy/retention/rules/{rule.pk}/toggle/")
    assert client.post("/privacy/retention/run/").status_code == 302
    flag = RetentionFlag.objects.get()
    english = client.get("/privacy/retention/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for review" in english
    assert "久未联系" in english
    response = client.post("/privacy/retention/decide/", {"flag": [flag.pk], "decision": "approve"})
    assert response.status_code == 302
    assert RetentionFlag.objects.get().status == "approved"
    client.force_login(rep)
    assert client.get("/privacy/retention/").status_code == 404
    for path in (f"rules/{rule.pk}/toggle/", "decide/", "run/"):
        assert client.post(f"/privacy/retention/{path}").status_code == 404
