"""Changing many customers at once (批量操作): assign, tag, untag, change grade or stage.

Each customer is changed through the customers app's own services (``customer_assign``,
``customer_update``), so every change is on its timeline with who and when, exactly as a change
made one by one; only customers the user may change are touched. Assigning and tagging keep what
each customer held before, so they can be undone.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.bulk.models import BulkAction
from kehu.core.access import can_own_customers, is_read_only, require
from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_changeable_by
from kehu.customers.services import customer_assign, customer_update

# Up to this many customers a bulk action runs in the request; more go to the background.
BACKGROUND_ABOVE = 300
# At most this many customers in one action.
MAX_CUSTOMERS = 100_000
PROGRESS_EVERY = 50

Progress = Callable[[int], None]


def bulk_targets(*, user: User, selection: QuerySet[Customer]) -> QuerySet[Customer]:
    """Of the selected customers, those ``user`` may change (live ones)."""
    return customers_changeable_by(user).live().filter(pk__in=selection.values("pk")).order_by("id")


def bulk_value_clean(action: str, value: str) -> str:
    value = value.strip()
    if action == BulkAction.Action.ASSIGN:
        owner = User.objects.filter(pk=int(value) if value.isdigit() else 0, is_active=True).first()
        if owner is None or not can_own_customers(owner):
            raise ValidationError(
                {"value": [_("Choose an active colleague who may own customers.")]}
            )
    elif action in {BulkAction.Action.TAG, BulkAction.Action.UNTAG}:
        if not value:
            raise ValidationError({"value": [_("Enter a tag.")]})
        if len(value) > 40:
            raise ValidationError({"value": [_("A tag has at most 40 characters.")]})
    elif action == BulkAction.Action.GRADE:
        if value not in Customer.Grade.values:
            raise ValidationError({"value": [_("Choose a grade.")]})
    elif action == BulkAction.Action.STAGE:
        if value not in Customer.Stage.values:
            raise ValidationError({"value": [_("Choose a lifecycle stage.")]})
    else:
        raise ValidationError({"action": [_("Choose what to do.")]})
    return value


def bulk_action_create(
    *, user: User, action: str, value: str, selection: QuerySet[Customer]
) -> BulkAction:
    """Record a bulk action on the selected customers that ``user`` may change (not run yet)."""
    require(user, lambda u: not is_read_only(u), _("Your role may not change customers."))
    value = bulk_value_clean(action, value)
    ids = list(
        bulk_targets(user=user, selection=selection).values_list("pk", flat=True)[
            : MAX_CUSTOMERS + 1
        ]
    )
    if not ids:
        raise ValidationError(_("None of the selected customers may be changed by you."))
    if len(ids) > MAX_CUSTOMERS:
        raise ValidationError(
            _("At most %(n)s customers at once; narrow the filter.") % {"n": MAX_CUSTOMERS}
        )
    return BulkAction.objects.create(user=user, action=action, value=value, customer_ids=ids)


def _tags(customer: Customer) -> list[str]:
    return [tag.name for tag in customer.tags.all()]


def _apply_one(row: BulkAction, customer: Customer, owner: User | None) -> str | None:
    """Change one customer; returns what it held before (for undo), None if nothing changed."""
    note = _("Bulk action")
    if row.action == BulkAction.Action.ASSIGN:
        if customer.owner_id == (owner.pk if owner else None):
            return None
        before = str(customer.owner_id or "")
        customer_assign(user=row.user, customer=customer, owner=owner, note=note)
        return before
    if row.action in {BulkAction.Action.TAG, BulkAction.Action.UNTAG}:
        tags = _tags(customer)
        has = row.value in tags
        if has == (row.action == BulkAction.Action.TAG):
            return None
        new = [*tags, row.value] if not has else [t for t in tags if t != row.value]
        customer_update(user=row.user, customer=customer, data={"tags": new}, note=note)
        return "1" if has else "0"
    field = "grade" if row.action == BulkAction.Action.GRADE else "lifecycle_stage"
    old = str(getattr(customer, field))
    if old == row.value:
        return None
    changes = customer_update(user=row.user, customer=customer, data={field: row.value}, note=note)
    return old if changes else None


def bulk_action_run(*, action_id: int, progress: Progress | None = None) -> BulkAction:
    """Apply a recorded bulk action, customer by customer (each in its own transaction, so a
    large one commits as it goes). Idempotent: a finished action is left alone, and a rerun
    skips customers already as wanted."""
    row = BulkAction.objects.select_related("user").get(pk=action_id)
    if row.status not in {BulkAction.Status.QUEUED, BulkAction.Status.RUNNING}:
        return row
    BulkAction.objects.filter(pk=row.pk).update(status=BulkAction.Status.RUNNING)
    owner = User.objects.get(pk=int(row.value)) if row.action == BulkAction.Action.ASSIGN else None
    before: dict[str, str] = dict(row.before)
    done = 0
    try:
        customers = customers_changeable_by(row.user).filter(pk__in=row.customer_ids)
        for customer in customers.prefetch_related("tags").order_by("id").iterator(chunk_size=200):
            try:
                held = _apply_one(row, customer, owner)
            except (ValidationError, PermissionDenied):
                held = None  # a customer that cannot take the change is left as it was
            if held is not None:
                before[str(customer.pk)] = held
            done += 1
            if done % PROGRESS_EVERY == 0:
                BulkAction.objects.filter(pk=row.pk).update(
                    done=done, changed=len(before), before=before
                )
                if progress is not None:
                    progress(done)
    except Exception as exc:
        BulkAction.objects.filter(pk=row.pk).update(
            status=BulkAction.Status.FAILED, error=str(exc)[:2000], before=before
        )
        raise
    row.status, row.done, row.changed, row.before = (
        BulkAction.Status.DONE,
        done,
        len(before),
        before,
    )
    row.save(update_fields=["status", "done", "changed", "before", "updated_at"])
    audit_log(
        action=AuditEvent.Action.SETTINGS_CHANGED,
        actor=row.user,
        object_type="bulk.bulkaction",
        object_id=row.pk,
        detail={"action": row.action, "customers": row.total, "changed": row.changed},
    )
    return row


def bulk_action_undo_check(*, user: User, row: BulkAction) -> None:
    if row.user_id != user.pk:
        raise PermissionDenied(_("Only who made a bulk action may undo it."))
    if not row.undoable:
        raise ValidationError(_("This bulk action cannot be undone."))


def bulk_action_undo(*, action_id: int) -> BulkAction:
    """Put back what an assignment or a tagging changed. An assignment is undone only for the
    customers still with the owner they were given to (someone may have moved them since);
    the user no longer owns them, so the undo acts as the system, named in the timeline's note.
    """
    row = BulkAction.objects.select_related("user").get(pk=action_id)
    if row.status == BulkAction.Status.UNDONE:
        return row
    BulkAction.objects.filter(pk=row.pk).update(status=BulkAction.Status.UNDOING)
    note = _("Bulk action undone by %(name)s") % {"name": row.user}
    ids = [int(k) for k in row.before]
    if row.action == BulkAction.Action.ASSIGN:
        customers = Customer.objects.filter(pk__in=ids, owner_id=int(row.value))
    else:
        customers = customers_changeable_by(row.user).filter(pk__in=ids)
    owners: dict[str, User | None] = {}
    for customer in customers.prefetch_related("tags").order_by("id").iterator(chunk_size=200):
        held = row.before[str(customer.pk)]
        try:
            if row.action == BulkAction.Action.ASSIGN:
                if held not in owners:
                    owners[held] = User.objects.filter(pk=int(held)).first() if held else None
                customer_assign(user=None, customer=customer, owner=owners[held], note=note)
            else:
                tags = _tags(customer)
                wanted = held == "1"
                if (row.value in tags) != wanted:
                    new = [*tags, row.value] if wanted else [t for t in tags if t != row.value]
                    customer_update(user=row.user, customer=customer, data={"tags": new}, note=note)
        except (ValidationError, PermissionDenied):
            continue
    row.status = BulkAction.Status.UNDONE
    row.save(update_fields=["status", "updated_at"])
    return row


def bulk_action_describe(row: BulkAction) -> dict[str, Any]:
    """What the action does, in words, for its pages."""
    value: str = row.value
    if row.action == BulkAction.Action.ASSIGN:
        owner = User.objects.filter(pk=int(row.value)).first()
        value = str(owner) if owner else row.value
    elif row.action == BulkAction.Action.GRADE:
        value = str(dict(Customer.Grade.choices).get(row.value, row.value))
    elif row.action == BulkAction.Action.STAGE:
        value = str(dict(Customer.Stage.choices).get(row.value, row.value))
    return {"action": row.get_action_display(), "value": value}
