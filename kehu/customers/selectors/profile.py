"""The 360° profile: groups of fields with masking and reveal rights."""

import functools
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.core.access import (
    can_reveal,
)
from kehu.customers.fields import (
    GROUP_LABELS,
    FieldSpec,
    Group,
    Type,
    label_text,
)
from kehu.customers.models import (
    Channel,
    Customer,
    CustomerChange,
)
from kehu.customers.selectors.common import sql_names
from kehu.customers.selectors.fields import customer_field_specs, field_specs_for
from kehu.customers.values import is_empty, mask_text, read_value, to_text


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
        return label_text(dict(spec.choices).get(text, text))
    if spec.type == Type.CHANNEL:
        return channels.get(text, text)
    if spec.type == Type.PHONES:
        from kehu.core.phones import format_phone_local

        return ", ".join(format_phone_local(p.strip()) for p in text.split(","))
    if spec.type == Type.BOOLEAN:
        return str(_("Yes") if text == "true" else _("No"))
    return text


# What a source shows of its channel and person (``Channel.label``, ``str(User)``): a customer
# has about nine history rows, and the person's other columns cost more than the rows.
SOURCE_CHANNEL_COLUMNS = ("id", "code", "name", "name_en")
SOURCE_USER_COLUMNS = ("id", "username", "display_name", "first_name", "last_name")


@functools.cache
def _latest_sources_sql(alias: str) -> str:
    """The customer's history rows, newest first, with the columns of their channel and person
    that a source shows; an ORM query compiled per request cost more than the rows."""
    history, h_field, h_new, h_at, h_channel, h_by, h_customer, h_id = sql_names(
        alias,
        CustomerChange,
        *("field", "new_value", "changed_at", "channel", "changed_by", "customer", "id"),
    )
    channel, *channel_columns = sql_names(alias, Channel, *SOURCE_CHANNEL_COLUMNS)
    user, *user_columns = sql_names(alias, User, *SOURCE_USER_COLUMNS)
    # Every name comes from the models and is quoted; the customer's id is a parameter.
    return (
        f"SELECT h.{h_field}, h.{h_new}, h.{h_at},"  # noqa: S608
        f" {', '.join('c.' + name for name in channel_columns)},"
        f" {', '.join('u.' + name for name in user_columns)}"
        f" FROM {history} h"
        f" LEFT OUTER JOIN {channel} c ON c.{channel_columns[0]} = h.{h_channel}"
        f" LEFT OUTER JOIN {user} u ON u.{user_columns[0]} = h.{h_by}"
        f" WHERE h.{h_customer} = %s"
        f" ORDER BY h.{h_at} DESC, h.{h_id} DESC"
    )


def latest_sources(customer: Customer) -> dict[str, Source]:
    """For each field, the channel, time and person of its latest change."""
    alias = customer._state.db or DEFAULT_DB_ALIAS
    connection = connections[alias]
    changed_at: Any = CustomerChange._meta.get_field("changed_at")
    expression = changed_at.get_col(CustomerChange._meta.db_table)
    converters = connection.ops.get_db_converters(expression)
    converters += changed_at.get_db_converters(connection)
    with connection.cursor() as cursor:
        cursor.execute(_latest_sources_sql(alias), [customer.pk])
        rows = cursor.fetchall()
    sources: dict[str, Source] = {}
    channels: dict[int, Channel] = {}
    people: dict[int, str] = {}
    n_channel = len(SOURCE_CHANNEL_COLUMNS)
    for row in rows:
        field_code, new_value, when = row[:3]
        channel_row, user_row = row[3 : 3 + n_channel], row[3 + n_channel :]
        codes = (
            [field_code]
            if field_code != CustomerChange.CREATED
            else [code for code, _text, _hidden in json.loads(new_value)]
        )
        if all(code in sources for code in codes):
            continue
        for converter in converters:
            when = converter(when, expression, connection)
        channel = None
        if channel_row[0] is not None:
            channel = channels.get(channel_row[0]) or channels.setdefault(
                channel_row[0], Channel.from_db(alias, SOURCE_CHANNEL_COLUMNS, channel_row)
            )
        person = ""
        if user_row[0] is not None:
            if user_row[0] not in people:
                people[user_row[0]] = str(User.from_db(alias, SOURCE_USER_COLUMNS, user_row))
            person = people[user_row[0]]
        for code in codes:
            if code not in sources:
                sources[code] = Source(channel=channel, changed_at=when, changed_by=person)
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
    specs = customer_field_specs(customer)
    if as_of is not None:
        if timezone.localdate(customer.created_at) > as_of:
            raise Http404
        texts = values_as_of(customer, specs, as_of)
    else:
        texts = {code: to_text(spec, read_value(customer, spec)) for code, spec in specs.items()}
    if as_of is None:
        sources = latest_sources(customer)
        channels = _loaded_channel_labels(customer, specs)
    else:
        sources, channels = {}, channel_labels()  # old values may name any channel
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
        group = groups.get(spec.group)
        if group is None:
            group = groups[spec.group] = GroupView(spec.group, label_text(GROUP_LABELS[spec.group]))
        group.fields.append(view)
    return ProfileView(
        customer=customer,
        groups=list(groups.values()),
        completeness=completeness_of(specs, texts),
        as_of=as_of,
    )


def _loaded_channel_labels(customer: Customer, specs: dict[str, FieldSpec]) -> dict[str, str]:
    """The names of the channels the customer's current values hold, from the rows already
    loaded with it: no query for the channel table."""
    values = (read_value(customer, spec) for spec in specs.values() if spec.type == Type.CHANNEL)
    return {value.code: value.label for value in values if isinstance(value, Channel)}


def completeness_of(specs: dict[str, FieldSpec], texts: dict[str, str]) -> Completeness:
    """The share of the fields that matter for this kind of customer that are filled."""
    counted = [spec for spec in specs.values() if spec.completeness]
    missing = [label_text(spec.label) for spec in counted if is_empty(texts.get(spec.code))]
    score = round(100 * (len(counted) - len(missing)) / len(counted)) if counted else 100
    return Completeness(score=score, missing=missing)


def customer_completeness(customer: Customer) -> Completeness:
    specs = field_specs_for(customer.kind)
    texts = {code: to_text(spec, read_value(customer, spec)) for code, spec in specs.items()}
    return completeness_of(specs, texts)
