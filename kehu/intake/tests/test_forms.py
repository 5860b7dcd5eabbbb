"""Public web forms: the page at /f/<slug>/, the JSON submit API, the definitions' admin."""

import re
import time
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.accounts.models import Role
from kehu.customers import services as customer_services
from kehu.customers.models import Customer, CustomerChange
from kehu.intake import services
from kehu.intake.formtoken import form_token
from kehu.intake.models import ConsentVersion, LeadAssignment, WebForm, WebFormSubmission
from kehu.interactions.models import Interaction, Notification

pytestmark = pytest.mark.django_db

CONSENT = "我同意贵公司按隐私政策处理我的个人信息，用于产品咨询回复。"


@pytest.fixture
def inquiry(admin_user):
    """A product inquiry form: name, phone, e-mail, employer, a message; consent required."""
    return services.web_form_save(
        user=admin_user,
        slug="inquiry",
        title="产品询价",
        fields=[
            {"code": "name", "required": True},
            {"code": "phones"},
            {"code": "emails"},
            {"code": "person.employer"},
            {"code": "message"},
        ],
        consent_text=CONSENT,
        thank_you_message="谢谢，我们会尽快联系您。",
    )


def aged_token(slug):
    """A page token issued a minute ago (a person takes a moment to fill the form)."""
    with mock.patch("time.time", return_value=time.time() - 60):
        return form_token(slug)


def page_post(client, slug, data, **extra):
    body = {"token": aged_token(slug), **data}
    return client.post(f"/f/{slug}/", body, **extra)


GOOD = {
    "name": "陈静",
    "phones": "139 1234 5678",
    "emails": "chenjing@example.com",
    "person.employer": "华为",
    "message": "想了解 A100 的报价",
    "consent": "on",
}


# --- the public page --------------------------------------------------------------------------


def test_page_is_public_framable_and_sets_no_cookie(client, inquiry):
    response = client.get("/f/inquiry/")

    assert response.status_code == 200
    assert "产品询价" in response.text
    assert CONSENT in response.text
    assert not response.cookies  # no session, no CSRF cookie: nothing to ride on
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp
    assert "X-Frame-Options" not in response.headers


def test_other_pages_stay_unframable(client, rep):
    client.force_login(rep)
    response = client.get("/calls/lookup")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_embed_origins_restrict_framing(client, admin_user, inquiry):
    services.web_form_save(
        user=admin_user,
        form=inquiry,
        slug=inquiry.slug,
        title=inquiry.title,
        fields=inquiry.fields,
        consent_text=inquiry.consent_text,
        embed_origins=["https://www.example.com/"],
    )
    csp = client.get("/f/inquiry/").headers["Content-Security-Policy"]
    assert "frame-ancestors https://www.example.com" in csp


def test_submission_creates_a_lead_with_provenance_consent_and_interaction(client, inquiry):
    # when
    response = page_post(client, "inquiry", GOOD, HTTP_USER_AGENT="Mozilla/5.0 test")

    # then
    assert response.status_code == 302
    assert response.url == "/f/inquiry/thanks/"
    thanks = client.get(response.url)
    assert "谢谢，我们会尽快联系您。" in thanks.text
    lead = Customer.objects.get()
    assert lead.name == "陈静"
    assert lead.lifecycle_stage == Customer.Stage.LEAD
    assert lead.source_channel is not None
    assert lead.source_channel.code == "website"
    assert lead.person.employer == "华为"
    assert list(lead.phones.values_list("number", flat=True)) == ["+8613912345678"]
    for change in CustomerChange.objects.filter(customer=lead, field__in=["name", "phones"]):
        assert change.channel is not None
        assert change.channel.code == "website"
        assert change.changed_by is None
    submission = WebFormSubmission.objects.get()
    assert submission.customer == lead
    assert submission.created_lead
    assert submission.consent is not None
    assert submission.consent.version == 1
    assert submission.consent is not None
    assert submission.consent.text == CONSENT
    assert submission.consented_at is not None
    assert submission.ip_address == "127.0.0.1"
    assert submission.user_agent == "Mozilla/5.0 test"
    assert submission.data["message"] == "想了解 A100 的报价"
    interaction = Interaction.objects.get(customer=lead)
    assert interaction.type == Interaction.Type.WEB_FORM
    assert interaction.source == Interaction.Source.WEB_FORM
    assert interaction.channel is not None
    assert interaction.channel.code == "website"
    assert "想了解 A100 的报价" in interaction.summary
    assert submission.interaction == interaction


def test_new_lead_goes_by_the_assignment_rule_and_is_notified(client, inquiry, make_user):
    closer = make_user(username="closer")
    LeadAssignment.objects.create(pk=1, rule=LeadAssignment.Rule.FIXED_USER, user=closer)
    page_post(client, "inquiry", GOOD)
    lead = Customer.objects.get()
    assert lead.owner == closer
    assert "陈静" in Notification.objects.get(user=closer).text


def test_duplicate_by_phone_attaches_and_fills_only_empty_fields(client, inquiry, rep):
    # given a customer with this phone, a name and no e-mail or employer
    known = customer_services.customer_create(
        user=rep, kind="person", data={"name": "陈静（老客户）", "phones": "13912345678"}
    )
    # when
    page_post(client, "inquiry", {**GOOD, "phones": "+86 139-1234-5678", "name": "陈小静"})

    # then
    assert Customer.objects.count() == 1
    known.refresh_from_db()
    assert known.name == "陈静（老客户）"  # never overwritten
    assert known.person.employer == "华为"  # was empty: filled
    assert list(known.emails.values_list("address", flat=True)) == ["chenjing@example.com"]
    filled = CustomerChange.objects.get(customer=known, field="person.employer")
    assert filled.channel is not None
    assert filled.channel.code == "website"
    submission = WebFormSubmission.objects.get()
    assert submission.customer == known
    assert not submission.created_lead
    assert submission.data["name"] == "陈小静"  # what the visitor typed is kept
    assert Interaction.objects.get().customer == known
    assert "陈静（老客户）" in Notification.objects.get(user=rep).text


def test_duplicate_by_email_attaches(client, inquiry, rep):
    known = customer_services.customer_create(
        user=rep, kind="person", data={"name": "陈静", "emails": "ChenJing@Example.com"}
    )
    page_post(client, "inquiry", {**GOOD, "phones": "", "emails": "chenjing@example.com"})
    assert Customer.objects.count() == 1
    assert WebFormSubmission.objects.get().customer == known


def test_a_lead_that_likely_repeats_a_customer_is_queued_for_review(client, inquiry, rep):
    # given a customer whose phone the visitor mistypes by one digit, with another e-mail
    from kehu.dedup.models import DuplicateCandidate

    known = customer_services.customer_create(
        user=rep,
        kind="person",
        data={"name": "陈静", "phones": "13912345678", "person.employer": "华为"},
    )
    # when the form is sent
    page_post(client, "inquiry", {**GOOD, "phones": "139 1234 5679", "emails": "cj@example.org"})

    # then a lead is made (no key matched) and the pair waits in the duplicate review queue
    lead = Customer.objects.exclude(pk=known.pk).get()
    pair = DuplicateCandidate.objects.get()
    assert (pair.customer_a_id, pair.customer_b_id) == (known.pk, lead.pk)
    assert pair.status == DuplicateCandidate.Status.PENDING
    assert {"name", "phone", "employer"} <= set(pair.agreed)


def test_a_lead_unlike_any_customer_is_not_queued(client, inquiry, rep):
    from kehu.dedup.models import DuplicateCandidate

    customer_services.customer_create(
        user=rep, kind="person", data={"name": "王芳", "phones": "13800000001"}
    )
    page_post(client, "inquiry", GOOD)
    assert Customer.objects.count() == 2
    assert not DuplicateCandidate.objects.exists()


def test_honeypot_pretends_success_and_stores_nothing(client, inquiry):
    response = page_post(client, "inquiry", {**GOOD, "homepage": "http://spam.example"})
    assert response.status_code == 302
    assert not Customer.objects.exists()
    assert not WebFormSubmission.objects.exists()


def test_too_fast_submission_is_refused(client, inquiry):
    body = {**GOOD, "token": form_token("inquiry")}  # issued this instant
    response = client.post("/f/inquiry/", body)
    assert response.status_code == 400
    assert "quick" in response.text
    assert not Customer.objects.exists()


def test_token_of_another_form_or_forged_is_refused(client, inquiry):
    for token in (aged_token("other-form"), "inquiry:forged:sig", ""):
        response = client.post("/f/inquiry/", {**GOOD, "token": token})
        assert response.status_code == 400
    assert not Customer.objects.exists()


def test_post_from_another_site_is_refused(client, inquiry):
    response = page_post(client, "inquiry", GOOD, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 400
    assert not Customer.objects.exists()
    same = page_post(client, "inquiry", GOOD, HTTP_ORIGIN="http://testserver")
    assert same.status_code == 302


def test_missing_consent_and_bad_phone_are_explained_and_nothing_is_stored(client, inquiry):
    body = {k: v for k, v in GOOD.items() if k != "consent"}
    response = page_post(client, "inquiry", {**body, "phones": "12345"})

    assert response.status_code == 422
    assert re.search(r'data-testid="error-consent"', response.text)
    assert re.search(r'data-testid="error-phones"', response.text)
    assert "陈静" in response.text  # what the visitor typed is kept
    assert not Customer.objects.exists()
    assert not WebFormSubmission.objects.exists()
    assert not Interaction.objects.exists()


def test_messages_follow_the_visitors_language(client, inquiry):
    body = {**GOOD, "name": "", "phones": "12345"}
    chinese = page_post(client, "inquiry", body, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert chinese.status_code == 422
    assert 'lang="zh-CN"' in chinese.text
    assert "请输入中国大陆手机号" in chinese.text
    assert "此项为必填项。" in chinese.text
    english = page_post(client, "inquiry", body, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Enter a mainland mobile number" in english.text


def test_required_field_and_reachability(client, admin_user):
    form = services.web_form_save(
        user=admin_user,
        slug="signup",
        title="注册",
        fields=[{"code": "phones"}, {"code": "emails"}],
    )
    response = page_post(client, form.slug, {"name": "", "phones": "", "emails": ""})
    assert response.status_code == 422
    assert 'data-testid="error-name"' in response.text
    assert 'data-testid="error-phones"' in response.text


def test_rate_limit_per_address(client, inquiry, one_rate_window):
    from kehu.intake import views

    with mock.patch.object(views, "SUBMIT_LIMIT", 2):
        codes = [
            page_post(client, "inquiry", {**GOOD, "phones": f"1391234560{n}"}).status_code
            for n in range(3)
        ]
        other = page_post(
            client, "inquiry", {**GOOD, "phones": "13912345609"}, REMOTE_ADDR="10.0.0.9"
        )
    assert codes == [302, 302, 429]
    assert other.status_code == 302
    assert WebFormSubmission.objects.count() == 3


def test_size_limit(client, inquiry):
    response = page_post(client, "inquiry", {**GOOD, "message": "长" * 20000})
    assert response.status_code == 413
    assert not Customer.objects.exists()


def test_long_message_within_request_limit_is_refused_by_field(client, inquiry):
    response = page_post(client, "inquiry", {**GOOD, "message": "x" * 2500})
    assert response.status_code == 422
    assert 'data-testid="error-message"' in response.text


def test_inactive_or_unknown_form_is_404(client, admin_user, inquiry):
    inquiry.is_active = False
    inquiry.save()
    assert client.get("/f/inquiry/").status_code == 404
    assert page_post(client, "inquiry", GOOD).status_code == 404
    assert client.get("/f/nothing-here/").status_code == 404
    response = client.post(
        "/api/v1/forms/inquiry/submit", {"fields": {"name": "x"}}, content_type="application/json"
    )
    assert response.status_code == 404


# --- the JSON API -----------------------------------------------------------------------------

SUBMIT = "/api/v1/forms/inquiry/submit"


def api_submit(client, body, **extra):
    return client.post(SUBMIT, body, content_type="application/json", **extra)


def test_api_submit_without_token_or_csrf(inquiry):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = api_submit(
        client,
        {"fields": {"name": "王磊", "phones": "13700001111", "message": "报价"}, "consent": True},
    )
    assert response.status_code == 201, response.content
    assert response.json()["message"] == "谢谢，我们会尽快联系您。"
    submission = WebFormSubmission.objects.get()
    assert submission.via_api
    assert submission.customer is not None
    assert submission.customer.name == "王磊"
    assert submission.consent is not None
    assert submission.consent.version == 1


def test_api_accepts_only_the_forms_fields(client, inquiry):
    response = api_submit(
        client,
        {
            "fields": {"name": "王磊", "phones": "13700001111", "grade": "important"},
            "consent": True,
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert {e["field"] for e in body["errors"]} == {"grade"}
    unknown_key = api_submit(client, {"fields": {"name": "王磊"}, "consent": True, "owner": 1})
    assert unknown_key.status_code == 422
    assert not Customer.objects.exists()


def test_api_validation_body(client, inquiry):
    response = api_submit(client, {"fields": {"name": "", "phones": "123"}})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "phones", "consent"}
    bad_json = client.post(SUBMIT, "not json", content_type="application/json")
    assert bad_json.status_code == 422


def test_api_rate_limit(client, inquiry, one_rate_window):
    from kehu.intake import api

    with mock.patch.object(api, "SUBMIT_LIMIT", 1):
        first = api_submit(client, {"fields": {"name": "甲", "phones": "13700001111"}})
        second = api_submit(client, {"fields": {"name": "乙", "phones": "13700002222"}})
    assert first.status_code == 422  # no consent; the attempt still counts
    assert second.status_code == 429
    assert second.json()["code"] == "rate_limited"


def test_api_size_limit(client, inquiry):
    response = api_submit(client, {"fields": {"name": "x", "message": "y" * 20000}})
    assert response.status_code == 413
    assert not Customer.objects.exists()


# --- definitions ------------------------------------------------------------------------------


def test_changed_consent_text_is_a_new_version(admin_user, inquiry):
    same = {"slug": "inquiry", "title": "产品询价", "fields": inquiry.fields}
    services.web_form_save(user=admin_user, form=inquiry, consent_text=CONSENT, **same)
    assert inquiry.consent_version == 1
    services.web_form_save(user=admin_user, form=inquiry, consent_text="新条款", **same)
    assert inquiry.consent_version == 2
    assert list(ConsentVersion.objects.values_list("version", "text")) == [
        (2, "新条款"),
        (1, CONSENT),
    ]


def test_definition_is_validated(admin_user):
    with pytest.raises(ValidationError) as exc:
        services.web_form_save(
            user=admin_user,
            slug="",
            title="",
            fields=[{"code": "person.id_number"}, {"code": "grade"}],
            embed_origins=["javascript:alert(1)"],
        )
    assert set(exc.value.message_dict) == {"slug", "title", "fields", "embed_origins"}


def test_only_admins_define_forms(rep):
    with pytest.raises(PermissionDenied):
        services.web_form_save(user=rep, slug="x", title="x", fields=[{"code": "phones"}])


def test_forms_api_for_admins(client, admin_user, inquiry):
    client.force_login(admin_user)
    listed = client.get("/api/v1/forms")
    assert listed.status_code == 200
    assert listed.json()[0]["public_url"] == "http://testserver/f/inquiry/"
    created = client.post(
        "/api/v1/forms",
        {
            "slug": "Expo 2026",
            "title": "展会登记",
            "fields": [{"code": "phones", "required": True}, {"code": "message"}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["slug"] == "expo-2026"
    assert [f["code"] for f in created.json()["fields"]] == ["name", "phones", "message"]
    form_id = created.json()["id"]
    patched = client.patch(
        f"/api/v1/forms/{form_id}",
        {"is_active": False, "consent_text": "同意"},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["is_active"] is False
    assert patched.json()["consent_version"] == 1
    bad = client.post(
        "/api/v1/forms",
        {"slug": "x", "title": "x", "fields": [{"code": "person.income_band"}]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "fields"


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.ARCHIVE_ADMIN, Role.LEADER])
def test_forms_api_refuses_other_roles(client, make_user, inquiry, role):
    client.force_login(make_user(role, username=f"u-{role}"))
    assert client.get("/api/v1/forms").status_code == 403
    assert client.get(f"/api/v1/forms/{inquiry.pk}").status_code == 403
    response = client.post(
        "/api/v1/forms",
        {"slug": "y", "title": "y", "fields": [{"code": "phones"}]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert WebForm.objects.count() == 1


def test_forms_api_needs_authentication(client, inquiry):
    assert client.get("/api/v1/forms").status_code == 401


# --- admin pages ------------------------------------------------------------------------------


def test_admin_pages_show_forms_snippet_and_assignment(client, admin_user, inquiry, rep):
    client.force_login(admin_user)
    listing = client.get("/intake/forms/")
    assert listing.status_code == 200
    assert "产品询价" in listing.text
    edit = client.get(f"/intake/forms/{inquiry.pk}/")
    assert edit.status_code == 200
    assert "&lt;iframe src=&quot;http://testserver/f/inquiry/&quot;" in edit.text
    created = client.post(
        "/intake/forms/new/",
        {
            "title": "会员注册",
            "slug": "member",
            "kind": "person",
            "field_codes": ["name", "phones", "message"],
            "required_fields": ["phones"],
            "consent_text": "同意",
            "is_active": "on",
        },
    )
    assert created.status_code == 302
    member = WebForm.objects.get(slug="member")
    assert member.fields == [
        {"code": "name", "required": True},
        {"code": "phones", "required": True},
        {"code": "message", "required": False},
    ]
    saved = client.post("/intake/assignment/", {"rule": "fixed_user", "user": rep.pk, "team": ""})
    assert saved.status_code == 302
    assert LeadAssignment.objects.get().user == rep


@pytest.mark.parametrize("path", ["/intake/forms/", "/intake/forms/new/", "/intake/assignment/"])
def test_admin_pages_refuse_others(client, rep, path):
    client.force_login(rep)
    assert client.get(path).status_code == 403


def test_admin_pages_need_sign_in(client):
    response = client.get("/intake/forms/")
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_a_campaign_link_attributes_the_lead_to_the_campaign(client, inquiry, admin_user):
    """A form opened from a campaign's link (?campaign=CODE) keeps the code with the
    submission (page and API); the campaign's results count the web-form leads."""
    from datetime import date

    from kehu.marketing import selectors as marketing_selectors
    from kehu.marketing.models import Campaign

    campaign = Campaign.objects.create(
        name="春季", code="spring-26", owner=admin_user, starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31), channels=["email"],
    )  # fmt: skip
    page = client.get("/f/inquiry/?campaign=spring-26")
    assert page.status_code == 200
    response = client.post(
        "/f/inquiry/?campaign=spring-26", {"token": aged_token("inquiry"), **GOOD}
    )
    assert response.status_code == 302, response.content
    via_page = WebFormSubmission.objects.get()
    assert via_page.campaign_code == "spring-26"
    assert via_page.created_lead
    api_submit(
        client,
        {"fields": {"name": "王磊", "phones": "13700001111"}, "consent": True,
         "campaign": "spring-26"},
    )  # fmt: skip
    page_post(client, "inquiry", {**GOOD, "name": "赵敏", "phones": "13600002222",
                                  "emails": "zm@example.com"})  # fmt: skip
    codes = sorted(WebFormSubmission.objects.values_list("campaign_code", flat=True))
    assert codes == ["", "spring-26", "spring-26"]  # the third came without a code
    results = marketing_selectors._campaign_results(campaign, date(2026, 3, 10))
    assert (results.web_submissions, results.web_leads) == (2, 2)
