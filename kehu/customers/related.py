"""The records attached to a customer: every table whose foreign key points at a customer,
found from the models, so the records of apps added later count too. The one list used by a
merge (what moves to the survivor), its undo, the merge comparison's counts and an import's
undo (what keeps a customer it created from being deleted)."""

from collections.abc import Collection
from dataclasses import dataclass

from django.db import models

from kehu.customers.models import Customer

# What is written with a customer as part of its own record (by the archive, an import, the
# search index), as opposed to the records other work attaches to it later.
# (A contact's ``person``, the customer it names, is a record attached to that customer.)
OWN_RECORD = (
    "customers.personprofile.customer",
    "customers.organizationprofile.customer",
    "customers.phone.customer",
    "customers.email.customer",
    "customers.customerchange.customer",
    "customers.contact.customer",
    "search.searchterm.customer",
)


@dataclass(frozen=True)
class Relation:
    """A foreign key (or one-to-one key) ``model.field`` to a customer."""

    model: type[models.Model]
    field: str
    one_to_one: bool

    @property
    def label(self) -> str:
        """``app_label.modelname``, lower case."""
        return self.model._meta.label_lower


def customer_relations(*, leave_out: Collection[str] = ()) -> list[Relation]:
    """Every relation pointing at a customer but many-to-many links (tags, shares) and hidden
    ones (``merged_into``); ``leave_out`` names keys (``app_label.modelname.field``), models
    (``app_label.modelname``) or whole apps (``app_label``) not to list."""
    relations = []
    for rel in Customer._meta.related_objects:
        model = rel.related_model
        if not isinstance(model, type) or rel.many_to_many:
            continue
        label = model._meta.label_lower
        names = (model._meta.app_label, label, f"{label}.{rel.field.name}")
        if any(name in leave_out for name in names):
            continue
        relations.append(Relation(model, rel.field.name, bool(rel.one_to_one)))
    return relations


def attached_counts(customer: Customer, relations: list[Relation]) -> dict[str, int]:
    """How many records of each kind (verbose plural name) point at ``customer``."""
    counts: dict[str, int] = {}
    for relation in relations:
        n = relation.model._base_manager.filter(**{relation.field: customer}).count()
        if n:
            name = str(relation.model._meta.verbose_name_plural)
            counts[name] = counts.get(name, 0) + n
    return counts


def customers_attached(customer_ids: list[int], *, leave_out: Collection[str]) -> set[int]:
    """Of these customers, those a record of ``customer_relations(leave_out=…)`` points at, a
    merged customer names as its survivor, or that are shared with someone."""
    attached: set[int] = set()
    for relation in customer_relations(leave_out=leave_out):
        name = relation.field
        attached |= set(
            relation.model._base_manager.filter(**{f"{name}__in": customer_ids}).values_list(
                name, flat=True
            )
        )
    attached |= set(
        Customer.objects.filter(merged_into_id__in=customer_ids).values_list(
            "merged_into_id", flat=True
        )
    )
    attached |= set(
        Customer.shared_with.through.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", flat=True
        )
    )
    return attached
