"""The archive's web UI: every page and action works for the right user and is refused for the
wrong one (another rep: 404; a leader: read-only, 403 on writes; a non-admin: 403 on settings)."""

from datetime import timedelta
from functools import partial

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.core.models import AuditEvent
from kehu.customers import services
from kehu.customers.models import Channel, Contact, Customer, CustomerChange, CustomField
from kehu.customers.tests import factories
from kehu.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ID_MALE_1990 = "110101199003070011"
HTMX = {"HTTP_HX_REQUEST": "true"}


make_person = partial(factories.make_person, channel="exhibition")
make_org = factories.make_organization


@pytest.fixture
def leader(make_user):
    return make_user(Role.LEADER, username="leader1")


@pytest.fixture
def archivist(make_user):
    return make_user(Role.ARCHIVE_ADMIN, username="archivist1")


# --- list ---------------------------------------------------------------------------------------


def test_list_filters_and_search(client, rep):
    # given
    important = make_person(rep, grade="important", lifecycle_stage="customer", tags="VIP")
    services.customer_update(user=rep, customer=important, data={"name": "王重要"})
    make_person(rep, grade="general")
    make_org(rep)
    client.force_login(rep)
    url = reverse("customers:list")

    # then
    assert [c.name for c in client.get(url, {"grade": "important"}).context["page"]] == ["王重要"]
    assert [c.name for c in client.get(url, {"tag": "VIP"}).context["page"]] == ["王重要"]
    assert [c.name for c in client.get(url, {"kind": "organization"}).context["page"]] == [
        "华为技术有限公司"
    ]
    assert [c.name for c in client.get(url, {"q": "重要"}).context["page"]] == ["王重要"]
    assert len(client.get(url, {"channel": "exhibition"}).context["page"]) == 2
    assert len(client.get(url, {"stage": "customer", "kind": "person"}).context["page"]) == 1


def test_list_hides_archived_unless_asked(client, rep):
    customer = make_person(rep)
    services.customer_archive(user=rep, customer=customer)
    client.force_login(rep)
    url = reverse("customers:list")
    assert len(client.get(url).context["page"]) == 0
    page = client.get(url, {"status": "archived"}).context["page"]
    assert [c.pk for c in page] == [customer.pk]


def test_list_htmx_gets_the_table_only(client, rep):
    make_person(rep, grade="important")
    client.force_login(rep)
    response = client.get(reverse("customers:list"), {"grade": "important"}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'data-testid="customer-table"' in response.text
    assert "HX-Request" in response["Vary"]
    full = client.get(reverse("customers:list"), {"grade": "important"})
    assert "<html" in full.text
    assert 'data-testid="customer-filters"' in full.text


def test_list_query_count_does_not_grow_with_rows(
    client, rep, django_assert_num_queries, django_assert_max_num_queries
):
    for n in range(3):
        CustomerFactory(name=f"客户{n}", owner=rep)
    client.force_login(rep)
    url = reverse("customers:list")
    client.get(url)  # warm caches (content types, regions)
    # 16: the page, and the navigation's badges (reminders and tasks due, unread notifications),
    # the bulk bar's colleagues to assign to and the filter form's propensity models (one query
    # each, whatever the rows)
    with django_assert_max_num_queries(16) as few:
        client.get(url)
    for n in range(40):
        CustomerFactory(name=f"更多{n}", owner=rep)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"]) == 43


def test_list_scoped_to_own_customers(client, rep, other_rep):
    make_person(rep)
    theirs = make_person(other_rep)
    services.customer_update(user=other_rep, customer=theirs, data={"name": "李娜"})
    client.force_login(rep)
    response = client.get(reverse("customers:list"))
    assert "张伟" in response.text
    assert "李娜" not in response.text


# --- create -------------------------------------------------------------------------------------


def test_create_person_redirects_to_the_360_page(client, rep):
    client.force_login(rep)
    response = client.post(
        reverse("customers:create") + "?kind=person",
        {
            "name": "张伟",
            "person.id_number": ID_MALE_1990,
            "phones": "138 0013 8000",
            "source_channel": "exhibition",
            "lifecycle_stage": "prospect",
            "grade": "important",
            "tags": "VIP, 北京",
        },
    )
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == customer.get_absolute_url()
    assert customer.owner == rep
    assert customer.grade == "important"
    exhibition = Channel.objects.get(code="exhibition")
    assert customer.source_channel == exhibition
    assert customer.person.gender == "male"
    assert customer.changes.get(field="person.id_number").channel == exhibition


def test_create_with_an_invalid_id_number_shows_the_error_and_saves_nothing(client, rep):
    client.force_login(rep)
    response = client.post(
        reverse("customers:create") + "?kind=person",
        {
            "name": "张伟",
            "person.id_number": "110101199003070012",
            "emails": "nope",
            "grade": "general",
            "lifecycle_stage": "lead",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"person.id_number", "emails"}
    assert 'data-testid="error-person.id_number"' in response.text
    assert "check" in errors["person.id_number"][0].lower()
    assert not Customer.objects.exists()
    assert not CustomerChange.objects.exists()


def test_create_organization_asks_for_the_credit_code(client, rep):
    client.force_login(rep)
    response = client.get(reverse("customers:create"), {"kind": "organization"})
    assert "organization.credit_code" in response.context["form"].fields
    assert "person.id_number" not in response.context["form"].fields


def test_leader_may_not_create(client, leader):
    client.force_login(leader)
    assert client.get(reverse("customers:create")).status_code == 403
    response = client.post(reverse("customers:create"), {"name": "x"})
    assert response.status_code == 403
    assert not Customer.objects.exists()


# --- the 360° page ------------------------------------------------------------------------------


def test_detail_shows_groups_completeness_and_provenance(client, rep):
    customer = make_person(rep, **{"person.employer": "华为", "person.id_number": ID_MALE_1990})
    client.force_login(rep)
    response = client.get(customer.get_absolute_url())
    assert response.status_code == 200
    text = response.text
    assert 'data-testid="group-career"' in text
    assert 'data-testid="edit-career"' in text
    assert "110101********0011" in text
    assert ID_MALE_1990 not in text
    # a rep may not reveal the ID number: no button
    assert 'data-testid="reveal-person.id_number"' not in text
    assert 'data-testid="source-person.employer"' in text
    assert 'data-testid="timeline"' in text
    assert "Archive updated" in text
    assert response.context["completeness"].score < 100


def test_detail_of_another_reps_customer_is_404(client, rep, other_rep):
    theirs = make_person(other_rep)
    client.force_login(rep)
    assert client.get(theirs.get_absolute_url()).status_code == 404
    group_url = reverse("customers:group_edit", args=[theirs.pk, "career"])
    assert client.get(group_url).status_code == 404
    assert client.post(group_url, {"person.employer": "x"}).status_code == 404
    assert client.get(reverse("customers:history", args=[theirs.pk])).status_code == 404
    reveal = client.post(
        reverse("customers:reveal", args=[theirs.pk]), {"field": "person.home_address"}
    )
    assert reveal.status_code == 404
    assert client.post(reverse("customers:archive", args=[theirs.pk])).status_code == 404


def test_leader_sees_read_only_page_and_writes_are_refused(client, rep, leader):
    customer = make_person(rep)
    client.force_login(leader)
    response = client.get(customer.get_absolute_url())
    assert response.status_code == 200
    assert 'data-testid="edit-career"' not in response.text
    assert 'data-testid="archive"' not in response.text
    assert 'data-testid="read-only"' in response.text
    group_url = reverse("customers:group_edit", args=[customer.pk, "career"])
    assert client.get(group_url).status_code == 403
    assert client.post(group_url, {"person.employer": "x"}, **HTMX).status_code == 403
    assert client.post(reverse("customers:archive", args=[customer.pk])).status_code == 403
    assert client.post(reverse("customers:assign", args=[customer.pk]), {}).status_code == 403
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ACTIVE
    assert not customer.changes.filter(field="person.employer").exists()


def test_edit_group_saves_with_channel_and_returns_the_card(client, rep):
    customer = make_person(rep, **{"person.employer": "华为"})
    client.force_login(rep)
    url = reverse("customers:group_edit", args=[customer.pk, "career"])
    form = client.get(url, **HTMX)
    assert form.status_code == 200
    assert 'value="华为"' in form.text
    assert "<html" not in form.text

    response = client.post(
        url,
        {
            "person.employer": "腾讯",
            "person.position": "经理",
            "person.career_attitude": "",
            "change_channel": "visit",
            "change_note": "拜访时得知",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert 'data-testid="group-career"' in response.text
    assert "腾讯" in response.text
    assert 'hx-swap-oob="true"' in response.text
    change = customer.changes.get(field="person.employer", new_value="腾讯")
    assert change.channel is not None
    assert change.channel.code == "visit"
    assert change.note == "拜访时得知"
    assert change.changed_by == rep
    assert customer.changes.filter(field="person.position").exists()
    # a sensitive field left empty keeps its value (none here): nothing else was written
    assert not customer.changes.filter(field="person.income_band").exists()


def test_edit_group_with_errors_is_422_and_saves_nothing(client, rep):
    customer = make_person(rep)
    client.force_login(rep)
    url = reverse("customers:group_edit", args=[customer.pk, "person_basic"])
    before = customer.changes.count()
    response = client.post(
        url,
        {"person.height_cm": "tall", "person.native_place": "北京", "change_channel": "visit"},
        **HTMX,
    )
    assert response.status_code == 422
    assert 'data-testid="error-person.height_cm"' in response.text
    assert customer.changes.count() == before


def test_edit_group_without_js_redirects(client, rep):
    customer = make_person(rep)
    client.force_login(rep)
    url = reverse("customers:group_edit", args=[customer.pk, "education"])
    response = client.post(url, {"person.school": "北京大学", "change_channel": "survey"})
    assert response.status_code == 302
    change = customer.changes.get(field="person.school")
    assert change.channel is not None
    assert change.channel.code == "survey"


def test_sensitive_field_left_empty_keeps_its_value(client, rep):
    customer = make_person(rep, **{"person.income_band": "2万+"})
    client.force_login(rep)
    url = reverse("customers:group_edit", args=[customer.pk, "career"])
    form = client.get(url, **HTMX)
    assert "2万+" not in form.text
    client.post(url, {"person.income_band": "", "person.employer": "华为"}, **HTMX)
    customer.person.refresh_from_db()
    assert customer.person.income_band == "2万+"


def test_unknown_group_is_404(client, rep):
    customer = make_person(rep)
    client.force_login(rep)
    assert client.get(reverse("customers:group_edit", args=[customer.pk, "credit"])).status_code
    assert client.get(reverse("customers:group", args=[customer.pk, "nope"])).status_code == 404
    assert (
        client.get(reverse("customers:group_edit", args=[customer.pk, "credit"])).status_code == 404
    )


# --- reveal -------------------------------------------------------------------------------------


def test_reveal_by_archive_admin_is_audited(client, rep, archivist):
    customer = make_person(rep, **{"person.id_number": ID_MALE_1990})
    client.force_login(archivist)
    page = client.get(customer.get_absolute_url())
    assert 'data-testid="reveal-person.id_number"' in page.text
    response = client.post(
        reverse("customers:reveal", args=[customer.pk]), {"field": "person.id_number"}, **HTMX
    )
    assert response.status_code == 200
    assert ID_MALE_1990 in response.text
    event = AuditEvent.objects.get(action=AuditEvent.Action.REVEAL)
    assert event.actor == archivist
    assert event.detail["field"] == "person.id_number"


def test_reveal_of_the_id_number_is_refused_for_a_rep(client, rep):
    customer = make_person(
        rep, **{"person.id_number": ID_MALE_1990, "person.home_address": "北京市朝阳区建国路1号"}
    )
    client.force_login(rep)
    url = reverse("customers:reveal", args=[customer.pk])
    refused = client.post(url, {"field": "person.id_number"}, **HTMX)
    assert refused.status_code == 403
    assert ID_MALE_1990 not in refused.text
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REVEAL).exists()
    allowed = client.post(url, {"field": "person.home_address"}, **HTMX)
    assert "建国路1号" in allowed.text
    assert client.post(url, {"field": "name"}).status_code == 400
    assert client.get(url).status_code == 405


# --- owner, sharing, archive, contacts ----------------------------------------------------------


def test_assign_share_archive_restore(client, rep, other_rep, make_user):
    customer = make_person(rep)
    colleague = make_user(Role.SALES_REP, username="rep3")
    client.force_login(rep)
    share = client.post(reverse("customers:share", args=[customer.pk]), {"users": [colleague.pk]})
    assert share.status_code == 302
    assert list(customer.shared_with.all()) == [colleague]
    client.post(reverse("customers:archive", args=[customer.pk]))
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ARCHIVED
    client.post(reverse("customers:restore", args=[customer.pk]))
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ACTIVE
    # given away: the rep no longer sees it and lands on the list
    response = client.post(reverse("customers:assign", args=[customer.pk]), {"owner": other_rep.pk})
    assert response["Location"] == reverse("customers:list")
    customer.refresh_from_db()
    assert customer.owner == other_rep


def test_contacts_add_edit_delete(client, rep, leader):
    org = make_org(rep)
    client.force_login(rep)
    new_url = reverse("customers:contact_new", args=[org.pk])
    bad = client.post(new_url, {"name": "", "role": "purchaser", "phones": "123"}, **HTMX)
    assert bad.status_code == 422
    assert not Contact.objects.exists()
    ok = client.post(
        new_url, {"name": "李经理", "role": "purchaser", "phones": "13800138000"}, **HTMX
    )
    assert ok.status_code == 200
    contact = Contact.objects.get()
    assert "李经理" in ok.text
    edit_url = reverse("customers:contact_edit", args=[org.pk, contact.pk])
    client.post(edit_url, {"name": "李总", "role": "decision_maker"}, **HTMX)
    contact.refresh_from_db()
    assert contact.name == "李总"
    client.force_login(leader)
    assert client.post(edit_url, {"name": "x", "role": "other"}).status_code == 403
    client.force_login(rep)
    client.post(reverse("customers:contact_delete", args=[org.pk, contact.pk]), **HTMX)
    assert not Contact.objects.exists()
    person = make_person(rep)
    assert client.get(reverse("customers:contact_new", args=[person.pk])).status_code == 404


# --- history ------------------------------------------------------------------------------------


def test_history_filters_by_field_and_channel(client, rep):
    customer = make_person(rep, **{"person.employer": "华为"})
    services.customer_update(
        user=rep,
        customer=customer,
        data={"person.employer": "腾讯"},
        channel=Channel.objects.get(code="visit"),
    )
    client.force_login(rep)
    url = reverse("customers:history", args=[customer.pk])
    rows = client.get(url, {"field": "person.employer"}).context["page"].object_list
    assert [(r.old, r.new) for r in rows] == [("华为", "腾讯"), ("", "华为")]
    rows = client.get(url, {"channel": "visit"}).context["page"].object_list
    assert [r.change.field for r in rows] == ["person.employer"]
    page = client.get(url)
    assert "腾讯" in page.text
    assert 'data-testid="history-channel"' in page.text


def test_history_as_of_shows_the_profile_then(client, rep):
    customer = make_person(rep, **{"person.employer": "华为"})
    five_days_ago = timezone.now() - timedelta(days=5)
    Customer.objects.filter(pk=customer.pk).update(created_at=five_days_ago)
    customer.changes.update(changed_at=five_days_ago)
    services.customer_update(user=rep, customer=customer, data={"person.employer": "腾讯"})
    client.force_login(rep)
    url = reverse("customers:history", args=[customer.pk])
    then = (timezone.localdate() - timedelta(days=3)).isoformat()
    response = client.get(url, {"as_of": then})
    assert response.context["as_of_profile"].field("person.employer").text == "华为"
    assert 'data-testid="as-of"' in response.text
    earlier = (timezone.localdate() - timedelta(days=30)).isoformat()
    response = client.get(url, {"as_of": earlier})
    assert response.status_code == 200
    assert response.context["as_of_profile"] is None


def test_history_masks_sensitive_values(client, rep, archivist):
    customer = make_person(rep, **{"person.id_number": ID_MALE_1990})
    client.force_login(rep)
    text = client.get(reverse("customers:history", args=[customer.pk])).text
    assert ID_MALE_1990 not in text
    assert "110101********0011" in text
    client.force_login(archivist)
    change = customer.changes.get(field="person.id_number")
    response = client.post(
        reverse("customers:reveal", args=[customer.pk]),
        {"field": "person.id_number", "change_id": change.pk},
        **HTMX,
    )
    assert ID_MALE_1990 in response.text


# --- administration -----------------------------------------------------------------------------


def test_channels_admin(client, admin_user, rep):
    client.force_login(rep)
    assert client.get(reverse("archive_admin:channels")).status_code == 403
    assert client.post(reverse("archive_admin:channel_new"), {}).status_code == 403
    client.force_login(admin_user)
    assert client.get(reverse("archive_admin:channels")).status_code == 200
    response = client.post(
        reverse("archive_admin:channel_new"),
        {
            "code": "wechat",
            "name": "微信",
            "name_en": "WeChat",
            "kind": "direct",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    channel = Channel.objects.get(code="wechat")
    duplicate = client.post(
        reverse("archive_admin:channel_new"), {"code": "wechat", "name": "微信", "kind": "direct"}
    )
    assert duplicate.status_code == 200
    assert "code" in duplicate.context["form"].errors
    client.post(
        reverse("archive_admin:channel_edit", args=[channel.pk]),
        {"code": "wechat", "name": "微信公众号", "name_en": "WeChat", "kind": "direct"},
    )
    channel.refresh_from_db()
    assert channel.name == "微信公众号"
    assert not channel.is_active


def test_custom_fields_admin(client, admin_user, archivist):
    client.force_login(archivist)
    assert client.get(reverse("archive_admin:custom_fields")).status_code == 403
    client.force_login(admin_user)
    url = reverse("archive_admin:custom_field_new")
    missing = client.post(
        url, {"code": "wine", "label": "酒", "field_type": "choice", "applies_to": "person"}
    )
    assert "choices" in missing.context["form"].errors
    client.post(
        url,
        {
            "code": "wine",
            "label": "葡萄酒偏好",
            "field_type": "choice",
            "applies_to": "person",
            "choices": "红\n白\n\n起泡",
            "is_active": "on",
        },
    )
    custom = CustomField.objects.get(code="wine")
    assert custom.choices == ["红", "白", "起泡"]
    assert client.get(reverse("archive_admin:custom_fields")).status_code == 200
    edit = client.get(reverse("archive_admin:custom_field_edit", args=[custom.pk]))
    assert "红\n白\n起泡" in edit.text


def test_audit_log_for_archive_admins_only(client, rep, archivist, admin_user):
    customer = make_person(rep, **{"person.id_number": ID_MALE_1990})
    services.customer_field_reveal(user=archivist, customer=customer, field="person.id_number")
    url = reverse("audit:list")
    client.force_login(rep)
    assert client.get(url).status_code == 403
    client.force_login(archivist)
    page = client.get(url, {"action": "reveal"}).context["page"]
    assert [e.username for e in page] == ["archivist1"]
    assert len(client.get(url, {"username": "nobody"}).context["page"]) == 0
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert len(client.get(url, {"date_from": tomorrow}).context["page"]) == 0
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_navigation_shows_admin_entries_by_role(client, rep, archivist, admin_user):
    client.force_login(rep)
    text = client.get(reverse("customers:list")).text
    assert reverse("audit:list") not in text
    assert reverse("archive_admin:channels") not in text
    client.force_login(archivist)
    text = client.get(reverse("customers:list")).text
    assert reverse("audit:list") in text
    assert reverse("archive_admin:channels") not in text
    client.force_login(admin_user)
    text = client.get(reverse("customers:list")).text
    assert reverse("archive_admin:channels") in text


def test_the_assign_and_share_forms_follow_the_owner_and_the_sharing(client, rep, other_rep):
    # given: rep's customer, shared with nobody
    customer = make_person(rep, name="共享测试")
    url = customer.get_absolute_url()
    client.force_login(rep)
    before = client.get(url).content.decode()
    # when: shared with other_rep, then given to other_rep (who reads the page from then on)
    services.customer_share(user=rep, customer=customer, users=[other_rep])
    shared = client.get(url).content.decode()
    services.customer_assign(user=rep, customer=customer, owner=other_rep)
    client.force_login(other_rep)
    assigned = client.get(url).content.decode()
    # then: each page shows the state of that moment (the forms' HTML is reused between
    # pages, looked up by the owner and the sharing)
    tick = f'name="users" value="{other_rep.pk}" id="id_users_'
    assert "checked" not in before.split(tick)[1].split(">")[0]
    assert "checked" in shared.split(tick)[1].split(">")[0]
    assert f'<option value="{rep.pk}" selected>' in before
    assert f'<option value="{other_rep.pk}" selected>' in assigned
    assert f'<option value="{rep.pk}" selected>' not in assigned
