"""The customer list: filters, orderings, dates."""

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from kehu.accounts.models import User
from kehu.analytics.filters import customer_filters_value_q
from kehu.customers.models import (
    Customer,
    CustomField,
    Segment,
)
from kehu.customers.selectors.scope import customers_visible_to


@dataclass(frozen=True)
class CustomerFilters:
    kind: str = ""
    stage: str = ""
    grade: str = ""
    status: str = ""  # "" means active and public pool; "archived" etc. on request
    owner_id: int | None = None
    team_id: int | None = None
    tag: str = ""
    province: str = ""
    city: str = ""
    channel: str = ""
    q: str = ""
    order: str = "-id"
    created_from: date | None = None  # date ranges are inclusive, in the configured zone
    created_to: date | None = None
    updated_from: date | None = None
    updated_to: date | None = None
    # Custom field conditions: (code, value); a multiple choice field matches if it holds it.
    custom: tuple[tuple[str, str], ...] = ()
    # Customer value (kehu.analytics), as given; checked by kehu.analytics.selectors.
    value_tier: str = ""
    value_segment: str = ""
    p_alive_min: str = ""
    p_alive_max: str = ""
    clv_min: str = ""
    clv_max: str = ""
    last_purchase_from: str = ""
    last_purchase_to: str = ""
    # Cross-sell (kehu.basket): bought this product but never that one.
    bought_product: int | None = None
    never_bought_product: int | None = None
    # The customers on a list segment (``Segment.members``), by the segment's id.
    in_list: int | None = None
    # Rows ticked on the list (at most a page's worth), e.g. to export just those.
    ids: tuple[int, ...] = ()
    # Propensity (kehu.insight): scored by this model at least this percentile (0–100) and/or
    # probability (0–1), as given; checked by kehu.insight.filters.
    propensity_model: int | None = None
    propensity_percentile_min: str = ""
    propensity_probability_min: str = ""


ORDERINGS = {
    "-id": ("-id",),
    "id": ("id",),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "-updated_at": ("-updated_at", "-id"),
    "grade": ("grade", "-id"),
}


def customer_list(
    *, user: User, filters: CustomerFilters, counting: bool = False
) -> QuerySet[Customer]:
    """The customers ``user`` may see that match ``filters``, in the page's order.

    ``counting``: the same customers for a (capped) count, which needs no order (see below)."""
    queryset = customers_visible_to(user)
    queryset = queryset.filter(status=filters.status) if filters.status else queryset.live()
    exact = {
        "kind": filters.kind,
        "lifecycle_stage": filters.stage,
        "grade": filters.grade,
        "owner_id": filters.owner_id,
        "team_id": filters.team_id,
        "province": filters.province,
        "city": filters.city,
        "source_channel__code": filters.channel,
    }
    queryset = queryset.filter(**{k: v for k, v in exact.items() if v not in (None, "")})
    queryset = queryset.filter(_date_ranges(filters), *_custom_conditions(filters.custom))
    # Tags (and customer value, in customer_filters_value_q) as subqueries, not joins, for a
    # page: the database reads the matching ids once and walks them in the page's order;
    # joined, SQLite sorted every match for each page (0.2-0.35 s for ?tag=VIP at 100,000
    # customers). A count has no order, so there the value conditions, and a tag that is the
    # only filter, are joins: the database walks the tag's (or value's) index and stops at the
    # cap, where the subquery first copied every match into a temporary index (25-44 ms at
    # 1,000,000 customers). A tag beside another filter stays a subquery: joined, SQLite walked
    # that filter's index probing the tag on disk, 16-37 ms slower (bench/RESULTS.md).
    if (
        filters.tag
        and counting
        and replace(filters, order="-id") == CustomerFilters(tag=filters.tag)
    ):
        queryset = queryset.filter(tags__name=filters.tag)
    elif filters.tag:
        tagged = Customer.tags.through.objects.filter(tag__name=filters.tag)
        queryset = queryset.filter(pk__in=tagged.values("customer_id"))
    queryset = queryset.filter(customer_filters_value_q(filters, joined=counting))
    if filters.ids:
        queryset = queryset.filter(pk__in=filters.ids)
    if filters.in_list is not None:
        listed = Segment.members.through.objects.filter(segment_id=filters.in_list)
        queryset = queryset.filter(pk__in=listed.values("customer_id"))
    if filters.bought_product is not None:
        from kehu.basket.segments import bought_but_never_q

        never = [filters.never_bought_product] if filters.never_bought_product else []
        queryset = queryset.filter(bought_but_never_q("product", [filters.bought_product], never))
    propensity = (
        filters.propensity_model,
        filters.propensity_percentile_min,
        filters.propensity_probability_min,
    )
    if any(value not in (None, "") for value in propensity):
        from kehu.insight.filters import propensity_q

        queryset = queryset.filter(propensity_q(filters))
    if filters.q:
        from kehu.search.filters import search_filter_q

        queryset = queryset.filter(search_filter_q(filters.q))
    return queryset.select_related("owner", "team", "source_channel").order_by(*_order(filters))


def _order(filters: CustomerFilters) -> tuple[str, ...]:
    """The page order. "Newest first" within a date range is newest by that date: its index
    then gives the range in page order, where by id the database sorted the whole range (or
    walked the archive from the newest id to reach a range in the past)."""
    if filters.order in ("", "-id"):
        if filters.created_from or filters.created_to:
            return ("-created_at", "-id")
        if filters.updated_from or filters.updated_to:
            return ("-updated_at", "-id")
    return ORDERINGS.get(filters.order, ORDERINGS["-id"])


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _date_ranges(filters: CustomerFilters) -> Q:
    q = Q()
    for name in ("created", "updated"):
        start, end = getattr(filters, f"{name}_from"), getattr(filters, f"{name}_to")
        if start:
            q &= Q(**{f"{name}_at__gte": _day_start(start)})
        if end:
            q &= Q(**{f"{name}_at__lt": _day_start(end + timedelta(days=1))})
    return q


def _custom_conditions(conditions: tuple[tuple[str, str], ...]) -> list[Q]:
    """Conditions on non-sensitive custom fields; unknown or sensitive ones match nothing (a
    filter must never reveal an encrypted value)."""
    if not conditions:
        return []
    fields = {
        c.code: c for c in CustomField.objects.filter(code__in=[code for code, _v in conditions])
    }
    result = []
    for code, value in conditions:
        custom = fields.get(code)
        if custom is None or custom.sensitive:
            result.append(Q(pk__in=[]))
        elif custom.field_type == CustomField.Type.MULTI_CHOICE:
            # The stored JSON array's text holds the quoted choice (escaped or not).
            quoted = {f'"{value}"', json.dumps(value)}
            either = Q()
            for text in quoted:
                either |= Q(**{f"custom_values__{code}__icontains": text})
            result.append(either)
        elif custom.field_type == CustomField.Type.BOOLEAN:
            result.append(Q(**{f"custom_values__{code}": value in ("true", "1", True)}))
        else:
            result.append(Q(**{f"custom_values__{code}": value}))
    return result
