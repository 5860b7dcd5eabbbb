"""The field registry as a user sees it: specs, custom fields, labels and display texts."""

import functools
from typing import Any

from django.db.models import QuerySet

from kehu.customers.fields import (
    BUILTIN_FIELDS,
    FieldSpec,
    Group,
    Store,
    Type,
)
from kehu.customers.models import (
    Customer,
    CustomField,
)
from kehu.customers.selectors.common import HISTORY_ONLY_LABELS

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


@functools.cache
def builtin_specs_for(kind: str) -> tuple[FieldSpec, ...]:
    """The built-in fields of ``kind``, in display order (the same for the life of the process)."""
    return tuple(spec for spec in BUILTIN_FIELDS if kind in spec.kinds)


@functools.cache
def _custom_fields_sql(alias: str, kind: str) -> tuple[str, tuple[Any, ...]]:
    """``custom_fields_for(kind)`` compiled once per process: its SQL and parameters never
    change, and compiling them cost more than reading the rows."""
    sql, params = custom_fields_for(kind).query.get_compiler(using=alias).as_sql()
    return str(sql), tuple(params)


def field_specs_for(kind: str) -> dict[str, FieldSpec]:
    """Every field a customer of ``kind`` has, built-in and custom, by code, in display order.

    The custom fields are read on each call (an admin may add one at any time)."""
    specs = {spec.code: spec for spec in builtin_specs_for(kind)}
    manager = CustomField.objects
    for custom in manager.raw(*_custom_fields_sql(manager.db, kind)):
        spec = custom_field_spec(custom)
        specs[spec.code] = spec
    return specs


def customer_field_specs(customer: Customer) -> dict[str, FieldSpec]:
    """``field_specs_for(customer.kind)``, read once and kept on the customer object: the
    360° page's profile, edit buttons and history each need them (a customer is loaded per
    request, so an admin's new custom field shows on the next page)."""
    cached: tuple[str, dict[str, FieldSpec]] | None = getattr(customer, "_kehu_field_specs", None)
    if cached is None or cached[0] != customer.kind:
        cached = (customer.kind, field_specs_for(customer.kind))
        customer._kehu_field_specs = cached  # type: ignore[attr-defined]
    return cached[1]


def field_label(code: str, specs: dict[str, FieldSpec]) -> str:
    if code in specs:
        return str(specs[code].label)
    return str(HISTORY_ONLY_LABELS.get(code, code))
