"""Finding each row's customer (by one key, never guessed) and product in the archive, in
batches of raw SQL for speed."""

from collections import defaultdict
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from kehu.customers.models import Customer, OrganizationProfile, PersonProfile, Phone
from kehu.imports.models import ImportBatch
from kehu.imports.orders.cleaning import Line
from kehu.imports.orders.fields import FIELDS, LIVE
from kehu.sales.models import Order, Product


def select_rows(
    sql: str, values: list[Any], extra: list[Any] | None = None
) -> list[tuple[Any, ...]]:
    """Run ``sql`` (with ``{marks}`` for the values) 900 values a query."""
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), 900):
            part = values[start : start + 900]
            cursor.execute(sql.format(marks=", ".join(["%s"] * len(part))), [*part, *(extra or [])])
            found.extend(cursor.fetchall())
    return found


def table_name(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


class Matcher:
    """Finds rows' customers and products, remembering what it found for the whole file."""

    AMBIGUOUS = -1

    def __init__(self, batch: ImportBatch | None, external: str) -> None:
        self.batch = batch
        self.external = external
        self.customers: dict[tuple[str, str], int] = {}  # key -> customer id (or AMBIGUOUS)
        self.names: dict[int, str] = {}
        self.owners: dict[int, int | None] = {}
        self.by_phone: dict[str, list[int]] = {}
        self.products: dict[str, int] = {}  # "c:" code / "n:" name -> product id or AMBIGUOUS
        self.external_values: dict[str, int] | None = None
        self.to_create: dict[str, int] = {}  # products the import will create, by key -> row

    def _live(self, ids: set[int]) -> None:
        missing = [i for i in ids if i not in self.names]
        rows = select_rows(
            f"SELECT id, name, owner_id FROM {table_name(Customer)} "  # noqa: S608
            f"WHERE id IN ({{marks}}) AND status IN (%s, %s)",
            missing,
            list(LIVE),
        )
        for pk, name, owner in rows:
            self.names[pk], self.owners[pk] = name, owner

    def _external(self) -> dict[str, int]:
        if self.external_values is None:
            values: dict[str, int] = {}
            queryset = Customer.objects.filter(status__in=LIVE).values_list("id", "custom_values")
            for pk, custom in queryset.iterator(chunk_size=20_000):
                value = (custom or {}).get(self.external)
                if value not in (None, ""):
                    text = str(value).strip()
                    values[text] = self.AMBIGUOUS if text in values else pk
            self.external_values = values
        return self.external_values

    def customers_for(self, rows: list["Line"]) -> None:
        wanted: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            if row.valid and row.key and row.key not in self.customers:
                wanted[row.key[0]].add(row.key[1])
        found: dict[tuple[str, str], set[int]] = defaultdict(set)
        if wanted["customer_number"]:
            ids = {int(v) for v in wanted["customer_number"]}
            self._live(ids)
            for pk in ids:
                if pk in self.names:
                    found[("customer_number", str(pk))].add(pk)
        lookups = (
            ("id_number", PersonProfile, "id_number_hash"),
            ("credit_code", OrganizationProfile, "credit_code"),
        )
        for kind, model, column in lookups:
            if wanted[kind]:
                pairs = select_rows(
                    f"SELECT {column}, customer_id FROM {table_name(model)} "  # noqa: S608
                    f"WHERE {column} IN ({{marks}})",
                    sorted(wanted[kind]),
                )
                self._live({c for _v, c in pairs})
                for value, pk in pairs:
                    if pk in self.names:
                        found[(kind, value)].add(pk)
        if wanted["external"]:
            values = self._external()
            for value in wanted["external"]:
                external = values.get(value)
                if external is not None:
                    found[("external", value)].add(external)
        if wanted["phone"]:
            # The customers' own numbers (no contact) kept in Python: with ``contact_id IS
            # NULL`` in the query SQLite walked the contact index, every phone of the archive
            # for each 900 numbers (288 ms a query at 1,000,000 customers; see _select_in).
            pairs = [
                (number, customer)
                for number, customer, contact in select_rows(
                    f"SELECT number, customer_id, contact_id FROM {table_name(Phone)} "  # noqa: S608
                    f"WHERE number IN ({{marks}})",
                    sorted(wanted["phone"]),
                )
                if contact is None
            ]
            self._live({c for _v, c in pairs})
            for value, pk in pairs:
                if pk in self.names:
                    found[("phone", value)].add(pk)
        for kind, wanted_values in wanted.items():
            for value in wanted_values:
                ids = found.get((kind, value), set())
                self.customers[(kind, value)] = (
                    next(iter(ids)) if len(ids) == 1 else self.AMBIGUOUS if ids else 0
                )
                if kind == "phone":
                    self.by_phone[value] = sorted(ids)
        for row in rows:
            if row.valid and row.key:
                self._resolve(row)

    def _resolve(self, row: "Line") -> None:
        assert row.key is not None  # noqa: S101
        kind, value = row.key
        shown = "" if kind == "id_number" else value
        pk = self.customers[row.key]
        if kind == "phone" and row.name:
            named = [c for c in self.by_phone.get(value, []) if self.names.get(c) == row.name]
            pk = named[0] if len(named) == 1 else self.AMBIGUOUS if named else 0
            if pk == 0 and self.by_phone.get(value):
                row.problem(
                    "customer_name",
                    _("No customer with this phone is named “%(name)s”.") % {"name": row.name},
                    row.name,
                )
                return
        if pk in (0, self.AMBIGUOUS):
            label = FIELDS[kind] if kind in FIELDS else _("External reference")
        if pk == 0:
            row.problem(kind, _("No customer in the archive has this %(key)s.") % {"key": label},
                        shown)  # fmt: skip
        elif pk == self.AMBIGUOUS:
            row.problem(kind, _("Several customers have this %(key)s: give a customer number.")
                        % {"key": label}, shown)  # fmt: skip
        elif row.name and kind != "phone" and self.names.get(pk) != row.name:
            row.problem(
                "customer_name",
                _("Customer %(number)s is named “%(archive)s”, not “%(name)s”.")
                % {"number": pk, "archive": self.names.get(pk), "name": row.name},
                row.name,
            )
        else:
            row.customer_id = pk

    def products_for(self, rows: list["Line"], *, create: bool) -> None:
        codes = {r.product_code for r in rows if r.valid and r.product_code}
        names = {r.product_name for r in rows if r.valid and not r.product_code}
        codes -= {k[2:] for k in self.products if k.startswith("c:")}
        names -= {k[2:] for k in self.products if k.startswith("n:")}
        if codes:
            found = dict(select_rows(f"SELECT code, id FROM {table_name(Product)} "  # noqa: S608
                                 "WHERE code IN ({marks})", sorted(codes)))  # fmt: skip
            for code in codes:
                if code in found:
                    self.products["c:" + code] = found[code]
        if names:
            named: dict[str, list[int]] = defaultdict(list)
            for name, pk in select_rows(f"SELECT name, id FROM {table_name(Product)} "  # noqa: S608
                                    "WHERE name IN ({marks})", sorted(names)):  # fmt: skip
                named[name].append(pk)
            for name, ids in named.items():
                self.products["n:" + name] = ids[0] if len(ids) == 1 else self.AMBIGUOUS
        for row in rows:
            if not row.valid:
                continue
            key = "c:" + row.product_code if row.product_code else "n:" + row.product_name
            pk = self.products.get(key)
            if pk == self.AMBIGUOUS:
                row.problem("product_name", _("Several products have this name: give the code."),
                            row.product_name)  # fmt: skip
            elif pk is not None:
                row.product_id = pk
            elif not create:
                row.problem(
                    "product_code" if row.product_code else "product_name",
                    _("No such product in the catalogue (this import does not create products)."),
                    row.product_code or row.product_name,
                )
            else:
                self.to_create.setdefault(key, row.number)

    def existing_orders(self, numbers: set[str]) -> dict[str, tuple[int, int, int | None]]:
        """Order number -> (order id, customer id, import batch id) of those in the archive."""
        orders = table_name(Order)
        rows = select_rows(
            f"SELECT number, id, customer_id, import_batch_id FROM {orders} "  # noqa: S608
            "WHERE number IN ({marks})",
            sorted(numbers),
        )
        return {number: (pk, customer, batch) for number, pk, customer, batch in rows}
