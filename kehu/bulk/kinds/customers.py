"""The customer list in bulk: tag, untag, assign, change grade or lifecycle stage, share,
through the customers' services (``customer_assign``, ``customer_update``,
``customer_share``), each change on the timeline; and put on a list segment or a campaign's
hand-picked audience, for every role that sees the customers (marketers for campaigns)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kehu.accounts.models import User
from kehu.bulk.kinds.base import (
    EXPORT,
    ActionSpec,
    BulkKind,
    active_user,
    owner_choices,
    user_or_none,
)
from kehu.bulk.models import BulkAction
from kehu.core.access import can_export, can_manage_campaigns, can_own_customers, is_read_only
from kehu.customers.forms import CustomerFilterForm
from kehu.customers.models import Customer, Segment
from kehu.customers.segments import segment_list_for, segment_members_add, segment_refresh
from kehu.customers.selectors import (
    bulk_owner_choices,
    customer_list,
    customers_changeable_by,
    customers_visible_to,
)
from kehu.customers.services import customer_assign, customer_share, customer_update
from kehu.marketing.models import Campaign
from kehu.marketing.services import EDITABLE, campaign_pick_list

A = BulkAction.Action
REFUSED = gettext_lazy("Your role may not change customers.")


def _may_change(user: User) -> bool:
    return not is_read_only(user)


def _anyone(user: User) -> bool:
    return True


def _tags(customer: Customer) -> list[str]:
    return [tag.name for tag in customer.tags.all()]


def _colleagues() -> list[tuple[str, str]]:
    return owner_choices(bulk_owner_choices())


def _campaign_choices() -> list[tuple[str, str]]:
    editable = Campaign.objects.filter(status__in=EDITABLE).order_by("-starts_on", "-id")
    return [(str(c.pk), f"{c.name} ({c.get_status_display()})") for c in editable[:200]]


# Putting customers on a list or a campaign changes nothing of theirs: these take every
# customer the user sees.
SEES = (A.SEGMENT, A.CAMPAIGN)


class CustomerKind(BulkKind):
    code = BulkAction.Kind.CUSTOMERS
    model = Customer
    refused = REFUSED

    def actions(self) -> list[ActionSpec]:
        tag_box: dict[str, Any] = {
            "field": "tag",
            "label_of_field": gettext_lazy("Tag"),
            "placeholder": gettext_lazy("Tag (to add or remove)"),
        }
        return [
            ActionSpec(A.TAG, gettext_lazy("Add tag"), _may_change, REFUSED, **tag_box),
            ActionSpec(A.UNTAG, gettext_lazy("Remove tag"), _may_change, REFUSED, **tag_box),
            ActionSpec(
                A.ASSIGN,
                gettext_lazy("Assign to"),
                _may_change,
                REFUSED,
                field="assign",
                label_of_field=gettext_lazy("Assign to"),
                choices=_colleagues,
                placeholder=gettext_lazy("Assign to…"),
            ),
            ActionSpec(
                A.GRADE,
                gettext_lazy("Change grade"),
                _may_change,
                REFUSED,
                field="grade",
                label_of_field=gettext_lazy("Grade"),
                choices=lambda: Customer.Grade.choices,
                placeholder=gettext_lazy("Grade…"),
            ),
            ActionSpec(
                A.STAGE,
                gettext_lazy("Change lifecycle stage"),
                _may_change,
                REFUSED,
                field="stage",
                label_of_field=gettext_lazy("Lifecycle stage"),
                choices=lambda: Customer.Stage.choices,
                placeholder=gettext_lazy("Stage…"),
            ),
            ActionSpec(
                A.SHARE,
                gettext_lazy("Share with"),
                _may_change,
                REFUSED,
                field="share",
                label_of_field=gettext_lazy("Share with"),
                choices=_colleagues,
                placeholder=gettext_lazy("Share with…"),
            ),
            ActionSpec(
                A.SEGMENT,
                gettext_lazy("Add to a list segment"),
                _anyone,
                REFUSED,
                field="segment",
                label_of_field=gettext_lazy("List segment"),
                placeholder=gettext_lazy("List name (new or one of yours)"),
                max_length=100,
            ),
            # The columns and the purpose are chosen on the export page (kehu.exports).
            ActionSpec(
                EXPORT,
                gettext_lazy("Export…"),
                can_export,
                gettext_lazy("Your role may not export."),
            ),
            ActionSpec(
                A.CAMPAIGN,
                gettext_lazy("Add to a campaign"),
                can_manage_campaigns,
                gettext_lazy("Only marketers and administrators may plan and send campaigns."),
                field="campaign",
                label_of_field=gettext_lazy("Campaign"),
                choices=_campaign_choices,
                placeholder=gettext_lazy("Campaign not launched yet…"),
            ),
        ]

    def count_text(self, n: int) -> str:
        return ngettext("%(n)s customer", "%(n)s customers", n) % {"n": n}

    def list_url(self, query: str = "") -> str:
        return reverse("customers:list") + (f"?{query}" if query else "")

    def listed(self, *, user: User, query: QueryDict) -> QuerySet[Any]:
        return customer_list(user=user, filters=CustomerFilterForm(query or None).filters())

    def visible(self, user: User) -> QuerySet[Any]:
        return customers_visible_to(user)

    def changeable(self, user: User) -> QuerySet[Any]:
        return customers_changeable_by(user).live()

    def scope(self, user: User, action: str) -> QuerySet[Any]:
        return self.visible(user) if action in SEES else self.changeable(user)

    def clean(self, action: str, value: str, note: str) -> str:
        value = value.strip()
        if action == A.ASSIGN:
            owner = active_user(value)
            if owner is None or not can_own_customers(owner):
                raise ValidationError(
                    {"value": [_("Choose an active colleague who may own customers.")]}
                )
        elif action == A.SHARE:
            if active_user(value) is None:
                raise ValidationError({"value": [_("Choose an active colleague.")]})
        elif action == A.SEGMENT:
            if not value or len(value) > 100:
                raise ValidationError({"value": [_("Name the list: 1 to 100 characters.")]})
        elif action == A.CAMPAIGN:
            if not Campaign.objects.filter(
                pk=int(value) if value.isdigit() else 0, status__in=EDITABLE
            ).exists():
                raise ValidationError({"value": [_("Choose a campaign not launched yet.")]})
        elif action in {A.TAG, A.UNTAG}:
            if not value:
                raise ValidationError({"value": [_("Enter a tag.")]})
            if len(value) > 40:
                raise ValidationError({"value": [_("A tag has at most 40 characters.")]})
        elif action == A.GRADE:
            if value not in Customer.Grade.values:
                raise ValidationError({"value": [_("Choose a grade.")]})
        elif action == A.STAGE:
            if value not in Customer.Stage.values:
                raise ValidationError({"value": [_("Choose a lifecycle stage.")]})
        else:
            raise ValidationError({"action": [_("Choose what to do.")]})
        return value

    def target(self, row: BulkAction) -> Any:
        if row.action in {A.ASSIGN, A.SHARE}:
            return User.objects.get(pk=int(row.value))
        if row.action == A.SEGMENT:
            return segment_list_for(user=row.user, name=row.value)
        if row.action == A.CAMPAIGN:
            campaign = Campaign.objects.get(pk=int(row.value))
            return campaign_pick_list(user=row.user, campaign=campaign)
        return row.value

    def for_run(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.prefetch_related("tags", "shared_with")

    def apply(self, row: BulkAction, record: Customer, target: Any) -> str | None:
        note = _("Bulk action")
        if row.action in SEES:
            return "0" if segment_members_add(segment=target, customer=record) else None
        if row.action == A.SHARE:
            shared = list(record.shared_with.all())
            if target in shared or record.owner_id == target.pk:
                return None
            customer_share(user=row.user, customer=record, users=[*shared, target], note=note)
            return "0"
        if row.action == A.ASSIGN:
            if record.owner_id == target.pk:
                return None
            before = str(record.owner_id or "")
            customer_assign(user=row.user, customer=record, owner=target, note=note)
            return before
        if row.action in {A.TAG, A.UNTAG}:
            tags = _tags(record)
            has = row.value in tags
            if has == (row.action == A.TAG):
                return None
            new = [*tags, row.value] if not has else [t for t in tags if t != row.value]
            customer_update(user=row.user, customer=record, data={"tags": new}, note=note)
            return "1" if has else "0"
        field = "grade" if row.action == A.GRADE else "lifecycle_stage"
        old = str(getattr(record, field))
        if old == row.value:
            return None
        changes = customer_update(
            user=row.user, customer=record, data={field: row.value}, note=note
        )
        return old if changes else None

    def undo_rows(self, row: BulkAction) -> QuerySet[Any]:
        if row.action == A.ASSIGN:
            # Only the customers still with the owner they were given to.
            return Customer.objects.filter(owner_id=int(row.value))
        return self.for_run(self.scope(row.user, row.action))

    def undo(self, row: BulkAction, record: Customer, held: str, note: str) -> None:
        if row.action == A.SEGMENT:
            segment = Segment.objects.filter(owner=row.user, name=row.value).first()
            if segment is not None and segment.is_list:
                segment.members.remove(record)
            return
        if row.action == A.SHARE:
            shared = [u for u in record.shared_with.all() if u.pk != int(row.value)]
            customer_share(user=row.user, customer=record, users=shared, note=note)
            return
        if row.action == A.ASSIGN:
            # The user no longer owns the customer: the undo acts as the system, named in
            # the note.
            customer_assign(user=None, customer=record, owner=user_or_none(held), note=note)
            return
        tags = _tags(record)
        wanted = held == "1"
        if (row.value in tags) != wanted:
            new = [*tags, row.value] if wanted else [t for t in tags if t != row.value]
            customer_update(user=row.user, customer=record, data={"tags": new}, note=note)

    def export_page(self, query: str, ids: list[int]) -> str | None:
        chosen = QueryDict(query, mutable=True)
        chosen.setlist("ids", [str(pk) for pk in ids])
        return reverse("exports:new") + "?" + chosen.urlencode()

    def finish(self, row: BulkAction, target: Any, changed: int) -> None:
        if row.action in SEES:
            segment_refresh(segment=target)

    def describe(self, action: str, value: str) -> str:
        if action in {A.ASSIGN, A.SHARE}:
            owner = user_or_none(value)
            return str(owner) if owner else value
        if action == A.CAMPAIGN:
            campaign = Campaign.objects.filter(pk=int(value) if value.isdigit() else 0).first()
            return str(campaign) if campaign else value
        if action == A.GRADE:
            return str(dict(Customer.Grade.choices).get(value, value))
        if action == A.STAGE:
            return str(dict(Customer.Stage.choices).get(value, value))
        return value
