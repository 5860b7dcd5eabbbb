"""The audit log names its objects as links to their pages, where the object still exists and
the viewer may open that page; as plain text otherwise."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.accounts.models import Role, Team
from kehu.core.audit import audit_log, setting_changed
from kehu.core.audit_display import object_links
from kehu.core.models import AuditEvent
from kehu.customers.models import CustomField
from kehu.customers.tests.factories import make_person
from kehu.exports.models import ExportJob
from kehu.imports.models import ImportBatch
from kehu.sales.services import LineInput, order_create
from kehu.sales.tests.factories import ProductFactory
from kehu.service.tests.factories import open_case

pytestmark = pytest.mark.django_db

ACTION = AuditEvent.Action.SETTINGS_CHANGED


def event(object_type, object_id, actor=None, **detail):
    return audit_log(
        action=ACTION, actor=actor, object_type=object_type, object_id=object_id, detail=detail
    )


def objects_column(page):
    """The audit table's object cells: (link or "", text), in the table's order."""
    cells = re.findall(r'<td data-testid="audit-object">(.*?)</td>', page, re.S)
    found = []
    for cell in cells:
        link = re.search(r'href="([^"]+)"', cell)
        found.append((link.group(1) if link else "", re.sub(r"<[^>]+>", "", cell).strip()))
    return found


@pytest.fixture
def named(admin_user, rep, archivist):
    """One object of each kind that has a page, each named by an audit event."""
    customer = make_person(rep, "王芳")
    order = order_create(
        user=rep,
        customer=customer,
        lines=[LineInput(ProductFactory.create(list_price=Decimal("10.00")), Decimal(1))],
    )
    case = open_case(rep, customer)
    team = Team.objects.create(name="华东销售部")
    batch = ImportBatch.objects.create(
        created_by=archivist, kind="person", original_name="名单.csv"
    )
    mine = ExportJob.objects.create(requester=admin_user, columns=["name"], format="csv")
    theirs = ExportJob.objects.create(requester=archivist, columns=["name"], format="csv")
    field = CustomField.objects.create(code="wine", label="葡萄酒偏好", field_type="text")
    AuditEvent.objects.all().delete()
    event("customer", customer.pk, customer="王芳")
    event("sales.order", order.pk)
    event("service.case", case.pk)
    event("accounts.user", rep.pk)
    event("accounts.team", team.pk)
    event("import", batch.pk)
    event("export", mine.pk)
    event("export", theirs.pk)
    setting_changed(actor=admin_user, what=field, changed=["label"])
    event("accounts.user", 999999)  # a user deleted since
    event("backup", "")  # nothing with a page
    return {
        "customer": customer,
        "order": order,
        "case": case,
        "team": team,
        "batch": batch,
        "mine": mine,
        "theirs": theirs,
        "field": field,
    }


def test_an_admin_sees_each_object_as_a_link_to_its_page(client, admin_user, rep, named):
    client.force_login(admin_user)
    page = client.get("/audit/").content.decode()
    shown = list(reversed(objects_column(page)))  # the log is newest first
    assert shown.pop() == ("", "—")  # the admin's sign-in, which names no object
    assert shown == [
        (f"/customers/{named['customer'].pk}/", "王芳"),
        (f"/sales/orders/{named['order'].pk}/", f"order {named['order'].pk}"),
        (f"/service/cases/{named['case'].pk}/", f"case {named['case'].pk}"),
        (f"/accounts/users/{rep.pk}/", f"user {rep.pk}"),
        (f"/accounts/teams/{named['team'].pk}/", f"team {named['team'].pk}"),
        (f"/imports/{named['batch'].pk}/", f"import {named['batch'].pk}"),
        (f"/exports/#export-{named['mine'].pk}", f"export {named['mine'].pk}"),
        ("", f"export {named['theirs'].pk}"),  # someone else's export: only they open it
        (f"/archive-settings/fields/{named['field'].pk}/", f"custom field {named['field'].pk}"),
        ("", "user 999999"),
        ("", "backup"),
    ]
    # every link opens for the admin
    for link, _text in shown:
        if link:
            assert client.get(link.split("#")[0]).status_code == 200, link


def test_an_archive_administrator_gets_links_only_to_pages_of_their_role(
    client, archivist, rep, named
):
    client.force_login(archivist)
    page = client.get("/audit/").content.decode()
    links = {link for link, _text in objects_column(page) if link}
    assert links == {
        f"/customers/{named['customer'].pk}/",
        f"/sales/orders/{named['order'].pk}/",
        f"/service/cases/{named['case'].pk}/",
        f"/imports/{named['batch'].pk}/",
        f"/exports/#export-{named['theirs'].pk}",
    }
    # the users', teams' and settings' pages are for admins: named in plain text
    assert f"user {rep.pk}" in page
    assert f'href="/accounts/users/{rep.pk}/"' not in page
    for link in links:
        assert client.get(link.split("#")[0]).status_code == 200, link


def test_objects_outside_the_viewers_scope_are_not_linked(rep, other_rep):
    # given a customer of each rep, both named in the trail
    mine, theirs = make_person(rep, "张伟"), make_person(other_rep, "李娜")
    events = [event("customer", mine.pk), event("customer", theirs.pk), event("order", 1)]
    # then only the rep's own customer is a link for them
    assert object_links(rep, events) == {("customer", str(mine.pk)): f"/customers/{mine.pk}/"}


def test_the_export_line_the_link_points_at_exists(client, admin_user, named):
    client.force_login(admin_user)
    page = client.get("/exports/").content.decode()
    assert f'id="export-{named["mine"].pk}"' in page


def test_the_audit_page_reads_each_kind_of_object_once(client, admin_user, named):
    client.force_login(admin_user)
    client.get("/audit/")  # warm: sessions, content types

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get("/audit/").status_code == 200
        return len(context.captured_queries)

    # given the page's queries with one event per kind of object
    before = queries()
    # when many more events name objects of the same kinds
    for _i in range(10):
        event("customer", named["customer"].pk)
        event("sales.order", named["order"].pk)
        event("import", named["batch"].pk)
        event("export", named["theirs"].pk)
    # then the page asks no more of the database: one query per kind of object, not per event
    assert queries() == before


def test_the_audit_page_stays_refused_to_a_sales_rep(client, rep, named):
    client.force_login(rep)
    assert client.get("/audit/").status_code == 403


@pytest.mark.parametrize("role", [Role.ARCHIVE_ADMIN, Role.ADMIN])
def test_links_are_named_in_chinese(client, make_user, role, named):
    client.force_login(make_user(role))
    page = client.get("/audit/", headers={"Accept-Language": "zh-hans"}).content.decode()
    texts = [text for _link, text in objects_column(page)]
    assert f"订单 {named['order'].pk}" in texts
    assert f"导入批次 {named['batch'].pk}" in texts
