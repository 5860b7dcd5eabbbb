"""The review queue: the pairs a run found, a new customer's likely duplicates, "not a
duplicate"."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import require_archive_admin
from kehu.customers.models import (
    Customer,
    OrganizationProfile,
    PersonProfile,
)
from kehu.dedup.finder import Pair
from kehu.dedup.models import DuplicateCandidate, DuplicateRun
from kehu.dedup.selectors import DEDUP_REFUSED


@transaction.atomic
def candidates_store(*, pairs: Iterable[Pair], run: DuplicateRun | None) -> dict[str, int]:
    """Keep the found pairs as the review queue: new ones pending, pending ones re-scored,
    decided ones (dismissed, merged) left as they are; pending pairs not found again go."""
    now = timezone.now()
    existing = {
        (a, b): (pk, status)
        for pk, a, b, status in DuplicateCandidate.objects.values_list(
            "pk", "customer_a_id", "customer_b_id", "status"
        )
    }
    new: list[DuplicateCandidate] = []
    again: list[DuplicateCandidate] = []
    seen: set[tuple[int, int]] = set()
    for pair in pairs:
        key = (pair.a, pair.b)
        if key in seen:
            continue
        seen.add(key)
        fields = {
            "kind": pair.kind,
            "match_probability": pair.probability,
            "match_weight": pair.weight,
            "agreed": pair.agreed,
            "found_at": now,
            "run": run,
        }
        if key not in existing:
            new.append(DuplicateCandidate(customer_a_id=pair.a, customer_b_id=pair.b, **fields))
        elif existing[key][1] == DuplicateCandidate.Status.PENDING:
            again.append(DuplicateCandidate(pk=existing[key][0], **fields))
    DuplicateCandidate.objects.bulk_create(new, batch_size=2000)
    DuplicateCandidate.objects.bulk_update(
        again, ["match_probability", "match_weight", "agreed", "found_at", "run"], batch_size=2000
    )
    stale = [
        pk
        for key, (pk, status) in existing.items()
        if status == DuplicateCandidate.Status.PENDING and key not in seen
    ]
    for start in range(0, len(stale), 2000):
        DuplicateCandidate.objects.filter(pk__in=stale[start : start + 2000]).delete()
    return {"new": len(new), "updated": len(again), "removed": len(stale)}


def candidates_flag_new(*, customer: Customer) -> int:
    """Put a customer just created (saved anyway from the form, a web-form lead, the API) in the
    review queue beside the customers it likely duplicates; how many pairs were added."""
    from kehu.dedup.entry import possible_duplicates

    data: dict[str, Any] = {
        "name": customer.name,
        "address": customer.address,
        "phones": list(
            customer.phones.filter(contact__isnull=True).values_list("number", flat=True)
        ),
        "emails": list(
            customer.emails.filter(contact__isnull=True).values_list("address", flat=True)
        ),
    }
    # Every field the model compares, as the form's check reads them.
    person = PersonProfile.objects.filter(customer=customer).first()
    if person is not None:
        data["person.birth_date"] = person.birth_date
        data["person.employer"] = person.employer
        data["person.id_number"] = person.id_number
    organization = OrganizationProfile.objects.filter(customer=customer).first()
    if organization is not None:
        data["organization.credit_code"] = organization.credit_code
    found = possible_duplicates(kind=customer.kind, data=data, exclude=(customer.pk,))
    now = timezone.now()
    added = 0
    for duplicate in found:
        a, b = sorted((customer.pk, duplicate.customer_id))
        _pair, created = DuplicateCandidate.objects.get_or_create(
            customer_a_id=a,
            customer_b_id=b,
            defaults={
                "kind": customer.kind,
                "match_probability": duplicate.score.probability,
                "match_weight": duplicate.score.weight,
                "agreed": duplicate.score.agreed,
                "found_at": now,
            },
        )
        added += created
    return added


@transaction.atomic
def candidate_dismiss(*, user: User, candidate_id: int) -> DuplicateCandidate:
    """ "Not a duplicate": the pair leaves the queue and stays out when the finder runs again."""
    require_archive_admin(user, DEDUP_REFUSED)
    candidate = DuplicateCandidate.objects.select_for_update().filter(pk=candidate_id).first()
    if candidate is None:
        from django.http import Http404

        raise Http404
    if candidate.status != DuplicateCandidate.Status.PENDING:
        raise ValidationError({"status": [_("This pair has been decided already.")]})
    candidate.status = DuplicateCandidate.Status.DISMISSED
    candidate.decided_by, candidate.decided_at = user, timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    return candidate
