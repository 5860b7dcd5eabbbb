"""Segments (客户分群): saved customer-list filters, private or shared with a team.

A segment stores its filters, not its customers: ``segment_customers`` finds them anew, so a
segment is always current, and always within the *viewer's* scope — a segment shared by a team
manager shows a rep only the rep's own customers among its matches. ``last_count`` is refreshed
on demand (``segment_refresh``) and every night (``kehu.customers.tasks``), counted in the
owner's scope. Campaigns, exports and analytics take a segment's customers from here.
"""

import dataclasses
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Membership, User
from kehu.core.exceptions import Conflict
from kehu.customers.models import Customer, Segment
from kehu.customers.selectors import ORDERINGS, CustomerFilters, customer_list

DATE_FIELDS = ("created_from", "created_to", "updated_from", "updated_to")
COUNT_CAP = 1_000_000_000
MAX_IDS = 1000  # ticked rows: a page's worth
INT_FIELDS = (
    "owner_id", "team_id", "bought_product", "never_bought_product", "in_list", "propensity_model"
)  # fmt: skip


def filters_to_json(filters: CustomerFilters) -> dict[str, Any]:
    """The filters as stored: only those set, dates as ISO text, custom as [[code, value]]."""
    data: dict[str, Any] = {}
    for item in dataclasses.fields(CustomerFilters):
        value = getattr(filters, item.name)
        if value in (None, "", ()) or (item.name == "order" and value == "-id"):
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif item.name == "custom":
            value = [list(pair) for pair in value]
        elif item.name == "ids":
            value = list(value)
        data[item.name] = value
    return data


def filters_from_json(data: dict[str, Any]) -> CustomerFilters:
    """Stored (or API) filters back as ``CustomerFilters``; raise ``ValidationError`` if bad."""
    known = {item.name for item in dataclasses.fields(CustomerFilters)}
    unknown = set(data) - known
    if unknown:
        raise ValidationError(
            {"filters": [_("Unknown filters: %(names)s.") % {"names": ", ".join(sorted(unknown))}]}
        )
    values: dict[str, Any] = {}
    try:
        for name, value in data.items():
            if value in (None, ""):
                continue
            if name in DATE_FIELDS:
                values[name] = date.fromisoformat(str(value))
            elif name in INT_FIELDS:
                values[name] = int(value)
            elif name == "custom":
                values[name] = tuple((str(code), str(v)) for code, v in value)
            elif name == "ids":
                values[name] = tuple(int(v) for v in value[:MAX_IDS])
            else:
                values[name] = str(value)
    except (TypeError, ValueError):
        raise ValidationError({"filters": [_("These filters cannot be read.")]}) from None
    if values.get("order", "-id") not in ORDERINGS:
        raise ValidationError({"filters": [_("Unknown sort order.")]})
    return CustomerFilters(**values)


def team_ids_of(user: User) -> list[int]:
    """The teams ``user`` belongs to (as member or manager), the one joined first first: the
    team a segment or list is shared with."""
    return list(
        Membership.objects.filter(user=user).order_by("pk").values_list("team_id", flat=True)
    )


def segments_visible_to(user: User) -> QuerySet[Segment]:
    """The user's own segments and those shared with a team the user belongs to."""
    return Segment.objects.filter(
        Q(owner=user) | Q(visibility=Segment.Visibility.TEAM, team_id__in=team_ids_of(user))
    ).select_related("owner", "team")


def segment_get_for_user(*, user: User, segment_id: int) -> Segment:
    segment = segments_visible_to(user).filter(pk=segment_id).first()
    if segment is None:
        raise Http404
    return segment


def segment_customers(*, user: User, segment: Segment) -> QuerySet[Customer]:
    """The segment's customers that ``user`` may see, in the segment's order."""
    return customer_list(user=user, filters=filters_from_json(segment.filters))


def segment_count(*, user: User, segment: Segment) -> int:
    """How many of the segment's customers ``user`` may see, now."""
    return segment_customers(user=user, segment=segment).order_by().count()


@transaction.atomic
def segment_save(
    *,
    user: User,
    name: str,
    filters: CustomerFilters,
    visibility: str = Segment.Visibility.PRIVATE,
    segment: Segment | None = None,
) -> Segment:
    """Create or change a segment; only its owner may change it. Shared segments go to the
    owner's (first) team."""
    if segment is not None and segment.owner_id != user.pk:
        raise PermissionDenied(_("Only the owner may change this segment."))
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = [_("A name is required.")]
    elif len(name) > 100:
        errors["name"] = [_("At most %(n)s characters.") % {"n": 100}]
    if visibility not in Segment.Visibility.values:
        errors["visibility"] = [_("Choose private or team.")]
    team_ids = team_ids_of(user)
    if visibility == Segment.Visibility.TEAM and not team_ids:
        errors["visibility"] = [_("You are in no team to share with.")]
    if errors:
        raise ValidationError(errors)
    segment = segment or Segment(owner=user)
    segment.name, segment.visibility = name, visibility
    segment.team_id = team_ids[0] if visibility == Segment.Visibility.TEAM else None
    segment.filters = filters_to_json(filters)
    segment.save()
    segment_refresh(segment=segment)
    return segment


@transaction.atomic
def segment_list_for(*, user: User, name: str) -> Segment:
    """``user``'s list segment (名单) called ``name``, made (private) if there is none yet.
    Customers are put on it by ``segment_members_add``."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError({"value": [_("Name the list: 1 to 100 characters.")]})
    segment = Segment.objects.filter(owner=user, name=name).order_by("id").first()
    if segment is None:
        segment = Segment.objects.create(owner=user, name=name)
        segment.filters = {"in_list": segment.pk}
        segment.save(update_fields=["filters", "updated_at"])
    elif not segment.is_list:
        raise ValidationError(
            {
                "value": [
                    _("Your segment “%(name)s” is a saved filter; name a list instead.")
                    % {"name": name}
                ]
            }
        )
    return segment


def segment_members_add(*, segment: Segment, customer: Customer) -> bool:
    """Put ``customer`` on the list segment; False if already there."""
    if segment.members.filter(pk=customer.pk).exists():
        return False
    segment.members.add(customer)
    return True


@transaction.atomic
def segment_delete(*, user: User, segment: Segment) -> None:
    if segment.owner_id != user.pk:
        raise PermissionDenied(_("Only the owner may delete this segment."))
    try:
        segment.delete()
    except ProtectedError as exc:
        users = ", ".join(sorted({str(row) for row in exc.protected_objects}))
        raise Conflict(
            _("This segment is still used by: %(users)s. Change those first.") % {"users": users}
        ) from None


def segment_refresh(*, segment: Segment) -> Segment:
    """Count the segment's customers in its owner's scope and keep the figure; idempotent."""
    segment.last_count = segment_count(user=segment.owner, segment=segment)
    segment.counted_at = timezone.now()
    segment.save(update_fields=["last_count", "counted_at", "updated_at"])
    return segment


def segments_refresh_all() -> int:
    """Re-count every segment (the nightly job); returns how many."""
    done = 0
    for segment in Segment.objects.select_related("owner").iterator():
        segment_refresh(segment=segment)
        done += 1
    return done
