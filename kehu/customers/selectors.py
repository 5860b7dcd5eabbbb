# Over 500 lines: waits for issue #16's Customer.objects.live() and access changes (branch
# refa), which rewrite much of it; then a selectors/ package (scope, profile, history).
"""Every read of customers goes through here, scoped by ``kehu.core.access``."""

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.analytics.filters import customer_filters_value_q
from kehu.core.access import (
    Scope,
    can_own_customers,
    can_record_facts,
    can_reveal,
    policy_for,
    record_scope_q,
    require,
)
from kehu.customers.fields import (
    BUILTIN_FIELDS,
    GROUP_LABELS,
    FieldSpec,
    Group,
    Store,
    Type,
)
from kehu.customers.models import (
    ChangeEntry,
    Channel,
    Contact,
    Customer,
    CustomerChange,
    CustomerQuerySet,
    CustomField,
)
from kehu.customers.values import is_empty, mask_text, read_value, to_text

# Fields recorded in history that are not profile fields.
HISTORY_ONLY_LABELS: dict[str, str | Promise] = {
    "owner": _("owner"),
    "status": _("status"),
    "shared_with": _("shared with"),
    "contacts": _("contacts"),
    "reviewed_at": _("reviewed at"),
    "merged_from": _("merged from"),
}


# --- scope ------------------------------------------------------------------------------------


def _scope_q(user: User, *, for_change: bool = False) -> Q:
    # "Shared with the user" as a subquery rather than a join: a join repeats rows, and the
    # DISTINCT that removes them made SQLite sort every visible customer for each list page
    # (0.7 s for a team manager at 100,000 customers).
    q = record_scope_q(user, for_change=for_change, shared_field=None)
    policy = policy_for(user)
    if (policy.change if for_change else policy.view) is Scope.OWN:
        shared = Customer.shared_with.through.objects.filter(user=user).values("customer_id")
        q |= Q(pk__in=shared)
    return q


def customers_visible_to(user: User) -> CustomerQuerySet:
    """The customers ``user`` may see. A rep's list never hints at another rep's customers."""
    return Customer.objects.filter(_scope_q(user))


def customers_visible_q(user: User, *, prefix: str) -> Q:
    """The scope of ``customers_visible_to`` as a filter on a related customer (``prefix``, e.g.
    ``"customer__"``), for records that belong to a customer (tasks, cases, ratings).

    Checked row by row through the join, where ``customer__in=customers_visible_to(user)`` makes
    the database first list every visible customer's id: a team manager's list is a scan of
    the whole archive (0.5 s per query at 100,000 customers), and for a role that sees every
    customer the filter is no filter at all (an empty Q here)."""
    policy = policy_for(user)
    if policy.view is Scope.ALL:
        return Q()
    if policy.view is Scope.NONE:
        return Q(pk__in=[])
    q = record_scope_q(
        user, owner_field=f"{prefix}owner", shared_field=None, team_field=f"{prefix}team"
    )
    shared = Customer.shared_with.through.objects.filter(user=user).values("customer_id")
    return q | Q(**{f"{prefix}pk__in": shared})


def customers_changeable_by(user: User) -> CustomerQuerySet:
    return Customer.objects.filter(_scope_q(user, for_change=True))


def customer_get_for_user(*, user: User, customer_id: int) -> Customer:
    """The customer with what its page needs, if ``user`` may see it; else 404 (never 403)."""
    customer = (
        customers_visible_to(user)
        .select_related("owner", "team", "source_channel", "person", "organization")
        .prefetch_related(
            "tags",
            "phones",
            "emails",
            "shared_with",
            Prefetch("contacts", queryset=Contact.objects.prefetch_related("phones", "emails")),
        )
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise Http404
    return customer


def customer_can_change(*, user: User, customer: Customer) -> bool:
    return customers_changeable_by(user).filter(pk=customer.pk).exists()


# The archive's own fields: only those who change the record set them.
ARCHIVE_GROUPS = frozenset({Group.ARCHIVE})


def fact_field_allowed(user: User, spec: FieldSpec) -> bool:
    """May ``user``, who records facts without changing the record, set this field? Not the
    archive's own fields, nor a sensitive field they may not reveal."""
    if spec.group in ARCHIVE_GROUPS:
        return False
    return spec.sensitive is None or can_reveal(user, spec.sensitive)


def customer_can_record_facts(*, user: User, customer: Customer) -> bool:
    """May ``user`` record facts on ``customer`` without the right to change it (a marketer or
    service agent with a customer they see; a merged or archived record takes none)?"""
    return (
        can_record_facts(user)
        and customer.status in (Customer.Status.ACTIVE, Customer.Status.PUBLIC_POOL)
        and customers_visible_to(user).filter(pk=customer.pk).exists()
    )


def require_customer_change(
    user: User | None, customer: Customer, message: str | Promise | None = None
) -> None:
    """Refuse (403) unless ``user`` may change ``customer``. ``None`` is the system (an import,
    a background job), which is not refused."""
    if user is not None:
        require(
            user,
            lambda u: customer_can_change(user=u, customer=customer),
            message or _("You may not change this customer."),
        )


# --- lists ------------------------------------------------------------------------------------


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


ORDERINGS = {
    "-id": ("-id",),
    "id": ("id",),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "-updated_at": ("-updated_at", "-id"),
    "grade": ("grade", "-id"),
}


def customer_list(*, user: User, filters: CustomerFilters) -> QuerySet[Customer]:
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
        "tags__name": filters.tag,
    }
    queryset = queryset.filter(**{k: v for k, v in exact.items() if v not in (None, "")})
    queryset = queryset.filter(_date_ranges(filters), *_custom_conditions(filters.custom))
    queryset = queryset.filter(customer_filters_value_q(filters))
    if filters.bought_product is not None:
        from kehu.basket.segments import bought_but_never_q

        never = [filters.never_bought_product] if filters.never_bought_product else []
        queryset = queryset.filter(bought_but_never_q("product", [filters.bought_product], never))
    if filters.q:
        from kehu.search.filters import search_filter_q

        queryset = queryset.filter(search_filter_q(filters.q))
    order = ORDERINGS.get(filters.order, ORDERINGS["-id"])
    return queryset.select_related("owner", "team", "source_channel").order_by(*order)


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


# --- fields -----------------------------------------------------------------------------------

CUSTOM_TYPES = {
    CustomField.Type.TEXT: Type.TEXT,
    CustomField.Type.NUMBER: Type.DECIMAL,
    CustomField.Type.DATE: Type.DATE,
    CustomField.Type.CHOICE: Type.CHOICE,
    CustomField.Type.MULTI_CHOICE: Type.MULTI_CHOICE,
    CustomField.Type.BOOLEAN: Type.BOOLEAN,
}


def custom_field_spec(custom: CustomField) -> FieldSpec:
    from kehu.core.access import SensitiveGroup

    return FieldSpec(
        code=f"custom.{custom.code}",
        label=custom.display_label,
        group=Group.CUSTOM,
        type=CUSTOM_TYPES[CustomField.Type(custom.field_type)],
        store=Store.CUSTOM,
        choices=tuple((c, c) for c in custom.choices),
        sensitive=SensitiveGroup.CUSTOM if custom.sensitive else None,
        completeness=custom.required,
        required=custom.required,
        searchable=custom.searchable,
        max_length=500,
        extra={"applies_to": custom.applies_to},
    )


def custom_fields_for(kind: str) -> QuerySet[CustomField]:
    return CustomField.objects.filter(is_active=True, applies_to__in=[kind, "both"])


def field_specs_for(kind: str) -> dict[str, FieldSpec]:
    """Every field a customer of ``kind`` has, built-in and custom, by code, in display order."""
    specs = {spec.code: spec for spec in BUILTIN_FIELDS if kind in spec.kinds}
    for custom in custom_fields_for(kind):
        spec = custom_field_spec(custom)
        specs[spec.code] = spec
    return specs


def field_label(code: str, specs: dict[str, FieldSpec]) -> str:
    if code in specs:
        return str(specs[code].label)
    return str(HISTORY_ONLY_LABELS.get(code, code))


# --- the profile as people see it -----------------------------------------------------------


@dataclass
class Source:
    channel: Channel | None
    changed_at: datetime
    changed_by: str


@dataclass
class FieldView:
    spec: FieldSpec
    text: str  # what this user sees: the value, or its masked form
    masked: bool = False
    can_reveal: bool = False
    source: Source | None = None

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def is_empty(self) -> bool:
        return not self.text


@dataclass
class GroupView:
    group: Group
    label: str
    fields: list[FieldView] = field(default_factory=list)


@dataclass
class Completeness:
    score: int  # percent
    missing: list[str]


@dataclass
class ProfileView:
    customer: Customer
    groups: list[GroupView]
    completeness: Completeness
    as_of: date | None = None

    def field(self, code: str) -> FieldView:
        for group in self.groups:
            for view in group.fields:
                if view.code == code:
                    return view
        raise KeyError(code)


def channel_labels() -> dict[str, str]:
    """Every channel's name in the current language, by code (one query)."""
    return {channel.code: channel.label for channel in Channel.objects.all()}


def display_text(spec: FieldSpec, text: str, channels: dict[str, str] | None = None) -> str:
    """A stored text value as people read it (choice labels, channel names, local phones);
    ``channels`` from ``channel_labels()`` saves a query per call when showing many."""
    if channels is None and spec.type == Type.CHANNEL:
        channels = channel_labels()
    return _display_text(spec, text, channels or {})


def _display_text(spec: FieldSpec, text: str, channels: dict[str, str]) -> str:
    """A stored text value in words people read: choice labels, channel names, local phones."""
    if not text:
        return ""
    if spec.type == Type.CHOICE and spec.choices:
        return str(dict(spec.choices).get(text, text))
    if spec.type == Type.CHANNEL:
        return channels.get(text, text)
    if spec.type == Type.PHONES:
        from kehu.core.phones import format_phone_local

        return ", ".join(format_phone_local(p.strip()) for p in text.split(","))
    if spec.type == Type.BOOLEAN:
        return str(_("Yes") if text == "true" else _("No"))
    return text


def latest_sources(customer: Customer) -> dict[str, Source]:
    """For each field, the channel, time and person of its latest change."""
    sources: dict[str, Source] = {}
    rows = (
        CustomerChange.objects.filter(customer=customer)
        .select_related("channel", "changed_by")
        .order_by("-changed_at", "-id")
    )
    for change in rows:
        for entry in change.entries():
            if entry.field not in sources:
                sources[entry.field] = Source(
                    channel=change.channel,
                    changed_at=change.changed_at,
                    changed_by=str(change.changed_by) if change.changed_by else "",
                )
    return sources


def values_as_of(customer: Customer, specs: dict[str, FieldSpec], when: date) -> dict[str, str]:
    """Each field's text value at the end of ``when``: today's value with later changes undone."""
    end = timezone.make_aware(datetime.combine(when, time.max))
    values = {code: to_text(spec, read_value(customer, spec)) for code, spec in specs.items()}
    later = CustomerChange.objects.filter(customer=customer, changed_at__gt=end).order_by(
        "changed_at", "id"
    )
    undone: set[str] = set()
    for change in later:
        for entry in change.entries():
            if entry.field in specs and entry.field not in undone:
                values[entry.field] = entry.text("old")
                undone.add(entry.field)
    return values


def customer_profile(*, user: User, customer: Customer, as_of: date | None = None) -> ProfileView:
    """The customer's fields grouped for display, masked per the user's rights.

    With ``as_of``, the archive as it stood at the end of that day (404 if it did not exist).
    """
    specs = field_specs_for(customer.kind)
    if as_of is not None:
        if timezone.localdate(customer.created_at) > as_of:
            raise Http404
        texts = values_as_of(customer, specs, as_of)
    else:
        texts = {code: to_text(spec, read_value(customer, spec)) for code, spec in specs.items()}
    sources = latest_sources(customer) if as_of is None else {}
    channels = channel_labels()
    groups: dict[Group, GroupView] = {}
    for code, spec in specs.items():
        text = texts[code]
        view = FieldView(
            spec=spec, text=_display_text(spec, text, channels), source=sources.get(code)
        )
        if spec.sensitive is not None and text:
            view.text = mask_text(spec, text)
            view.masked = True
            view.can_reveal = can_reveal(user, spec.sensitive)
        group = groups.setdefault(spec.group, GroupView(spec.group, str(GROUP_LABELS[spec.group])))
        group.fields.append(view)
    return ProfileView(
        customer=customer,
        groups=list(groups.values()),
        completeness=completeness_of(specs, texts),
        as_of=as_of,
    )


def completeness_of(specs: dict[str, FieldSpec], texts: dict[str, str]) -> Completeness:
    """The share of the fields that matter for this kind of customer that are filled."""
    counted = [spec for spec in specs.values() if spec.completeness]
    missing = [str(spec.label) for spec in counted if is_empty(texts.get(spec.code))]
    score = round(100 * (len(counted) - len(missing)) / len(counted)) if counted else 100
    return Completeness(score=score, missing=missing)


def customer_completeness(customer: Customer) -> Completeness:
    specs = field_specs_for(customer.kind)
    texts = {code: to_text(spec, read_value(customer, spec)) for code, spec in specs.items()}
    return completeness_of(specs, texts)


# --- history ----------------------------------------------------------------------------------


@dataclass
class ChangeView:
    change: CustomerChange
    field: str  # of the entry (a creation row shows one view per initial value)
    label: str
    old: str
    new: str
    masked: bool
    can_reveal: bool


def customer_history(
    *,
    user: User,
    customer: Customer,
    field: str = "",
    channel: str = "",
    until: date | None = None,
) -> list[ChangeView]:
    """The customer's changes, newest first; sensitive values masked as on the live field."""
    specs = field_specs_for(customer.kind)
    rows = CustomerChange.objects.filter(customer=customer).select_related("channel", "changed_by")
    if field:
        rows = rows.filter(field__in=[field, CustomerChange.CREATED])
    if channel:
        rows = rows.filter(channel__code=channel)
    if until is not None:
        rows = rows.filter(changed_at__lte=timezone.make_aware(datetime.combine(until, time.max)))
    channels = channel_labels()
    views = []
    for change in rows.order_by("-changed_at", "-id"):
        for entry in change.entries():
            if not field or entry.field == field:
                views.append(_change_view(user, change, entry, specs, channels))
    return views


def _change_view(
    user: User,
    change: CustomerChange,
    entry: ChangeEntry,
    specs: dict[str, FieldSpec],
    channels: dict[str, str],
) -> ChangeView:
    spec = specs.get(entry.field)
    old, new = entry.text("old"), entry.text("new")
    if entry.sensitive and spec is not None:
        old, new = mask_text(spec, old), mask_text(spec, new)
    elif entry.sensitive:
        # A sensitive field no longer in the registry (a deactivated custom field): still
        # never shown in clear.
        old, new = ("****" if old else ""), ("****" if new else "")
    elif spec is not None:
        old, new = _display_text(spec, old, channels), _display_text(spec, new, channels)
    return ChangeView(
        change=change,
        field=entry.field,
        label=field_label(entry.field, specs),
        old=old,
        new=new,
        masked=entry.sensitive,
        can_reveal=bool(spec and spec.sensitive and can_reveal(user, spec.sensitive)),
    )


# --- small lookups ----------------------------------------------------------------------------


def channels_active() -> QuerySet[Channel]:
    return Channel.objects.filter(is_active=True)


def channels_all() -> QuerySet[Channel]:
    return Channel.objects.all()


def channel_given(code: str | None) -> Channel | None:
    """The active channel an input names by its code (None when none is given); an unknown
    code is a ``ValidationError`` on the field ``channel``."""
    if not code:
        return None
    channel = channels_active().filter(code=code).first()
    if channel is None:
        raise ValidationError({"channel": [_("Unknown channel “%(code)s”.") % {"code": code}]})
    return channel


def contact_given(customer: Customer, contact_id: int | None) -> Contact | None:
    """The customer's contact an input names (None when none is given); another customer's or
    an unknown contact is a ``ValidationError`` on the field ``contact_id``."""
    if contact_id is None:
        return None
    contact = Contact.objects.filter(customer=customer, pk=contact_id).first()
    if contact is None:
        raise ValidationError({"contact_id": [_("No such contact of this customer.")]})
    return contact


def channel_get(*, channel_id: int) -> Channel:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise Http404
    return channel


def custom_fields_all() -> QuerySet[CustomField]:
    return CustomField.objects.all()


def custom_field_get(*, custom_field_id: int) -> CustomField:
    custom_field = CustomField.objects.filter(pk=custom_field_id).first()
    if custom_field is None:
        raise Http404
    return custom_field


def contact_get(*, customer: Customer, contact_id: int) -> Contact:
    """A contact of ``customer`` (fetched through a scoped selector); else 404."""
    contact = (
        Contact.objects.filter(customer=customer, pk=contact_id)
        .select_related("customer")
        .prefetch_related("phones", "emails")
        .first()
    )
    if contact is None:
        raise Http404
    return contact


# --- the home page ----------------------------------------------------------------------------


# --- the public pool --------------------------------------------------------------------------


def customers_in_pool_visible_to(user: User) -> QuerySet[Customer]:
    """Customers in the public pool (公海): unowned, for any role that sees customers.

    Outside ``customers_visible_to`` on purpose: a rep browses the pool (masked) without the
    rest of the archive opening up; an owned customer never appears here.
    """
    from kehu.core.access import can_view_pool

    if not can_view_pool(user):
        return Customer.objects.none()
    return Customer.objects.filter(status=Customer.Status.PUBLIC_POOL, owner__isnull=True)


def bulk_owner_choices() -> list[User]:
    """Whom customers may be given to in a bulk assignment: active people who may own them."""
    people = User.objects.filter(is_active=True, is_integration=False).order_by("username")
    return [person for person in people if can_own_customers(person)]
