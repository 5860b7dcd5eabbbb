"""The request register and each step of a request, through the API and the pages: each works
for an archive administrator and is refused (404) to anyone else; both languages."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.core.models import AuditEvent
from kehu.customers.models import CustomerChange
from kehu.customers.services import customer_field_reveal, customer_update
from kehu.privacy import services
from kehu.privacy.erasure import ERASED
from kehu.privacy.models import (
    ConsentRecord,
    DataSubjectRequest,
    Erasure,
    RequestKind,
    Verification,
)
from kehu.privacy.selectors import customers_consenting
from kehu.privacy.tests.conftest import api

pytestmark = pytest.mark.django_db


def make_request(archivist, customer, kind, **extra):
    return services.privacy_request_create(
        user=archivist,
        customer=customer,
        kind=kind,
        verification=Verification.IN_PERSON,
        **extra,
    )


def unzip(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return json.loads(archive.read("data.json")), archive.read("data.html").decode()


# --- the register -----------------------------------------------------------------------------


def test_api_records_a_request_due_after_the_configured_days(client, archivist, customer, settings):
    settings.KEHU_PRIVACY_REQUEST_DAYS = 30
    client.force_login(archivist)
    received = (timezone.localdate() - timedelta(days=2)).isoformat()
    response = api(
        client,
        "POST",
        "/privacy/requests/",
        {
            "kind": "copy",
            "customer_id": customer.pk,
            "verification": "phone_callback",
            "received_on": received,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["due_on"] == (timezone.localdate() + timedelta(days=28)).isoformat()
    assert body["status"] == "received"
    assert body["customer"] == {"id": customer.pk, "name": "甘露雪"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.PRIVACY_REQUEST)
    assert event.detail["step"] == "received"
    assert "甘露雪" not in json.dumps(event.detail, ensure_ascii=False)
    listed = api(client, "GET", "/privacy/requests/?status=received").json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]
    assert api(client, "GET", f"/privacy/requests/{body['id']}").status_code == 200


def test_default_deadline_is_15_days(archivist, customer):
    dsr = make_request(archivist, customer, RequestKind.COPY)
    assert dsr.due_on - dsr.received_on == timedelta(days=15)


def test_bad_input_is_refused_in_the_users_language(client, archivist, customer):
    client.force_login(archivist)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    body = {"kind": "copy", "customer_id": customer.pk, "verification": "in_person"}
    response = client.post(
        "/api/v1/privacy/requests/",
        {**body, "received_on": future},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 422
    assert "未来" in json.dumps(response.json(), ensure_ascii=False)
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.parametrize("role_user", ["rep", "agent", "leader"])
def test_the_register_is_refused_to_other_roles(client, request, archivist, customer, role_user):
    user = request.getfixturevalue(role_user)
    dsr = make_request(archivist, customer, RequestKind.DELETION)
    client.force_login(user)
    body = {"kind": "copy", "customer_id": customer.pk, "verification": "in_person"}
    assert api(client, "GET", "/privacy/requests/").status_code == 404
    assert api(client, "POST", "/privacy/requests/", body).status_code == 404
    assert api(client, "GET", f"/privacy/requests/{dsr.pk}").status_code == 404
    assert (
        api(client, "PATCH", f"/privacy/requests/{dsr.pk}", {"status": "done"}).status_code == 404
    )
    for step in ("copy", "erase", "handed-over"):
        assert api(client, "POST", f"/privacy/requests/{dsr.pk}/{step}", {}).status_code == 404
    correct = {"data": {"name": "x"}}
    assert api(client, "POST", f"/privacy/requests/{dsr.pk}/correct", correct).status_code == 404
    assert api(client, "POST", f"/privacy/requests/{dsr.pk}/withdraw", {}).status_code == 404
    assert api(client, "GET", f"/privacy/requests/{dsr.pk}/copy").status_code == 404
    for path in ("", "new/", f"{dsr.pk}/", "retention/", f"customers/{customer.pk}/consents/"):
        assert client.get(f"/privacy/{path}").status_code == 404
    for path in ("update/", "copy/", "erase/", "correct/", "withdraw/", "handed-over/"):
        assert client.post(f"/privacy/{dsr.pk}/{path}", {"confirm": "erase"}).status_code == 404
    assert not Erasure.objects.exists()


def test_status_handler_and_outcome_are_changed_and_a_refusal_needs_a_reason(
    client, archivist, admin_user, customer
):
    dsr = make_request(archivist, customer, RequestKind.COPY)
    client.force_login(archivist)
    refused = api(client, "PATCH", f"/privacy/requests/{dsr.pk}", {"status": "refused"})
    assert refused.status_code == 422
    response = api(
        client,
        "PATCH",
        f"/privacy/requests/{dsr.pk}",
        {"status": "refused", "outcome": "身份无法核实", "handler_id": admin_user.pk},
    )
    assert response.status_code == 200
    assert response.json()["handler"] == admin_user.username
    closed = api(client, "PATCH", f"/privacy/requests/{dsr.pk}", {"status": "done"})
    assert closed.status_code == 422
    steps = AuditEvent.objects.filter(action=AuditEvent.Action.PRIVACY_REQUEST)
    assert [e.detail["step"] for e in steps.order_by("id")] == ["received", "updated"]


# --- copy -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title"), [("zh-hans", "您的个人信息"), ("en", "Your personal data")]
)
def test_copy_holds_every_fact_in_clear_with_its_source_in_the_persons_language(
    client, archivist, customer, language, title
):
    customer_update(
        user=archivist, customer=customer, data={"person.spouse": "韩子墨"}, note="电话核实"
    )
    services.consent_record(
        user=archivist,
        customer=customer,
        purpose="marketing_email",
        granted=True,
        method="paper",
        reference="纸质同意书 2026-001",
    )
    dsr = make_request(archivist, customer, RequestKind.COPY, language=language)
    client.force_login(archivist)
    made = api(client, "POST", f"/privacy/requests/{dsr.pk}/copy")
    assert made.status_code == 200
    assert made.json()["copy_ready"] is True
    path = services.privacy_copy_open(user=archivist, dsr=DataSubjectRequest.objects.get(pk=dsr.pk))
    assert path.stat().st_mode & 0o777 == 0o600
    assert b"330212199105170748" not in path.read_bytes()  # encrypted at rest
    response = api(client, "GET", f"/privacy/requests/{dsr.pk}/copy")
    assert response.status_code == 200
    assert f'filename="personal-data-{dsr.pk}.zip"' in response["Content-Disposition"]
    data, html = unzip(b"".join(response.streaming_content))
    values = {f["field"]: f["value"] for f in data["fields"]}
    assert values["person.id_number"] == "330212199105170748"
    assert values["person.spouse"] == "韩子墨"
    assert values["emails"] == "luxue.gan@example.com"
    sources = {f["field"]: f["source"] for f in data["fields"]}
    assert sources["person.id_number"]
    assert sources["person.spouse"]
    assert any(h["note"] == "电话核实" for h in data["history"])
    assert data["consents"][0]["reference"] == "纸质同意书 2026-001"
    assert title in html
    assert "330212199105170748" in html
    steps = AuditEvent.objects.filter(action=AuditEvent.Action.PRIVACY_COPY).order_by("id")
    assert [e.detail["step"] for e in steps] == ["made", "downloaded", "downloaded"]


def test_copy_through_the_pages_and_closing_removes_the_file(client, archivist, customer):
    dsr = make_request(archivist, customer, RequestKind.COPY)
    client.force_login(archivist)
    page = client.get(f"/privacy/{dsr.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "制作副本" in page.content.decode()
    assert client.post(f"/privacy/{dsr.pk}/copy/").status_code == 302
    dsr.refresh_from_db()
    download = client.get(f"/privacy/{dsr.pk}/copy/download/")
    assert download.status_code == 200
    assert f'filename="personal-data-{dsr.pk}.zip"' in download["Content-Disposition"]
    data, _html = unzip(b"".join(download.streaming_content))
    assert data["customer"]["name"] == "甘露雪"
    services.privacy_copy_open(user=archivist, dsr=dsr)
    with_commit = client.post(f"/privacy/{dsr.pk}/handed-over/")
    assert with_commit.status_code == 302
    dsr.refresh_from_db()
    assert dsr.status == "done"
    assert not dsr.copy_path


def test_a_copy_step_on_a_deletion_request_is_refused(client, archivist, customer):
    dsr = make_request(archivist, customer, RequestKind.DELETION)
    client.force_login(archivist)
    assert api(client, "POST", f"/privacy/requests/{dsr.pk}/copy").status_code == 422


# --- erasure ----------------------------------------------------------------------------------


def test_erasure_through_the_api(client, archivist, customer):
    dsr = make_request(archivist, customer, RequestKind.DELETION)
    client.force_login(archivist)
    response = api(client, "POST", f"/privacy/requests/{dsr.pk}/erase")
    assert response.status_code == 200
    assert response.json()["status"] == "done"
    customer.refresh_from_db()
    assert customer.name == f"#{customer.pk}"
    assert not customer.phones.exists()
    again = make_request
    with pytest.raises(Exception, match="erased"):
        again(archivist, customer, RequestKind.COPY)


def test_erasure_through_the_page_needs_the_confirmation(client, archivist, customer):
    dsr = make_request(archivist, customer, RequestKind.DELETION)
    client.force_login(archivist)
    client.post(f"/privacy/{dsr.pk}/erase/")
    assert not Erasure.objects.exists()
    page = client.post(f"/privacy/{dsr.pk}/erase/", {"confirm": "erase"}, follow=True)
    assert page.status_code == 200
    assert Erasure.objects.filter(customer=customer).exists()


# --- correction -------------------------------------------------------------------------------


def test_correction_goes_through_provenance_and_the_wrong_values_leave_history(
    client, archivist, customer
):
    customer_update(
        user=archivist, customer=customer, data={"person.id_number": "330212199105171185"}
    )
    old_entry = CustomerChange.objects.filter(customer=customer, field="person.id_number").latest(
        "id"
    )
    dsr = make_request(archivist, customer, RequestKind.CORRECTION)
    client.force_login(archivist)
    response = api(
        client,
        "POST",
        f"/privacy/requests/{dsr.pk}/correct",
        {"data": {"phones": ["13766554400"], "person.id_number": "330212199105170748"}},
    )
    assert response.status_code == 200, response.content
    change = CustomerChange.objects.filter(customer=customer, field="phones").latest("id")
    assert change.channel is not None
    assert change.channel.code == "data_subject_request"
    assert change.new_value == "+8613766554400"
    texts = " ".join(
        f"{c.old_value} {c.new_value}" for c in CustomerChange.objects.filter(customer=customer)
    )
    assert "13766554433" not in texts
    # the old ID number can no longer be revealed through its history entry
    revealed = customer_field_reveal(
        user=archivist, customer=customer, field="person.id_number", change_id=old_entry.pk
    )
    assert revealed == ERASED


def test_correction_through_the_page(client, archivist, customer):
    dsr = make_request(archivist, customer, RequestKind.CORRECTION)
    client.force_login(archivist)
    response = client.post(
        f"/privacy/{dsr.pk}/correct/",
        {"field_1": "address", "value_1": "浙江省宁波市江北区人民路9号", "forget_old_values": "on"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.address == "浙江省宁波市江北区人民路9号"


# --- withdrawal, consent ---------------------------------------------------------------------


def test_objection_to_marketing_withdraws_every_marketing_purpose(client, archivist, customer):
    for purpose in ("marketing_email", "marketing_sms", "data_sharing"):
        services.consent_record(
            user=archivist, customer=customer, purpose=purpose, granted=True, method="web_form"
        )
    assert customers_consenting("marketing_email").filter(pk=customer.pk).exists()
    dsr = make_request(archivist, customer, RequestKind.OBJECT_MARKETING)
    client.force_login(archivist)
    assert api(client, "POST", f"/privacy/requests/{dsr.pk}/withdraw", {}).status_code == 200
    for purpose in ("marketing_email", "marketing_sms", "marketing_phone"):
        assert not customers_consenting(purpose).filter(pk=customer.pk).exists()
    assert customers_consenting("data_sharing").filter(pk=customer.pk).exists()


def test_withdrawal_of_one_purpose_through_the_page(client, archivist, customer):
    services.consent_record(
        user=archivist, customer=customer, purpose="data_sharing", granted=True, method="web_form"
    )
    dsr = make_request(archivist, customer, RequestKind.WITHDRAW_CONSENT)
    client.force_login(archivist)
    empty = client.post(f"/privacy/{dsr.pk}/withdraw/", {})
    assert empty.status_code == 200  # the form again, with the problem
    assert (
        client.post(f"/privacy/{dsr.pk}/withdraw/", {"purposes": ["data_sharing"]}).status_code
        == 302
    )
    assert not customers_consenting("data_sharing").filter(pk=customer.pk).exists()


def test_consent_api_reads_for_who_sees_the_customer_and_records_for_archive_admins(
    client, archivist, rep, other_rep, customer
):
    client.force_login(archivist)
    paper = {"purpose": "marketing_phone", "granted": True, "method": "paper"}
    assert (
        api(client, "POST", f"/privacy/customers/{customer.pk}/consents/", paper).status_code == 422
    )
    paper["reference"] = "同意书 A-17"
    created = api(client, "POST", f"/privacy/customers/{customer.pk}/consents/", paper)
    assert created.status_code == 201
    client.force_login(rep)
    listed = api(client, "GET", f"/privacy/customers/{customer.pk}/consents/")
    assert listed.status_code == 200
    assert listed.json()[0]["reference"] == "同意书 A-17"
    refused = api(client, "POST", f"/privacy/customers/{customer.pk}/consents/", paper)
    assert refused.status_code == 403  # sees the customer, may not record consent
    client.force_login(other_rep)
    assert api(client, "GET", f"/privacy/customers/{customer.pk}/consents/").status_code == 404
    assert (
        api(client, "POST", f"/privacy/customers/{customer.pk}/consents/", paper).status_code == 404
    )


def test_consent_page_records_and_shows_in_both_languages(client, archivist, customer):
    client.force_login(archivist)
    response = client.post(
        f"/privacy/customers/{customer.pk}/consents/",
        {
            "purpose": "marketing_sms",
            "granted": "0",
            "method": "call_recording",
            "reference": "REC-88",
        },
    )
    assert response.status_code == 302
    assert ConsentRecord.objects.get(customer=customer).granted is False
    zh = client.get(f"/privacy/customers/{customer.pk}/consents/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "营销短信" in zh.content.decode()
    en = client.get(f"/privacy/customers/{customer.pk}/consents/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Marketing SMS" in en.content.decode()


# --- the pages of the register -----------------------------------------------------------------


def test_find_the_person_by_phone_and_record_the_request_through_the_pages(
    client, archivist, customer
):
    client.force_login(archivist)
    found = client.get("/privacy/new/?q=13766554433", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert found.status_code == 200
    assert f"?customer={customer.pk}" in found.content.decode()
    by_id = client.get("/privacy/new/?q=330212199105170748")
    assert f"?customer={customer.pk}" in by_id.content.decode()
    response = client.post(
        "/privacy/new/",
        {
            "customer": customer.pk,
            "kind": "deletion",
            "verification": "in_person",
            "received_on": timezone.localdate().isoformat(),
            "language": "zh-hans",
        },
    )
    assert response.status_code == 302
    dsr = DataSubjectRequest.objects.get()
    listing = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "删除" in listing
    assert "甘露雪" in listing
    english = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Deletion" in english
    update = client.post(
        f"/privacy/{dsr.pk}/update/",
        {"status": "in_progress", "handler": archivist.pk, "outcome": ""},
    )
    assert update.status_code == 302
    dsr.refresh_from_db()
    assert dsr.status == "in_progress"
