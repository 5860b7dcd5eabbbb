"""Merging customers and undoing it: every related record moves and comes back."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kehu.core.models import AuditEvent
from kehu.customers.models import (
    Contact,
    Customer,
    CustomerChange,
    Email,
    OrganizationProfile,
    PersonProfile,
    Phone,
)
from kehu.customers.services import contact_save, customer_update
from kehu.customers.tests.factories import make_organization, make_person
from kehu.customers.values import lookup_hash
from kehu.dedup.models import DuplicateCandidate, Merge
from kehu.dedup.services import candidate_dismiss, customers_merge, merge_undo
from kehu.interactions.models import Interaction, Reminder
from kehu.interactions.services import interaction_log
from kehu.sales.models import Opportunity, Order, Payment, Product
from kehu.sales.services import LineInput, opportunity_create, order_create, payment_record
from kehu.service.models import Case, Feedback
from kehu.service.services import feedback_record
from kehu.service.tests.factories import open_case

pytestmark = pytest.mark.django_db

ID_1 = "110101199003074514"
CODE_1 = "91430100MA4L16JQ9D"


def related_rows(customer):
    """Every kind of record a merge must carry over, created on ``customer``."""
    user = customer.owner
    interaction, _created = interaction_log(
        user=user, customer=customer, type=Interaction.Type.PHONE_CALL, summary="回访"
    )
    order = order_create(
        user=user,
        customer=customer,
        lines=[
            LineInput(
                product=Product.objects.create(
                    code=f"P{customer.pk}", name="茶", unit="盒", list_price=Decimal(100)
                ),
                quantity=Decimal(2),
            )
        ],
    )
    payment = payment_record(user=user, order=order, amount=Decimal("50.00"))
    opportunity = opportunity_create(
        user=user, customer=customer, name="年度采购", amount=Decimal("1000")
    )
    case = open_case(user, customer)
    feedback = feedback_record(
        user=user,
        customer=customer,
        kind="question",
        content="怎么用？",
        question_type="product_service",
    )
    reminder = Reminder.objects.create(
        user=user,
        kind="follow_up",
        customer=customer,
        due_on=timezone.localdate(),
        key=f"t{customer.pk}",
    )
    return {
        Interaction: interaction.pk,
        Order: order.pk,
        Payment: payment.pk,
        Opportunity: opportunity.pk,
        Case: case.pk,
        Feedback: feedback.pk,
        Reminder: reminder.pk,
    }


def owner_of(model, pk):
    return model.objects.get(pk=pk).customer_id


def test_merge_moves_every_related_record_and_undo_brings_it_back(archivist):
    # given a survivor and a duplicate with records of every kind, a tag, phones and e-mails
    survivor = make_person(archivist, "张伟", phones=["13800138000"], emails=["zw@example.com"])
    loser = make_person(
        archivist,
        "章伟",
        phones=["13800138000", "13900139000"],
        emails=["zhangwei@example.com"],
        tags=["VIP"],
        **{"person.id_number": ID_1},
    )
    rows = related_rows(loser)
    # when they are merged
    merge = customers_merge(user=archivist, survivor_id=survivor.pk, other_ids=[loser.pk])
    # then everything is on the survivor
    for model, pk in rows.items():
        assert owner_of(model, pk) == survivor.pk, model
    survivor.refresh_from_db()
    assert sorted(Phone.objects.filter(customer=survivor).values_list("number", flat=True)) == [
        "+8613800138000",
        "+8613900139000",
    ]
    assert set(Email.objects.filter(customer=survivor).values_list("address", flat=True)) == {
        "zw@example.com",
        "zhangwei@example.com",
    }
    assert list(survivor.tags.values_list("name", flat=True)) == ["VIP"]
    # the ID number (only the loser had it) survives, and the tombstone lost its hash
    assert PersonProfile.objects.get(pk=survivor.pk).id_number_hash == lookup_hash(ID_1)
    tomb = Customer.objects.get(pk=loser.pk)
    assert tomb.status == Customer.Status.MERGED
    assert tomb.merged_into_id == survivor.pk
    assert PersonProfile.objects.get(pk=loser.pk).id_number_hash == ""
    assert PersonProfile.objects.get(pk=loser.pk).id_number == ID_1
    # history on both, and the audit trail
    note = f"merged from #{loser.pk}"
    assert CustomerChange.objects.filter(
        customer=survivor, field="person.id_number", note=note
    ).exists()
    assert CustomerChange.objects.filter(customer=loser, field="status", new_value="merged")
    assert AuditEvent.objects.filter(action="merge", object_id=str(survivor.pk)).exists()

    # when the merge is undone
    merge_undo(user=archivist, merge_id=merge.pk)
    # then every record is back, the loser lives again with its ID number
    for model, pk in rows.items():
        assert owner_of(model, pk) == loser.pk, model
    tomb.refresh_from_db()
    assert tomb.status == Customer.Status.ACTIVE
    assert tomb.merged_into_id is None
    assert PersonProfile.objects.get(pk=loser.pk).id_number_hash == lookup_hash(ID_1)
    assert PersonProfile.objects.get(pk=survivor.pk).id_number_hash == ""
    assert list(Phone.objects.filter(customer=survivor).values_list("number", flat=True)) == [
        "+8613800138000"
    ]
    assert Phone.objects.filter(customer=loser).count() == 2
    assert not survivor.tags.exists()
    assert Merge.objects.get(pk=merge.pk).status == Merge.Status.UNDONE
    assert AuditEvent.objects.filter(action="unmerge").exists()


def test_contacts_move_with_their_phones(archivist):
    survivor = make_organization(archivist, "永州鼎信商贸有限公司")
    loser = make_organization(archivist, "永州鼎信商贸", **{"organization.credit_code": CODE_1})
    contact = contact_save(
        user=archivist, customer=loser, data={"name": "刘洋", "phones": ["13700137000"]}
    )
    merge = customers_merge(user=archivist, survivor_id=survivor.pk, other_ids=[loser.pk])
    assert Contact.objects.get(pk=contact.pk).customer_id == survivor.pk
    assert Phone.objects.get(contact=contact).customer_id == survivor.pk
    # the credit code went to the survivor; the tombstone's is cleared (kept for undo)
    assert OrganizationProfile.objects.get(pk=survivor.pk).credit_code == CODE_1
    assert OrganizationProfile.objects.get(pk=loser.pk).credit_code == ""
    merge_undo(user=archivist, merge_id=merge.pk)
    assert Contact.objects.get(pk=contact.pk).customer_id == loser.pk
    assert OrganizationProfile.objects.get(pk=loser.pk).credit_code == CODE_1
    assert OrganizationProfile.objects.get(pk=survivor.pk).credit_code == ""


def test_field_choice_and_default_most_recent(archivist):
    survivor = make_person(archivist, "王芳", address="北京市朝阳区建国路1号")
    loser = make_person(archivist, "王芳", address="北京市朝阳区光华路2号")  # entered later
    merge = customers_merge(
        user=archivist,
        survivor_id=survivor.pk,
        other_ids=[loser.pk],
        fields={"name": loser.pk},
    )
    survivor.refresh_from_db()
    assert survivor.address == "北京市朝阳区光华路2号"  # the most recent by default
    assert merge.detail["fields"] == {"address": loser.pk}  # the name was the same already
    # a field the archive changed since is not put back by an undo
    customer_update(user=archivist, customer=survivor, data={"notes": "x"})
    merge_undo(user=archivist, merge_id=merge.pk)
    survivor.refresh_from_db()
    assert survivor.address == "北京市朝阳区建国路1号"


def test_explicit_field_choice_keeps_the_survivors_value(archivist):
    survivor = make_person(archivist, "王芳", address="北京市朝阳区建国路1号")
    loser = make_person(archivist, "王芳", address="北京市朝阳区光华路2号")
    customers_merge(
        user=archivist,
        survivor_id=survivor.pk,
        other_ids=[loser.pk],
        fields={"address": survivor.pk},
    )
    survivor.refresh_from_db()
    assert survivor.address == "北京市朝阳区建国路1号"


def test_undo_keeps_a_survivor_value_changed_since(archivist):
    survivor = make_person(archivist, "王芳", address="北京市朝阳区建国路1号")
    loser = make_person(archivist, "王芳", address="北京市朝阳区光华路2号")
    merge = customers_merge(user=archivist, survivor_id=survivor.pk, other_ids=[loser.pk])
    customer_update(user=archivist, customer=survivor, data={"address": "上海市静安区南京西路5号"})
    merge_undo(user=archivist, merge_id=merge.pk)
    survivor.refresh_from_db()
    assert survivor.address == "上海市静安区南京西路5号"


def test_merge_three_customers_closes_their_candidates(archivist):
    a, b, c = (make_person(archivist, "李娜") for _ in range(3))
    d = make_person(archivist, "李娜")
    now = timezone.now()
    pending = DuplicateCandidate.Status.PENDING
    ab = DuplicateCandidate.objects.create(
        customer_a=a, customer_b=b, kind="person", match_probability=0.99, found_at=now
    )
    cd = DuplicateCandidate.objects.create(
        customer_a=c, customer_b=d, kind="person", match_probability=0.95, found_at=now
    )
    merge = customers_merge(user=archivist, survivor_id=a.pk, other_ids=[b.pk, c.pk])
    ab.refresh_from_db()
    cd.refresh_from_db()
    assert ab.status == DuplicateCandidate.Status.MERGED
    assert cd.status == DuplicateCandidate.Status.SUPERSEDED
    assert set(merge.others.values_list("pk", flat=True)) == {b.pk, c.pk}
    merge_undo(user=archivist, merge_id=merge.pk)
    ab.refresh_from_db()
    cd.refresh_from_db()
    assert (ab.status, cd.status) == (pending, pending)


@pytest.mark.parametrize(
    ("others", "field"),
    [([], "others"), (["x"], "others"), ("self", "others"), ([999999], "customers")],
)
def test_bad_merge_requests_are_refused(archivist, others, field):
    a = make_person(archivist, "李娜")
    if others == "self":
        others = [a.pk]
    with pytest.raises(ValidationError) as caught:
        customers_merge(user=archivist, survivor_id=a.pk, other_ids=others)
    assert field in caught.value.message_dict
    assert Merge.objects.count() == 0


def test_a_merged_customer_cannot_be_merged_again(archivist):
    a, b, c = (make_person(archivist, "李娜") for _ in range(3))
    customers_merge(user=archivist, survivor_id=a.pk, other_ids=[b.pk])
    with pytest.raises(ValidationError, match="merged into"):
        customers_merge(user=archivist, survivor_id=c.pk, other_ids=[b.pk])


def test_person_and_organization_cannot_be_merged(archivist):
    a, b = make_person(archivist, "李娜"), make_organization(archivist, "李娜商贸有限公司")
    with pytest.raises(ValidationError, match="organization"):
        customers_merge(user=archivist, survivor_id=a.pk, other_ids=[b.pk])


def test_undo_twice_is_refused(archivist):
    a, b = make_person(archivist, "李娜"), make_person(archivist, "李娜")
    merge = customers_merge(user=archivist, survivor_id=a.pk, other_ids=[b.pk])
    merge_undo(user=archivist, merge_id=merge.pk)
    with pytest.raises(ValidationError, match="undone already"):
        merge_undo(user=archivist, merge_id=merge.pk)


def test_only_archive_administrators_merge(rep, archivist):
    a, b = make_person(rep, "李娜"), make_person(rep, "李娜")
    with pytest.raises(PermissionDenied):
        customers_merge(user=rep, survivor_id=a.pk, other_ids=[b.pk])
    merge = customers_merge(user=archivist, survivor_id=a.pk, other_ids=[b.pk])
    with pytest.raises(PermissionDenied):
        merge_undo(user=rep, merge_id=merge.pk)


def test_dismiss(archivist, rep):
    a, b = make_person(archivist, "李娜"), make_person(archivist, "李娜")
    pair = DuplicateCandidate.objects.create(
        customer_a=a, customer_b=b, kind="person", match_probability=0.9, found_at=timezone.now()
    )
    with pytest.raises(PermissionDenied):
        candidate_dismiss(user=rep, candidate_id=pair.pk)
    candidate_dismiss(user=archivist, candidate_id=pair.pk)
    pair.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.DISMISSED
    with pytest.raises(ValidationError):
        candidate_dismiss(user=archivist, candidate_id=pair.pk)


# --- uniqueness of ID numbers and credit codes among live customers ------------------------------


def test_the_database_refuses_a_second_id_number(archivist):
    a = make_person(archivist, "李娜", **{"person.id_number": ID_1})
    b = Customer.objects.create(name="李娜", kind="person")
    taken = PersonProfile.objects.get(pk=a.pk).id_number_hash
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonProfile.objects.create(customer=b, id_number=ID_1, id_number_hash=taken)


def test_the_database_refuses_a_second_credit_code(archivist):
    make_organization(archivist, "永州鼎信商贸有限公司", **{"organization.credit_code": CODE_1})
    b = Customer.objects.create(name="鼎信", kind="organization")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationProfile.objects.create(customer=b, credit_code=CODE_1)


def test_the_service_names_the_taken_id_number(archivist):
    make_person(archivist, "李娜", **{"person.id_number": ID_1})
    with pytest.raises(ValidationError) as caught:
        make_person(archivist, "李娜", **{"person.id_number": ID_1})
    assert caught.value.message_dict["person.id_number"] == [
        "Another customer already has this ID number."
    ]


def test_a_tombstone_does_not_block_its_keys(archivist):
    a = make_person(archivist, "李娜")
    b = make_person(archivist, "李娜", **{"person.id_number": ID_1})
    o1 = make_organization(archivist, "鼎信商贸有限公司")
    o2 = make_organization(archivist, "鼎信商贸", **{"organization.credit_code": CODE_1})
    customers_merge(user=archivist, survivor_id=a.pk, other_ids=[b.pk], fields={})
    customers_merge(
        user=archivist,
        survivor_id=o1.pk,
        other_ids=[o2.pk],
        fields={"organization.credit_code": o1.pk},
    )
    # the survivors chose to keep no key; the tombstones' keys are free for a new customer
    customer_update(user=archivist, customer=a, data={"person.id_number": ""})
    fresh = make_person(archivist, "李娜", **{"person.id_number": ID_1})
    assert PersonProfile.objects.get(pk=fresh.pk).id_number_hash == lookup_hash(ID_1)
    make_organization(archivist, "鼎信", **{"organization.credit_code": CODE_1})


def test_history_is_not_moved(archivist):
    a, b = (
        make_person(archivist, "李娜"),
        make_person(archivist, "李娜", address="北京市朝阳区建国路1号"),
    )
    before = CustomerChange.objects.filter(customer=b).count()
    customers_merge(user=archivist, survivor_id=a.pk, other_ids=[b.pk])
    # the tombstone keeps its history (plus the status change)
    assert CustomerChange.objects.filter(customer=b).count() == before + 1
