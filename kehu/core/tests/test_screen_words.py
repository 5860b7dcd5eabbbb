"""Screens show words, not codes: values through the field registry and choices, in the user's
language (issue 25's list of raw codes and wrong words)."""

import pytest
from django.conf import settings
from django.template import engines
from django.utils import timezone, translation

from kehu.accounts.models import Role
from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent
from kehu.customers import services as customer_services
from kehu.customers.models import Customer
from kehu.dedup.models import DuplicateCandidate
from kehu.exports.models import ExportJob

pytestmark = pytest.mark.django_db

LIFE_CYCLE_TEMPLATE = '{% load i18n %}{% translate "introduction" context "product life cycle" %}'


def _zh(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"


def test_merge_comparison_shows_choice_labels_not_codes(client, archivist):
    # given two people differing in lifecycle stage, gender and source channel
    a = customer_services.customer_create(
        user=archivist,
        kind="person",
        data={"name": "张伟", "lifecycle_stage": "prospect", "person.gender": "female"},
    )
    b = customer_services.customer_create(
        user=archivist, kind="person", data={"name": "张伟", "lifecycle_stage": "lead"}
    )
    first, second = sorted([a, b], key=lambda c: c.pk)
    pair = DuplicateCandidate.objects.create(
        customer_a=first,
        customer_b=second,
        kind="person",
        match_probability=0.9,
        found_at=timezone.now(),
    )
    client.force_login(archivist)
    # when
    page = client.get(f"/duplicates/{pair.pk}/").content.decode()
    # then
    assert "Prospect" in page
    assert "Lead" in page
    assert "Female" in page
    assert "> prospect<" not in page
    assert "> female<" not in page


def test_duplicates_queue_names_agreeing_fields(client, archivist):
    a = customer_services.customer_create(user=archivist, kind="person", data={"name": "李娜"})
    b = customer_services.customer_create(user=archivist, kind="person", data={"name": "李娜"})
    DuplicateCandidate.objects.create(
        customer_a=a,
        customer_b=b,
        kind="person",
        match_probability=0.9,
        found_at=timezone.now(),
        agreed=["name", "id_number", "birth_date"],
    )
    client.force_login(archivist)
    _zh(client)
    page = client.get("/duplicates/").content.decode()
    assert "身份证号" in page
    assert "出生日期" in page
    assert "id_number" not in page


def test_export_list_names_columns(client, archivist):
    ExportJob.objects.create(
        requester=archivist, columns=["name", "lifecycle_stage", "person.gender"], format="csv"
    )
    client.force_login(archivist)
    page = client.get("/exports/").content.decode()
    assert "person.gender" not in page
    assert "lifecycle_stage" not in page


def test_audit_details_and_objects_in_words(client, admin_user, rep):
    customer = customer_services.customer_create(user=rep, kind="person", data={"name": "王芳"})
    Customer.objects.filter(pk=customer.pk).update(source_channel=None)
    audit_log(
        action=AuditEvent.Action.EXPORT,
        actor=admin_user,
        object_type="export",
        object_id=1,
        detail={"filters": {"stage": "lead", "grade": "important"}, "columns": ["name"]},
    )
    audit_log(
        action=AuditEvent.Action.ROLE_CHANGED,
        actor=admin_user,
        object_type="accounts.user",
        object_id=rep.pk,
        detail={"changed": ["role", "teams"], "role": Role.LEADER},
    )
    for change_id in (None, 7):  # a reveal of the current value, and of a history entry
        audit_log(
            action=AuditEvent.Action.REVEAL,
            actor=admin_user,
            object_type="customers.customer",
            object_id=customer.pk,
            detail={"field": "id_number", "customer": "王芳", "change_id": change_id},
        )
    client.force_login(admin_user)
    _zh(client)
    page = client.get("/audit/").content.decode()
    assert "change_id" not in page
    assert "None" not in page
    assert "历史记录" in page
    assert "{'" not in page
    assert "stage" not in page.split('data-testid="audit-table"')[1]
    assert "线索" in page  # the stage "lead"
    assert "角色" in page  # the user's field "role"
    assert f'href="/accounts/users/{rep.pk}/"' in page


def test_audit_user_links_only_for_admins(client, archivist, rep):
    audit_log(
        action=AuditEvent.Action.ROLE_CHANGED,
        object_type="accounts.user",
        object_id=rep.pk,
        detail={"changed": ["role"]},
    )
    client.force_login(archivist)
    assert f"/accounts/users/{rep.pk}/" not in client.get("/audit/").content.decode()


def test_pipeline_sort_column_and_life_cycle_words_in_chinese(client, archivist):
    client.force_login(archivist)
    _zh(client)
    page = client.get("/sales/pipeline/").content.decode()
    header = page.split("<thead>")[1].split("</thead>")[0]
    assert "排序" in header
    assert "订单" not in header
    with translation.override("zh-hans"):
        text = engines["django"].from_string(LIFE_CYCLE_TEMPLATE).render({})
    assert text == "导入期"


def test_an_order_is_an_order_and_a_sort_order_a_sort_order_in_chinese():
    from kehu.sales.models import Order, PipelineStage

    with translation.override("zh-hans"):
        assert str(Order._meta.verbose_name) == "订单"
        assert str(PipelineStage._meta.get_field("sort_order").verbose_name) == "排序"


def test_public_form_asks_a_person_for_their_name(admin_user):
    from kehu.intake.forms import PublicWebForm
    from kehu.intake.selectors import web_form_fields
    from kehu.intake.services.forms import web_form_save

    form = web_form_save(
        user=admin_user,
        slug="join",
        title="加入会员",
        fields=[{"code": "name", "required": True}, {"code": "phones", "required": True}],
    )
    with translation.override("zh-hans"):
        public = PublicWebForm(web_form=form, fields=web_form_fields(form))
        assert str(public.fields["name"].label) == "姓名"


def test_audit_detail_choices_come_from_the_objects_model(client, admin_user):
    audit_log(
        action=AuditEvent.Action.SETTINGS_CHANGED,
        actor=admin_user,
        object_type="bulk.bulkaction",
        object_id=1,
        detail={"action": "tag", "customers": 3, "changed": 3},
    )
    client.force_login(admin_user)
    _zh(client)
    assert "操作: 添加标签" in client.get("/audit/").content.decode()
