"""Merging customers and undoing a merge. The customers app writes its own tables
(``kehu.customers.tombstones``); this module decides what the survivor keeps and records
the merge so it can be undone."""

import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import require_archive_admin
from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent
from kehu.customers.bulk import changes_insert
from kehu.customers.models import (
    Customer,
    CustomerChange,
)
from kehu.customers.selectors import customers_changeable_by, field_specs_for
from kehu.customers.services import customer_update, record_change
from kehu.customers.tombstones import (
    changes_renote,
    customer_keys_release,
    customer_keys_restore,
    customer_links_remove,
    customer_links_unite,
    customer_records_move,
    customer_records_return,
    customer_tombstone,
    customer_tombstone_revive,
)
from kehu.customers.values import read_value, to_text
from kehu.dedup.merging import FieldChoice, field_choices
from kehu.dedup.models import DuplicateCandidate, Merge
from kehu.dedup.selectors import DEDUP_REFUSED
from kehu.search.services import search_index_update

MAX_MERGE = 20  # customers in one merge, survivor included


def _lock_customers(*, user: User, ids: list[int]) -> dict[int, Customer]:
    found = {
        c.pk: c
        for c in customers_changeable_by(user)
        .select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("person", "organization")
    }
    missing = [cid for cid in ids if cid not in found]
    if missing:
        raise ValidationError(
            {
                "customers": [
                    _("No customer #%(id)s, or you may not change it.") % {"id": cid}
                    for cid in missing
                ]
            }
        )
    return found


def _validate_merge(survivor_id: Any, other_ids: Any) -> tuple[int, list[int]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(survivor_id, int) or isinstance(survivor_id, bool):
        errors["survivor"] = [_("Choose the customer that survives.")]
    others = list(other_ids) if isinstance(other_ids, list | tuple) else []
    if not others or not all(isinstance(o, int) and not isinstance(o, bool) for o in others):
        errors["others"] = [_("Choose at least one customer to merge into the survivor.")]
    elif survivor_id in others:
        errors["others"] = [_("A customer cannot be merged with itself.")]
    elif len(set(others)) != len(others):
        errors["others"] = [_("A customer is listed twice.")]
    elif len(others) + 1 > MAX_MERGE:
        errors["others"] = [_("Merge at most %(n)s customers at once.") % {"n": MAX_MERGE}]
    if errors:
        raise ValidationError(errors)
    return survivor_id, others


def _check_mergeable(customers: list[Customer]) -> None:
    errors: list[str] = []
    for customer in customers:
        if customer.status == Customer.Status.MERGED:
            errors.append(
                _("#%(id)s %(name)s was merged into #%(into)s already.")
                % {"id": customer.pk, "name": customer.name, "into": customer.merged_into_id}
            )
    if len({c.kind for c in customers}) > 1:
        errors.append(_("A person and an organization cannot be merged."))
    if errors:
        raise ValidationError({"customers": errors})


def _chosen_sources(
    choices: list[FieldChoice], given: dict[str, Any] | None, ids: set[int]
) -> dict[str, int]:
    """The customer each field's value comes from: the defaults, overridden by ``given``."""
    by_code = {choice.code: choice for choice in choices}
    errors: dict[str, list[str]] = {}
    chosen = {choice.code: choice.default for choice in choices}
    for code, source in (given or {}).items():
        if code not in by_code:
            errors[f"fields.{code}"] = [_("Unknown field, or not one a merge chooses.")]
        elif not isinstance(source, int) or source not in ids:
            errors[f"fields.{code}"] = [_("Choose one of the customers being merged.")]
        else:
            chosen[code] = source
    if errors:
        raise ValidationError(errors)
    return chosen


def _related_texts(customer: Customer) -> dict[str, str]:
    customer = Customer.objects.prefetch_related("phones", "emails", "tags").get(pk=customer.pk)
    specs = field_specs_for(customer.kind)
    return {code: to_text(specs[code], read_value(customer, specs[code])) for code in RELATED}


RELATED = ("phones", "emails", "tags")


def _history(
    customer: Customer, before: dict[str, str], after: dict[str, str], *, user: User, note: str
) -> list[CustomerChange]:
    return [
        record_change(
            customer=customer,
            field=code,
            old=before[code],
            new=after[code],
            user=user,
            channel=None,
            note=note,
        )
        for code in before
        if before[code] != after[code]
    ]


def _merged_note(ids: Iterable[int]) -> str:
    return _("merged from %(ids)s") % {"ids": ", ".join(f"#{i}" for i in ids)}


@transaction.atomic
def customers_merge(
    *,
    user: User,
    survivor_id: Any,
    other_ids: Any,
    fields: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> Merge:
    """Merge ``other_ids`` into ``survivor_id``: one customer remains, the others become
    tombstones (status merged, pointing at the survivor).

    Per field the survivor keeps the value of the customer ``fields`` names (field code →
    customer id), by default the most recently recorded one; phones, e-mails, tags and shares
    are united. Every related record moves to the survivor. What moved and what was
    overwritten is kept in the ``Merge`` so ``merge_undo`` can put it back.
    """
    require_archive_admin(user, DEDUP_REFUSED)
    survivor_id, others = _validate_merge(survivor_id, other_ids)
    if fields is not None and not isinstance(fields, dict):
        raise ValidationError({"fields": [_("Give field codes and customer ids.")]})
    locked = _lock_customers(user=user, ids=[survivor_id, *others])
    customers = [locked[survivor_id], *(locked[o] for o in others)]
    _check_mergeable(customers)
    survivor, losers = customers[0], customers[1:]
    choices = field_choices(customers)
    chosen = _chosen_sources(choices, fields, set(locked))
    by_code = {choice.code: choice for choice in choices}
    related_before = _related_texts(survivor)

    # 1. What the survivor takes from the others (read before their keys are cleared).
    loser_by_id = {loser.pk: loser for loser in losers}
    data: dict[str, Any] = {}
    for code, source in chosen.items():
        choice = by_code[code]
        if source == survivor.pk or choice.texts[source] == choice.texts[survivor.pk]:
            continue
        data[code] = read_value(loser_by_id[source], choice.spec)
    before = {code: by_code[code].texts[survivor.pk] for code in data}

    # 2. The tombstones give up their unique keys, so the survivor may take them; then the
    # chosen values are written like any change (validation, history).
    keys = {loser.pk: customer_keys_release(loser) for loser in losers}
    changes = customer_update(user=user, customer=survivor, data=data, channel=None) if data else []
    for change in changes:
        source = chosen[change.field]
        origin = by_code[change.field].sources.get(source)
        change.note = _merged_note([source])[:200]
        change.channel = origin.channel if origin else None
    if changes:
        changes_renote(changes)
    survivor = Customer.objects.select_related("person", "organization").get(pk=survivor.pk)
    after = {
        code: to_text(by_code[code].spec, read_value(survivor, by_code[code].spec)) for code in data
    }

    # 3. Every related record, tag and share moves over.
    moved: list[dict[str, Any]] = []
    links: dict[str, dict[str, list[int]]] = {}
    for loser in losers:
        moved.extend(customer_records_move(survivor=survivor, loser=loser))
        links[str(loser.pk)] = customer_links_unite(survivor=survivor, loser=loser)
    related_after = _related_texts(survivor)
    history = _history(
        survivor, related_before, related_after, user=user, note=_merged_note(others)
    )
    history.append(
        record_change(
            customer=survivor,
            field="merged_from",
            old="",
            new=", ".join(f"#{o}" for o in others),
            user=user,
            channel=None,
            note=_merged_note(others),
        )
    )

    # 4. The others become tombstones pointing at the survivor.
    statuses: dict[str, str] = {}
    for loser in losers:
        statuses[str(loser.pk)] = loser.status
        note = _("merged into #%(id)s") % {"id": survivor.pk}
        history.append(customer_tombstone(customer=loser, survivor=survivor, user=user, note=note))
    changes_insert(history)

    # 5. The review queue: this pair (or group) is merged; the tombstones' other pairs close.
    ids = [survivor.pk, *others]
    involved = DuplicateCandidate.objects.filter(
        Q(customer_a_id__in=others) | Q(customer_b_id__in=others),
        status=DuplicateCandidate.Status.PENDING,
    )
    closed: dict[str, list[int]] = {"merged": [], "superseded": []}
    for candidate in involved.select_for_update():
        inside = candidate.customer_a_id in ids and candidate.customer_b_id in ids
        closed["merged" if inside else "superseded"].append(candidate.pk)
    now = timezone.now()
    for status, pks in closed.items():
        DuplicateCandidate.objects.filter(pk__in=pks).update(
            status=status, decided_by=user, decided_at=now
        )

    merge = Merge.objects.create(
        survivor=survivor,
        merged_by=user,
        detail={
            "others": others,
            "moved": moved,
            "links": links,
            "statuses": statuses,
            "fields": {code: chosen[code] for code in data},
            "candidates": closed,
        },
        secrets=json.dumps(
            {
                "before": before,
                "after": after,
                "keys": {str(k): v for k, v in keys.items()},
            },
            ensure_ascii=False,
        ),
    )
    merge.others.set(losers)
    audit_log(
        action=AuditEvent.Action.MERGE,
        actor=user,
        ip_address=ip_address,
        object_type="customer",
        object_id=survivor.pk,
        detail={"merge": merge.pk, "survivor": survivor.pk, "others": others},
    )
    search_index_update(customer_ids=ids)
    return merge


@transaction.atomic
def merge_undo(*, user: User, merge_id: int, ip_address: str | None = None) -> Merge:
    """Put a merge back: the rows it moved return, the tombstones live again with their keys,
    and survivor fields it overwrote get their old values (unless changed since)."""
    require_archive_admin(user, DEDUP_REFUSED)
    merge = Merge.objects.select_for_update().filter(pk=merge_id).first()
    if merge is None:
        from django.http import Http404

        raise Http404
    if merge.status != Merge.Status.DONE:
        raise ValidationError({"merge": [_("This merge has been undone already.")]})
    survivor = Customer.objects.select_for_update().get(pk=merge.survivor_id)
    if survivor.status == Customer.Status.MERGED:
        raise ValidationError(
            {
                "merge": [
                    _("The survivor was merged into #%(id)s since; undo that merge first.")
                    % {"id": survivor.merged_into_id}
                ]
            }
        )
    detail, secrets = merge.detail, json.loads(merge.secrets or "{}")
    others: list[int] = detail["others"]
    losers = {
        c.pk: c
        for c in Customer.objects.select_for_update(of=("self",))
        .select_related("person", "organization")
        .filter(pk__in=others)
    }
    related_before = _related_texts(survivor)

    # 1. Moved rows go back (those still on the survivor), links added are removed.
    customer_records_return(survivor=survivor, moved=detail["moved"])
    for added in detail["links"].values():
        customer_links_remove(survivor=survivor, added=added)

    # 2. Survivor fields the merge overwrote, where nobody changed them since.
    specs = field_specs_for(survivor.kind)
    survivor = Customer.objects.select_related("person", "organization").get(pk=survivor.pk)
    restore = {
        code: old
        for code, old in secrets.get("before", {}).items()
        if code in specs
        and to_text(specs[code], read_value(survivor, specs[code])) == secrets["after"].get(code)
    }
    note = _("merge #%(id)s undone") % {"id": merge.pk}
    if restore:
        customer_update(user=user, customer=survivor, data=restore, channel=None, note=note)

    # 3. The tombstones live again, with their keys (if no live customer took them since).
    errors: list[str] = []
    history: list[CustomerChange] = []
    for key, values in secrets.get("keys", {}).items():
        errors += customer_keys_restore(losers[int(key)], values)
    if errors:
        raise ValidationError({"merge": errors})
    for key, status in detail["statuses"].items():
        history.append(
            customer_tombstone_revive(
                customer=losers[int(key)], status=status, user=user, note=note
            )
        )
    related_after = _related_texts(survivor)
    history.extend(_history(survivor, related_before, related_after, user=user, note=note))
    history.append(
        record_change(
            customer=survivor,
            field="merged_from",
            old=", ".join(f"#{o}" for o in others),
            new="",
            user=user,
            channel=None,
            note=note,
        )
    )
    changes_insert(history)

    # 4. The pairs the merge closed wait for review again.
    closed = detail.get("candidates", {})
    DuplicateCandidate.objects.filter(
        pk__in=[*closed.get("merged", []), *closed.get("superseded", [])],
        status__in=[DuplicateCandidate.Status.MERGED, DuplicateCandidate.Status.SUPERSEDED],
    ).update(status=DuplicateCandidate.Status.PENDING, decided_by=None, decided_at=None)

    merge.status, merge.undone_by, merge.undone_at = Merge.Status.UNDONE, user, timezone.now()
    merge.save(update_fields=["status", "undone_by", "undone_at", "updated_at"])
    audit_log(
        action=AuditEvent.Action.UNMERGE,
        actor=user,
        ip_address=ip_address,
        object_type="customer",
        object_id=survivor.pk,
        detail={"merge": merge.pk, "survivor": survivor.pk, "others": others},
    )
    search_index_update(customer_ids=[survivor.pk, *others])
    return merge
