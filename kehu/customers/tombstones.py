"""The customers app's part of a merge (``kehu.dedup``): tombstones, the unique keys they give
up, and the records and links that move to the survivor, each with its way back for an undo.

Called inside the merge's transaction, with the customers locked; access is the caller's
(merges are for archive administrators). History rows are returned unsaved, to be saved
together with ``changes_insert`` (``kehu.customers.bulk``).
"""

from typing import Any

from django.apps import apps
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.customers.models import (
    Customer,
    CustomerChange,
    Email,
    OrganizationProfile,
    PersonProfile,
    Phone,
)
from kehu.customers.related import Relation, customer_relations
from kehu.customers.services import record_change


def merge_relations() -> list[Relation]:
    """The records that move to the survivor in a merge. Not moved: the profiles (the tombstone
    keeps its own), history (stays with the customer it describes) and the duplicate finder's
    own rows (candidates and merges name the customers they are about)."""
    relations = customer_relations(leave_out=("customers.customerchange", "dedup"))
    return [relation for relation in relations if not relation.one_to_one]


def customer_keys_release(customer: Customer) -> dict[str, str]:
    """Clear the tombstone's unique keys (ID-number hash, credit code); returns them."""
    keys: dict[str, str] = {}
    person = getattr(customer, "person", None)
    if person is not None and person.id_number_hash:
        keys["id_number_hash"] = person.id_number_hash
        PersonProfile.objects.filter(pk=customer.pk).update(id_number_hash="")
        person.id_number_hash = ""
    org = getattr(customer, "organization", None)
    if org is not None and org.credit_code:
        keys["credit_code"] = org.credit_code
        OrganizationProfile.objects.filter(pk=customer.pk).update(credit_code="")
        org.credit_code = ""
    return keys


def customer_keys_restore(customer: Customer, keys: dict[str, str]) -> list[str]:
    """Give a tombstone back the keys ``customer_keys_release`` took; returns a message for each
    key another customer holds now (the caller rolls back then)."""
    errors: list[str] = []
    if keys.get("id_number_hash"):
        taken = PersonProfile.objects.filter(id_number_hash=keys["id_number_hash"])
        if taken.exclude(pk=customer.pk).exists():
            errors.append(_("Another customer has #%(id)s's ID number now.") % {"id": customer.pk})
        PersonProfile.objects.filter(pk=customer.pk).update(id_number_hash=keys["id_number_hash"])
    if keys.get("credit_code"):
        taken_code = OrganizationProfile.objects.filter(credit_code=keys["credit_code"])
        if taken_code.exclude(pk=customer.pk).exists():
            errors.append(
                _("Another customer has #%(id)s's credit code now.") % {"id": customer.pk}
            )
        OrganizationProfile.objects.filter(pk=customer.pk).update(credit_code=keys["credit_code"])
    return errors


def customer_records_move(*, survivor: Customer, loser: Customer) -> list[dict[str, Any]]:
    """Point every record of ``loser`` (``merge_relations``) at ``survivor``; returns what
    moved, for ``customer_records_return``."""
    moved = []
    for relation in merge_relations():
        manager = relation.model._base_manager
        rows = manager.filter(**{relation.field: loser})
        # The survivor's own phone or e-mail again would be a second row of the same number.
        if relation.model is Phone:
            taken = Phone.objects.filter(customer=survivor, contact=None).values("number")
            rows = rows.exclude(Q(contact=None) & Q(number__in=taken))
        elif relation.model is Email:
            mails = Email.objects.filter(customer=survivor, contact=None).values("address")
            rows = rows.exclude(Q(contact=None) & Q(address__in=mails))
        ids = list(rows.order_by("pk").values_list("pk", flat=True))
        if not ids:
            continue
        for start in range(0, len(ids), 1000):
            manager.filter(pk__in=ids[start : start + 1000]).update(**{relation.field: survivor})
        moved.append({"model": relation.model._meta.label, "field": relation.field, "ids": ids,
                      "from": loser.pk})  # fmt: skip
    return moved


def customer_records_return(*, survivor: Customer, moved: list[dict[str, Any]]) -> None:
    """Move back the records ``customer_records_move`` moved (those still on the survivor)."""
    for entry in moved:
        model = apps.get_model(entry["model"])
        ids = entry["ids"]
        for start in range(0, len(ids), 1000):
            model._base_manager.filter(
                pk__in=ids[start : start + 1000], **{entry["field"]: survivor}
            ).update(**{entry["field"]: entry["from"]})


def customer_links_unite(*, survivor: Customer, loser: Customer) -> dict[str, list[int]]:
    """Tags and shares of the loser added to the survivor; returns what was added."""
    tags = set(survivor.tags.values_list("pk", flat=True))
    new_tags = [pk for pk in loser.tags.values_list("pk", flat=True) if pk not in tags]
    survivor.tags.add(*new_tags)
    shared = set(survivor.shared_with.values_list("pk", flat=True))
    candidates = list(loser.shared_with.values_list("pk", flat=True))
    if loser.owner_id is not None:
        candidates.append(loser.owner_id)  # the loser's owner keeps seeing the customer
    new_shares = [
        pk for pk in dict.fromkeys(candidates) if pk not in shared and pk != survivor.owner_id
    ]
    survivor.shared_with.add(*new_shares)
    return {"tags": new_tags, "shared_with": new_shares}


def customer_links_remove(*, survivor: Customer, added: dict[str, list[int]]) -> None:
    """Take off the survivor the tags and shares ``customer_links_unite`` added."""
    survivor.tags.remove(*added["tags"])
    survivor.shared_with.remove(*added["shared_with"])


def customer_tombstone(
    *, customer: Customer, survivor: Customer, user: User, note: str
) -> CustomerChange:
    """Make ``customer`` a tombstone (status merged) pointing at ``survivor``; returns the
    history row of its status."""
    change = record_change(
        customer=customer, field="status", old=customer.status, new=Customer.Status.MERGED,
        user=user, channel=None, note=note,
    )  # fmt: skip
    Customer.objects.filter(pk=customer.pk).update(
        status=Customer.Status.MERGED, merged_into=survivor, updated_at=timezone.now()
    )
    return change


def customer_tombstone_revive(
    *, customer: Customer, status: str, user: User, note: str
) -> CustomerChange:
    """A tombstone lives again with the status it had; returns the history row."""
    change = record_change(
        customer=customer, field="status", old=customer.status, new=status, user=user,
        channel=None, note=note,
    )  # fmt: skip
    Customer.objects.filter(pk=customer.pk).update(
        status=status, merged_into=None, updated_at=timezone.now()
    )
    return change


def changes_renote(changes: list[CustomerChange]) -> None:
    """Save the note and channel set on history rows after ``customer_update`` wrote them."""
    CustomerChange.objects.bulk_update(changes, ["note", "channel"])
