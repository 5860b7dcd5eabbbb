"""Reads of the duplicate finder's results and of merges, for archive administrators."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.core.access import can_administer_archive, require_archive_admin
from kehu.customers.models import Customer
from kehu.customers.related import attached_counts
from kehu.customers.selectors import customers_visible_to
from kehu.customers.tombstones import merge_relations
from kehu.dedup.merging import FieldChoice, field_choices, masked
from kehu.dedup.models import DuplicateCandidate, DuplicateRun, Merge

DEDUP_REFUSED = gettext_lazy("Only archive administrators may find and merge duplicates.")


def duplicates_pending_count() -> int:
    """How many candidate pairs wait for review (one indexed count)."""
    return DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.PENDING).count()


def duplicates_pending_rows_for(user: User) -> QuerySet[DuplicateCandidate, Any] | None:
    """The navigation badge's rows: the pending pairs, for archive administrators."""
    if not can_administer_archive(user):
        return None
    return DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.PENDING).values("pk")


def _involving(customer_id: int, status: str) -> QuerySet[DuplicateCandidate, Any]:
    """The ids of the pairs in ``status`` that have the customer on either side.

    One index search per side, united: with ``customer_a = x OR customer_b = x`` beside the
    status, SQLite (which keeps no statistics here) walks every pair of that status instead.
    """
    pairs = DuplicateCandidate.objects.filter(status=status).order_by()
    side_a = pairs.filter(customer_a_id=customer_id).values("pk")
    return side_a.union(pairs.filter(customer_b_id=customer_id).values("pk"), all=True)


def candidates_for(
    *,
    user: User,
    status: str = DuplicateCandidate.Status.PENDING,
    kind: str = "",
    customer_id: int | None = None,
) -> QuerySet[DuplicateCandidate]:
    """The review queue, most likely duplicates first; with ``customer_id``, only the pairs
    that customer is in (none if ``user`` may not see that customer)."""
    require_archive_admin(user, DEDUP_REFUSED)
    status = status or DuplicateCandidate.Status.PENDING
    if customer_id is None:
        queryset = DuplicateCandidate.objects.filter(status=status)
    elif customers_visible_to(user).filter(pk=customer_id).exists():
        queryset = DuplicateCandidate.objects.filter(pk__in=_involving(customer_id, status))
    else:
        queryset = DuplicateCandidate.objects.none()
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.select_related("customer_a", "customer_b").order_by("-match_probability", "-id")


def queue_customer_get(*, user: User, customer_id: int) -> Customer:
    """The customer the review queue is narrowed to, if ``user`` may see it; else 404."""
    require_archive_admin(user, DEDUP_REFUSED)
    customer = customers_visible_to(user).filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    return customer


def duplicates_pending_count_for_customer(*, user: User, customer: Customer) -> int | None:
    """For the 360° page: how many pairs with ``customer`` wait for review, or None when
    ``user`` may not use the review queue. ``customer`` was fetched for ``user`` already."""
    if not can_administer_archive(user):
        return None
    return _involving(customer.pk, DuplicateCandidate.Status.PENDING).count()


def candidate_get(*, user: User, candidate_id: int) -> DuplicateCandidate:
    require_archive_admin(user, DEDUP_REFUSED)
    candidate = (
        DuplicateCandidate.objects.select_related("customer_a", "customer_b")
        .filter(pk=candidate_id)
        .first()
    )
    if candidate is None:
        raise Http404
    return candidate


def runs_for(*, user: User) -> QuerySet[DuplicateRun]:
    require_archive_admin(user, DEDUP_REFUSED)
    return DuplicateRun.objects.order_by("-id")


def run_get(*, user: User, run_id: int) -> DuplicateRun:
    require_archive_admin(user, DEDUP_REFUSED)
    run = DuplicateRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


def run_latest() -> DuplicateRun | None:
    return DuplicateRun.objects.order_by("-id").first()


def merges_for(*, user: User) -> QuerySet[Merge]:
    require_archive_admin(user, DEDUP_REFUSED)
    return Merge.objects.select_related("survivor", "merged_by").prefetch_related("others")


def merge_get(*, user: User, merge_id: int) -> Merge:
    require_archive_admin(user, DEDUP_REFUSED)
    merge = (
        Merge.objects.select_related("survivor", "merged_by", "undone_by")
        .prefetch_related("others")
        .filter(pk=merge_id)
        .first()
    )
    if merge is None:
        raise Http404
    return merge


@dataclass
class Comparison:
    """Customers side by side (the first is the proposed survivor), with what a merge keeps."""

    customers: list[Customer]
    fields: list[FieldChoice]
    counts: dict[int, dict[str, int]]  # customer id → related records by kind, e.g. "orders"


def comparison_for(*, user: User, customer_ids: list[int]) -> Comparison:
    """The comparison of these customers, sensitive values masked; 404 if one is not visible."""
    require_archive_admin(user, DEDUP_REFUSED)
    found = {
        c.pk: c
        for c in customers_visible_to(user)
        .filter(pk__in=customer_ids)
        .select_related("person", "organization", "owner")
        .prefetch_related("phones", "emails", "tags")
    }
    if len(found) != len(set(customer_ids)) or len({c.kind for c in found.values()}) > 1:
        raise Http404
    customers = [found[cid] for cid in customer_ids]
    fields = masked(field_choices(customers))
    counts = {c.pk: related_counts(c) for c in customers}
    return Comparison(customers=customers, fields=fields, counts=counts)


def related_counts(customer: Customer) -> dict[str, int]:
    """How many records of each related kind point at ``customer`` (what a merge moves)."""
    return attached_counts(customer, merge_relations())


def survivor_of(customer: Customer) -> Customer:
    """The live customer a tombstone was merged into (following later merges too)."""
    seen = {customer.pk}
    while customer.status == Customer.Status.MERGED and customer.merged_into_id:
        if customer.merged_into_id in seen:
            break
        seen.add(customer.merged_into_id)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


@dataclass
class EntryDuplicate:
    """A possible duplicate of a customer being entered, as its user may see it."""

    customer_id: int | None  # None: outside the user's scope (not linked, name withheld)
    name: str
    probability: float
    weight: float
    evidence: list[str]  # translated, strongest first
    agreed: list[str]


def possible_duplicates_for_user(
    *, user: Any, kind: str, data: dict[str, Any], exclude: tuple[int, ...] = ()
) -> list[EntryDuplicate]:
    """Live customers the values being entered likely duplicate: those the user may see with
    their name and evidence, the others only as "a customer outside your scope"."""
    from kehu.dedup.entry import possible_duplicates

    found = possible_duplicates(kind=kind, data=data, exclude=exclude)
    if not found:
        return []
    visible = set(
        customers_visible_to(user)
        .filter(pk__in=[d.customer_id for d in found])
        .values_list("pk", flat=True)
    )
    return [
        EntryDuplicate(
            customer_id=d.customer_id if d.customer_id in visible else None,
            name=d.name if d.customer_id in visible else "",
            probability=d.score.probability,
            weight=d.score.weight,
            evidence=[_(label) for _field, label in d.evidence],
            agreed=d.score.agreed,
        )
        for d in found
    ]


# The compared field groups (``model.comparisons()``) in words, for the queue's "agreeing
# fields" column: the stored codes are for programs.
AGREED_LABELS = {
    "name": gettext_lazy("name"),
    "phone": gettext_lazy("phone"),
    "email": gettext_lazy("e-mail"),
    "id_number": gettext_lazy("ID number"),
    "credit_code": gettext_lazy("unified social credit code"),
    "birth_date": gettext_lazy("date of birth"),
    "address": gettext_lazy("address"),
    "postcode": gettext_lazy("postcode"),
    "region": gettext_lazy("region"),
    "employer": gettext_lazy("employer"),
}


def agreed_labels(codes: list[str]) -> list[str]:
    """The agreeing field groups of a candidate in words."""
    return [str(AGREED_LABELS.get(code, code)) for code in codes]
