"""Every write of duplicates and merge: finder runs, the review queue, merges and their undo.

Only archive administrators (``kehu.core.access.can_administer_archive``) may call these.
"""

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import require_archive_admin
from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent
from kehu.customers.models import (
    Customer,
    CustomerChange,
    Email,
    OrganizationProfile,
    PersonProfile,
    Phone,
)
from kehu.customers.selectors import customers_changeable_by, field_specs_for
from kehu.customers.services import customer_update, record_change
from kehu.customers.values import read_value, to_text
from kehu.dedup.finder import DEFAULT_THRESHOLD, Pair, find_duplicates
from kehu.dedup.merging import FieldChoice, field_choices
from kehu.dedup.models import DuplicateCandidate, DuplicateRun, Merge
from kehu.dedup.selectors import DEDUP_REFUSED
from kehu.search.services import search_index_update

logger = logging.getLogger(__name__)

MAX_MERGE = 20
MIN_THRESHOLD, MAX_THRESHOLD = (
    -40.0,
    40.0,
)  # match weights (log2 odds)  # customers in one merge, survivor included


# --- finder runs ----------------------------------------------------------------------------------


def _clean_threshold(threshold: Any) -> float:
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        value = -1.0
    if not MIN_THRESHOLD <= value <= MAX_THRESHOLD:
        raise ValidationError(
            {"threshold": [_("Enter a match weight between -40 and 40, e.g. -8.")]}
        )
    return value


@transaction.atomic
def duplicate_run_request(*, user: User, threshold: Any = DEFAULT_THRESHOLD) -> DuplicateRun:
    """Queue a search of the whole archive; the worker runs it (one at a time)."""
    require_archive_admin(user, DEDUP_REFUSED)
    value = _clean_threshold(threshold)
    busy = DuplicateRun.objects.filter(
        status__in=[DuplicateRun.Status.QUEUED, DuplicateRun.Status.RUNNING]
    ).first()
    if busy is not None:
        return busy
    run = DuplicateRun.objects.create(requested_by=user, threshold=value)
    from kehu.dedup.tasks import run_duplicate_search

    transaction.on_commit(lambda: run_duplicate_search(run.pk))
    return run


def duplicate_run_create(*, threshold: Any = DEFAULT_THRESHOLD) -> DuplicateRun:
    """A run for the command line (no user: whoever runs ``kehu`` administers the install)."""
    return DuplicateRun.objects.create(threshold=_clean_threshold(threshold))


# A search still queued or running this long after it was asked for lost its worker (a million
# customers take minutes).
RUN_STALE_AFTER = timedelta(hours=6)


def duplicate_run_nightly() -> DuplicateRun | None:
    """The nightly search of the whole archive at the default threshold, so the review queue is
    fresh every morning; none while another search is queued or running (one whose worker was
    lost long ago does not count)."""
    with transaction.atomic():
        busy = DuplicateRun.objects.filter(
            status__in=[DuplicateRun.Status.QUEUED, DuplicateRun.Status.RUNNING],
            created_at__gt=timezone.now() - RUN_STALE_AFTER,
        )
        if busy.exists():
            return None
        run = DuplicateRun.objects.create(threshold=DEFAULT_THRESHOLD)
    return duplicate_run_execute(run_id=run.pk)


def duplicate_run_execute(
    *, run_id: int, progress: Callable[[str, int], None] | None = None
) -> DuplicateRun:
    """Run a queued search and store its pairs; a run that started already is left alone."""
    claimed = DuplicateRun.objects.filter(pk=run_id, status=DuplicateRun.Status.QUEUED).update(
        status=DuplicateRun.Status.RUNNING, started_at=timezone.now(), stage="load"
    )
    run = DuplicateRun.objects.get(pk=run_id)
    if not claimed:
        return run
    last: list[tuple[str, int]] = [("", -10)]

    def report(stage: str, percent: int) -> None:
        if progress is not None:
            progress(stage, percent)
        if stage != last[0][0] or percent >= last[0][1] + 5:
            last[0] = (stage, percent)
            DuplicateRun.objects.filter(pk=run_id).update(stage=stage, progress=percent)

    try:
        result = find_duplicates(threshold=run.threshold, progress=report)
        report("store", 0)
        counts = candidates_store(pairs=result.pairs, run=run)
    except Exception as exc:
        logger.exception("duplicate search %s failed", run_id)
        run.status, run.error = DuplicateRun.Status.FAILED, str(exc)[:300]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at", "updated_at"])
        raise
    run.status, run.stage, run.progress = DuplicateRun.Status.DONE, "", 100
    run.customers, run.pairs_compared = result.customers, result.pairs_compared
    run.candidates, run.new_candidates = len(result.pairs), counts["new"]
    run.timings = {stage: round(seconds, 2) for stage, seconds in result.timings.items()}
    run.parameters = result.parameters
    run.finished_at = timezone.now()
    run.save()
    return run


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
    person = PersonProfile.objects.filter(customer=customer).first()
    if person is not None and person.birth_date:
        data["person.birth_date"] = person.birth_date
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


# --- merge ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Relation:
    model: type[models.Model]
    field: str


def relations() -> list[_Relation]:
    """Every table pointing at a customer whose rows move to the survivor in a merge.

    Found generically, so records of apps added later move too. Not moved: the profiles (the
    tombstone keeps its own), history (stays with the customer it describes) and this app's
    own rows (candidates and merges name the customers they are about).
    """
    relations = []
    for rel in Customer._meta.related_objects:
        model = rel.related_model
        if not isinstance(model, type) or rel.one_to_one or rel.many_to_many:
            continue
        if model is CustomerChange or model._meta.app_label == "dedup":
            continue
        relations.append(_Relation(model, rel.field.name))
    return relations


def _label(model: type[models.Model]) -> str:
    return model._meta.label


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


def _clear_keys(loser: Customer) -> dict[str, str]:
    """Clear the tombstone's unique keys (ID-number hash, credit code); returns them."""
    keys: dict[str, str] = {}
    person = getattr(loser, "person", None)
    if person is not None and person.id_number_hash:
        keys["id_number_hash"] = person.id_number_hash
        PersonProfile.objects.filter(pk=loser.pk).update(id_number_hash="")
        person.id_number_hash = ""
    org = getattr(loser, "organization", None)
    if org is not None and org.credit_code:
        keys["credit_code"] = org.credit_code
        OrganizationProfile.objects.filter(pk=loser.pk).update(credit_code="")
        org.credit_code = ""
    return keys


def _move_rows(survivor: Customer, loser: Customer) -> list[dict[str, Any]]:
    """Point every related row of ``loser`` at ``survivor``; returns what moved."""
    moved = []
    for relation in relations():
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
        moved.append(
            {"model": _label(relation.model), "field": relation.field, "ids": ids, "from": loser.pk}
        )
    return moved


def _add_links(survivor: Customer, loser: Customer) -> dict[str, list[int]]:
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
    keys = {loser.pk: _clear_keys(loser) for loser in losers}
    changes = customer_update(user=user, customer=survivor, data=data, channel=None) if data else []
    for change in changes:
        source = chosen[change.field]
        origin = by_code[change.field].sources.get(source)
        change.note = _merged_note([source])[:200]
        change.channel = origin.channel if origin else None
    if changes:
        CustomerChange.objects.bulk_update(changes, ["note", "channel"])
    survivor = Customer.objects.select_related("person", "organization").get(pk=survivor.pk)
    after = {
        code: to_text(by_code[code].spec, read_value(survivor, by_code[code].spec)) for code in data
    }

    # 3. Every related record, tag and share moves over.
    moved: list[dict[str, Any]] = []
    links: dict[str, dict[str, list[int]]] = {}
    for loser in losers:
        moved.extend(_move_rows(survivor, loser))
        links[str(loser.pk)] = _add_links(survivor, loser)
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
        history.append(
            record_change(
                customer=loser,
                field="status",
                old=loser.status,
                new=Customer.Status.MERGED,
                user=user,
                channel=None,
                note=_("merged into #%(id)s") % {"id": survivor.pk},
            )
        )
        Customer.objects.filter(pk=loser.pk).update(
            status=Customer.Status.MERGED, merged_into=survivor, updated_at=timezone.now()
        )
    CustomerChange.objects.bulk_create(history)

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
    for entry in detail["moved"]:
        model = apps.get_model(entry["model"])
        ids = entry["ids"]
        for start in range(0, len(ids), 1000):
            model._base_manager.filter(
                pk__in=ids[start : start + 1000], **{entry["field"]: survivor}
            ).update(**{entry["field"]: entry["from"]})
    for added in detail["links"].values():
        survivor.tags.remove(*added["tags"])
        survivor.shared_with.remove(*added["shared_with"])

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
        loser = losers[int(key)]
        if values.get("id_number_hash"):
            taken = PersonProfile.objects.filter(id_number_hash=values["id_number_hash"])
            if taken.exclude(pk=loser.pk).exists():
                errors.append(_("Another customer has #%(id)s's ID number now.") % {"id": loser.pk})
            PersonProfile.objects.filter(pk=loser.pk).update(
                id_number_hash=values["id_number_hash"]
            )
        if values.get("credit_code"):
            taken_code = OrganizationProfile.objects.filter(credit_code=values["credit_code"])
            if taken_code.exclude(pk=loser.pk).exists():
                errors.append(
                    _("Another customer has #%(id)s's credit code now.") % {"id": loser.pk}
                )
            OrganizationProfile.objects.filter(pk=loser.pk).update(
                credit_code=values["credit_code"]
            )
    if errors:
        raise ValidationError({"merge": errors})
    for key, status in detail["statuses"].items():
        loser = losers[int(key)]
        history.append(
            record_change(
                customer=loser,
                field="status",
                old=loser.status,
                new=status,
                user=user,
                channel=None,
                note=note,
            )
        )
        Customer.objects.filter(pk=loser.pk).update(
            status=status, merged_into=None, updated_at=timezone.now()
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
    CustomerChange.objects.bulk_create(history)

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
