"""THE erasure test: a person with distinctive values in every place Kehu keeps data — the
archive and its history (clear and encrypted), a merged-away record, a contact role at an
organization, the search index, a duplicate candidate, a finished and a pending import, an
export file, an interaction with an attachment, a reminder, a notification, a task, a web-form
submission with consent, a call-center event, a service case with an e-mail, feedback, a
knowledge question, an order, a reveal in the audit log, a copy made for them — is erased; then
every text column of every table (read through the database, encrypted values decrypted) and
every file under the data directory is searched for each value in each stored form."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kehu.core.models import AuditEvent
from kehu.customers import services as customer_services
from kehu.customers.models import Customer, CustomerChange
from kehu.customers.selectors import CustomerFilters
from kehu.dedup.models import DuplicateCandidate
from kehu.dedup.services import customers_merge
from kehu.exports.services import export_request
from kehu.imports import services as import_services
from kehu.imports.models import ImportBatch
from kehu.intake.services.calls import call_event_receive
from kehu.intake.services.forms import web_form_save, web_form_submit
from kehu.interactions.models import Interaction, Reminder
from kehu.interactions.notifications import notify
from kehu.interactions.services import interaction_log
from kehu.knowledge.questions import question_ask
from kehu.privacy import services
from kehu.privacy.models import ConsentRecord, Erasure, RequestKind, Verification
from kehu.privacy.residue import scan_database, scan_files
from kehu.sales.models import Order
from kehu.sales.services import LineInput, order_create
from kehu.sales.tests.factories import ProductFactory
from kehu.service.models import CaseEmail
from kehu.service.services import case_open, feedback_record
from kehu.tasks.services import task_create

pytestmark = pytest.mark.django_db

NAME = "鲍瑾瑜"
PHONE = "13912340987"
OLD_PHONE = "13598760123"  # blanked: left in the history in clear
MERGED_PHONE = "18655550199"  # of the record merged away
CONTACT_PHONE = "17711112222"  # as a contact of an organization
EMAIL = "jinyu.bao.dsr@example.org"
MERGED_EMAIL = "bjy.merged@example.net"
ID_NUMBER = "330212199105170748"
OLD_ID_NUMBER = "330212199105171185"  # replaced: left in the history, encrypted
HOME = "上海市静安区瑾瑜路88弄7号"
ADDRESS = "浙江省宁波市鄞州区鲍家巷19号"
SPOUSE = "邬念慈"
NOTE = "偏好瑾瑜牌乌龙茶"

VALUES = [
    NAME,
    PHONE,
    OLD_PHONE,
    MERGED_PHONE,
    CONTACT_PHONE,
    EMAIL,
    MERGED_EMAIL,
    ID_NUMBER,
    OLD_ID_NUMBER,
    HOME,
    ADDRESS,
    SPOUSE,
    NOTE,
]


def csv_upload(user, rows, name):
    content = ("姓名,手机,邮箱\n" + "".join(f"{r}\n" for r in rows)).encode()
    return import_services.import_upload(
        user=user, upload=io.BytesIO(content), name=name, duplicates=ImportBatch.Duplicates.FILL
    )


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def person(archivist, rep, admin_user, agent, data_dir):
    """The person, everywhere."""
    person = customer_services.customer_create(
        user=archivist,
        kind="person",
        data={
            "name": NAME,
            "phones": [OLD_PHONE, PHONE],
            "emails": [EMAIL],
            "address": ADDRESS,
            "notes": NOTE,
            "person.id_number": OLD_ID_NUMBER,
            "person.home_address": HOME,
            "person.spouse": SPOUSE,
        },
        owner=rep,
    )
    # A blanked phone and a replaced ID number: both stay in the history.
    customer_services.customer_update(
        user=archivist,
        customer=person,
        data={"phones": [PHONE], "person.id_number": ID_NUMBER},
    )
    # A record of the same person, merged into this one.
    twin = customer_services.customer_create(
        user=archivist,
        kind="person",
        data={"name": NAME, "phones": [MERGED_PHONE], "emails": [MERGED_EMAIL]},
        owner=rep,
    )
    customers_merge(user=archivist, survivor_id=person.pk, other_ids=[twin.pk])
    # A contact role at an organization.
    org = customer_services.customer_create(
        user=archivist, kind="organization", data={"name": "甬江贸易有限公司"}, owner=rep
    )
    customer_services.contact_save(
        user=archivist,
        customer=org,
        data={"name": NAME, "phones": [CONTACT_PHONE], "emails": [EMAIL]},
        person=person,
    )
    # A duplicate candidate with another record.
    other = customer_services.customer_create(
        user=archivist, kind="person", data={"name": "鲍谨言"}, owner=rep
    )
    DuplicateCandidate.objects.create(
        customer_a=person,
        customer_b=other,
        kind="person",
        match_probability=0.9,
        agreed=["name"],
        found_at=timezone.now(),
    )
    # Interactions, an attachment, a reminder, a notification, a task.
    interaction, _created = interaction_log(
        user=rep,
        customer=person,
        type=Interaction.Type.PHONE_CALL,
        summary=f"与{NAME}通话，手机{PHONE}",
        outcome=f"寄资料到{HOME}",
        attachments=[SimpleUploadedFile("memo.txt", f"{NAME} {ID_NUMBER}".encode())],
    )
    Reminder.objects.create(
        user=rep,
        kind="follow_up",
        customer=person,
        due_on=timezone.localdate(),
        text=f"回访{NAME}",
        key=f"dsr-{person.pk}",
    )
    notify(user=rep, text=f"{NAME} 刚来电", url=f"/customers/{person.pk}/", topic="customers")
    task_create(
        user=rep,
        title=f"给{NAME}寄样品",
        due_at=timezone.now() + timedelta(days=1),
        customer=person,
        notes=f"电话 {PHONE}",
    )
    # A web-form submission with consent; a call-center event.
    form = web_form_save(
        user=admin_user,
        slug="dsr-inquiry",
        title="询价",
        fields=[
            {"code": "name", "required": True},
            {"code": "phones"},
            {"code": "emails"},
            {"code": "message"},
        ],
        consent_text="我同意接收营销短信。",
        consent_purposes=["marketing_sms"],
    )
    web_form_submit(
        form=form,
        values={"name": NAME, "phones": PHONE, "emails": EMAIL, "message": f"我是{NAME}"},
        consent=True,
        ip_address="203.0.113.9",
    )
    call_event_receive(
        call_id="dsr-call-1",
        caller=PHONE,
        callee="4008001234",
        direction="inbound",
        started_at=timezone.now() - timedelta(minutes=5),
        ended_at=timezone.now(),
        notes=f"{NAME}询问订单",
    )
    # Service, knowledge, sales.
    case = case_open(
        user=agent,
        customer=person,
        type="complaint",
        subject=f"{NAME}投诉",
        description=f"回电 {PHONE}，邮件 {EMAIL}",
    )
    CaseEmail.objects.create(
        case=case,
        direction="in",
        from_address=EMAIL,
        to_address="service@example.com",
        subject=f"来自{NAME}",
        body=f"我的身份证号 {ID_NUMBER}",
        at=timezone.now(),
    )
    feedback_record(
        user=agent,
        customer=person,
        kind="product_comment",
        content=f"{NAME}：很好",
        product_name="乌龙茶",
    )
    question_ask(user=rep, text=f"{NAME}问地址{HOME}能否送货", customer=person)
    product = ProductFactory.create(code="DSR-TEA", name="乌龙茶", list_price=Decimal("88.00"))
    order_create(
        user=rep,
        customer=person,
        lines=[LineInput(product, Decimal(2))],
        notes=f"送到{HOME}，{NAME}收",
    )
    # A reveal (the audit event names the customer), a finished and a pending import, an export,
    # a copy made for the person.
    customer_services.customer_field_reveal(
        user=archivist, customer=person, field="person.id_number"
    )
    done = csv_upload(archivist, [f"{NAME},{PHONE},{EMAIL}", "路人甲,13000000001,"], "done.csv")
    import_services.import_dry_run(batch_id=done.pk)
    import_services.import_run(batch_id=done.pk)
    pending = csv_upload(archivist, [f"{NAME},{PHONE},", "路人乙,13000000002,"], "pending.csv")
    export_request(
        user=archivist,
        filters=CustomerFilters(),
        columns=["name", "phones", "emails", "person.id_number", "address"],
        format="csv",
    )
    copy_request = services.privacy_request_create(
        user=archivist,
        customer=person,
        kind=RequestKind.COPY,
        verification=Verification.IN_PERSON,
        verification_note=f"身份证 {ID_NUMBER}",
    )
    services.privacy_copy_make(user=archivist, dsr=copy_request)
    person.refresh_from_db()
    return {"customer": person, "twin": twin, "pending": pending, "interaction": interaction}


def test_erasure_leaves_nothing_of_the_person_in_any_table_or_file(
    person, archivist, data_dir, django_capture_on_commit_callbacks
):
    customer = person["customer"]
    # given: the scanner finds every value before the erasure (it can see what it looks for)
    before = scan_database(VALUES)
    assert {r.value for r in before} == set(VALUES)
    assert any(r.form.startswith("decrypted") for r in before if r.value == OLD_ID_NUMBER)
    assert any(r.form == "hash" for r in before if r.value == ID_NUMBER)
    files_before = scan_files(VALUES, data_dir)
    assert any("exports" in r.where for r in files_before)
    assert any("privacy" in r.where for r in files_before)
    assert any("imports" in r.where for r in files_before)
    assert any("attachments" in r.where for r in files_before)
    order = Order.objects.get(customer=customer)
    events_before = AuditEvent.objects.count()

    # when
    deletion = services.privacy_request_create(
        user=archivist,
        customer=customer,
        kind=RequestKind.DELETION,
        verification=Verification.DOCUMENT_COPY,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_erase(user=archivist, dsr=deletion)

    # then: nothing remains, in any table or file, in any form
    residue = scan_database(VALUES) + scan_files(VALUES, data_dir)
    assert residue == [], "\n".join(map(str, residue))
    # the accounts still add up, the audit trail still has every event
    order.refresh_from_db()
    kept = Order.objects.get(pk=order.pk)
    assert (kept.total_amount, kept.ordered_on, kept.customer_id) == (
        order.total_amount,
        order.ordered_on,
        customer.pk,
    )
    assert AuditEvent.objects.count() > events_before
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ERASED).exists()
    # both records of the person are erased shells; a pending import holding them is stopped
    assert set(Erasure.objects.values_list("customer_id", flat=True)) == {
        customer.pk,
        person["twin"].pk,
    }
    assert Customer.objects.get(pk=customer.pk).name == f"#{customer.pk}"
    assert not CustomerChange.objects.filter(customer=customer).exists()
    pending = ImportBatch.objects.get(pk=person["pending"].pk)
    assert pending.status == ImportBatch.Status.FAILED
    assert not pending.file_path
    # nobody may contact the shell for anything
    assert not ConsentRecord.objects.filter(customer=customer).order_by("-at", "-id")[0].granted
    deletion.refresh_from_db()
    assert deletion.status == "done"


def test_erasing_a_merged_away_record_erases_its_survivor_too(person, archivist, data_dir):
    twin = person["twin"]
    dsr = services.privacy_request_create(
        user=archivist,
        customer=twin,
        kind=RequestKind.DELETION,
        verification=Verification.IN_PERSON,
    )
    services.privacy_erase(user=archivist, dsr=dsr)
    assert Erasure.objects.filter(customer=person["customer"]).exists()
    assert scan_database([NAME, PHONE, MERGED_PHONE]) == []
