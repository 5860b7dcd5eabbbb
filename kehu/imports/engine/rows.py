"""What an import row is and becomes: the import's context, a cleaned row, and the table
rows of a new customer (built in the reading process, see ``RowCleaner.prepare``)."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection

from kehu.accounts.models import User
from kehu.core.encryption import encrypt
from kehu.core.regions import Region
from kehu.customers.bulk import (
    ORGANIZATION_FIELDS,
    PERSON_FIELDS,
)
from kehu.customers.fields import BUILTIN_BY_CODE, FieldSpec, Store, Type
from kehu.customers.models import (
    Channel,
    Customer,
    CustomerChange,
)
from kehu.customers.values import (
    to_text,
)
from kehu.imports.models import ImportBatch


@dataclass
class Context:
    """What an import writes with every new row: the batch, who, which channel, owner, when."""

    batch: ImportBatch
    user: User | None
    channel: Channel | None
    owner: User | None
    team_id: int | None
    now: datetime
    note: str
    specs: dict[str, FieldSpec]
    # New customers' search terms kept aside and moved into the index after the last chunk
    # (``kehu.search.services.search_pending_flush``): a large import.
    defer_terms: bool = False


@dataclass
class Row:
    number: int
    values: dict[str, Any] = field(default_factory=dict)  # field code -> cleaned value
    given: set[str] = field(default_factory=set)  # codes the file itself filled
    contact: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    keys: list[tuple[str, str]] = field(default_factory=list)
    duplicate_of: int | None = None  # an earlier row of the file
    customer_id: int | None = None  # the existing customer it matches
    match_reason: str = ""
    # Its table rows if it becomes a new customer (built in the reading process, see
    # ``RowCleaner.prepare``): everything but the customer's id, which the writer adds.
    new: "NewCustomer | None" = None

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass
class NewCustomer:
    """What of a row's table rows as a new customer differs from row to row (the writer adds
    the customer's id and what every row of the batch shares)."""

    customer: tuple[Any, ...]  # name … custom_sensitive, as in ``_NewRows.add``
    profile: tuple[Any, ...]  # the person or organization profile
    phones: list[str]
    emails: list[str]
    tags: list[str]
    creation: str  # the creation history row's value (``CustomerChange.creation_value``)
    sensitive: bool  # whether it holds a sensitive value
    terms: list[tuple[str, int]]  # search index: term, source


class NewCustomers:
    """Builds ``NewCustomer`` of rows for one import (in the reading process)."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.kind = context.batch.kind
        self.specs = context.specs
        self.ops = connection.ops
        self.json_field = Customer._meta.get_field("custom_values")
        self.channel_text = to_text(BUILTIN_BY_CODE["source_channel"], context.channel)
        # Person profile columns: name, spec if stored encrypted, value when missing.
        self.person_columns: list[tuple[str, FieldSpec | None, Any]] = []
        for name in PERSON_FIELDS:
            spec = self.specs.get(f"person.{name}")
            default = None if name in {"birth_date", "height_cm", "weight_kg"} else ""
            sensitive = spec is not None and spec.sensitive
            self.person_columns.append((name, spec if sensitive else None, default))

    def build(self, row: Row, region: Region, terms: list[Any]) -> NewCustomer:
        values = row.values
        tokens: dict[str, str] = {}

        def secret(text: str) -> str:
            if text and text not in tokens:
                tokens[text] = encrypt(text)
            return tokens.get(text, "")

        ops, specs = self.ops, self.specs
        custom: dict[str, Any] = {}
        custom_secret: dict[str, Any] = {}
        profile: dict[str, Any] = {}
        changes: list[tuple[str, str, bool]] = []  # field, text, sensitive
        for code, value in values.items():
            spec = specs[code]
            text = to_text(spec, value)
            if text:
                sensitive = spec.sensitive is not None
                changes.append((code, secret(text) if sensitive else text, sensitive))
            if spec.store == Store.CUSTOM:
                storable = text if spec.type in {Type.DATE, Type.DECIMAL} else value
                (custom_secret if spec.sensitive else custom)[spec.attr] = storable
            elif spec.store in {Store.PERSON, Store.ORGANIZATION}:
                profile[spec.attr] = value
        if self.channel_text and "source_channel" not in values:
            changes.append(("source_channel", self.channel_text, False))
        customer = (
            values["name"], values["lifecycle_stage"], values["grade"], values.get("address", ""),
            region.province, region.city, region.district, region.adcode, values.get("notes", ""),
            self.json_field.get_db_prep_save(custom, connection),
            encrypt(json.dumps(custom_secret, ensure_ascii=False)) if custom_secret else "",
        )  # fmt: skip
        if self.kind == Customer.Kind.PERSON:
            # The ID number's lookup hash is the row's first key (``RowCleaner._keys``).
            profile["id_number_hash"] = next((v for k, v in row.keys if k == "id"), "")
            if profile.get("birth_date"):
                profile["birth_date"] = ops.adapt_datefield_value(profile["birth_date"])
            columns = tuple(
                secret(to_text(spec, profile.get(name))) if spec is not None
                else profile.get(name, default)
                for name, spec, default in self.person_columns
            )  # fmt: skip
        else:
            if profile.get("founded_on"):
                profile["founded_on"] = ops.adapt_datefield_value(profile["founded_on"])
            for name in ("registered_capital", "credit_limit"):
                if profile.get(name) is not None:
                    profile[name] = ops.adapt_decimalfield_value(profile[name], 14, 2)
            nullable = {"founded_on", "registered_capital", "credit_limit"}
            columns = tuple(
                profile.get(n, None if n in nullable else "") for n in ORGANIZATION_FIELDS
            )
        return NewCustomer(
            customer=customer,
            profile=columns,
            phones=list(values.get("phones", [])),
            emails=list(values.get("emails", [])),
            tags=list(values.get("tags", [])),
            creation=CustomerChange.creation_value(changes),
            sensitive=any(hidden for _code, _text, hidden in changes),
            terms=[(term, source) for term, _id, source, _o, _t in terms],
        )
