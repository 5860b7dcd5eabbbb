"""Matching cleaned rows against the customers already in the archive, by exact keys."""

from typing import Any

from django.db import connection

from kehu.core.keys import lookup_read_keys
from kehu.customers.models import (
    Customer,
    Email,
    OrganizationProfile,
    PersonProfile,
    Phone,
)
from kehu.customers.values import lookup_hashes
from kehu.imports.engine.cleaning import KEY_LABELS
from kehu.imports.engine.rows import Row


def _select_in(
    model: type[Any], columns: tuple[str, ...], column: str, values: Any, where: str = ""
) -> list[tuple[Any, ...]]:
    """``SELECT columns FROM model WHERE column IN values [AND where]`` in raw SQL, 1,000 values
    a query: the ORM's per-value preparation of an ``__in`` list cost ~10 µs an imported row.
    Keep ``where`` off indexed columns: SQLite (no statistics) may scan by their index instead
    (``contact_id IS NULL`` made it walk every phone of a million customers)."""
    values = list(values)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(name) for name in columns)
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), 1000):
            part = values[start : start + 1000]
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(
                f"SELECT {names} FROM {table} WHERE {quote(column)} IN ({marks}) {where}",  # noqa: S608
                part,
            )
            found.extend(cursor.fetchall())
    return found


def match_existing(kind: str, rows: list[Row]) -> None:
    """Set ``customer_id`` of the valid rows that match a customer already in the archive:
    same ID number, credit code or phone (E.164), or the same name with the same birth date or
    e-mail. Exact-keyed lookups (no fuzzy scoring here: the duplicate finder does that)."""
    wanted: dict[str, set[str]] = {k: set() for k in KEY_LABELS}
    for row in rows:
        for key, value in row.keys:
            wanted[key].add(value)
    found: dict[tuple[str, str], int] = {}

    def keep(key: str, pairs: Any) -> None:
        for value, customer_id in pairs:
            current = found.get((key, value))
            if current is None or customer_id < current:
                found[(key, value)] = customer_id

    if wanted["id"]:
        # While lookup keys are being rotated an existing ID number may be stored under an
        # older key: look under every one, and count a match as the row's own key.
        as_written = {h: h for h in wanted["id"]}
        if len(lookup_read_keys()) > 1:
            for row in rows:
                number = row.values.get("person.id_number")
                if number and row.keys and row.keys[0][0] == "id":
                    as_written.update(dict.fromkeys(lookup_hashes(number), row.keys[0][1]))
        found_ids = _select_in(PersonProfile, ("id_number_hash", "customer_id"),
                               "id_number_hash", as_written)  # fmt: skip
        keep("id", ((as_written[h], c) for h, c in found_ids))
    if wanted["credit"]:
        keep("credit", _select_in(OrganizationProfile, ("credit_code", "customer_id"),
                                  "credit_code", wanted["credit"]))  # fmt: skip
    # Each lookup goes by its own index, then the customers found are checked in one query by
    # primary key: joins let PostgreSQL pick nested scans on tables growing during the import.
    phones: list[tuple[Any, ...]] = []
    if wanted["phone"]:
        found_phones = _select_in(Phone, ("number", "customer_id", "contact_id"), "number",
                                  wanted["phone"])  # fmt: skip
        phones = [(number, c) for number, c, contact in found_phones if contact is None]
    births: list[tuple[str, str, int]] = []
    if wanted["name_birth"]:
        names = {v.split("|", 1)[0] for v in wanted["name_birth"]}
        named = dict(_select_in(Customer, ("id", "name"), "name", names))
        people = _select_in(PersonProfile, ("customer_id", "birth_date"), "customer_id",
                            named, "AND birth_date IS NOT NULL")  # fmt: skip
        # str(): a date on PostgreSQL, already ISO text on SQLite.
        births = [(named[c], str(b), c) for c, b in people]
    emails: list[tuple[Any, ...]] = []
    if wanted["name_email"]:
        addresses = {v.split("|", 1)[1] for v in wanted["name_email"]}
        found_emails = _select_in(Email, ("address", "customer_id", "contact_id"), "address",
                                  addresses)  # fmt: skip
        emails = [(address, c) for address, c, contact in found_emails if contact is None]
    candidates = {c for _v, c in phones} | {c for _n, _b, c in births} | {c for _a, c in emails}
    live: dict[int, str] = {}
    if candidates:
        live = dict(
            Customer.objects.live().filter(pk__in=list(candidates), kind=kind)
            .values_list("id", "name")
        )  # fmt: skip
    keep("phone", ((n, c) for n, c in phones if c in live))
    keep("name_birth", ((f"{n}|{b}", c) for n, b, c in births if c in live))
    keep("name_email", ((f"{live[c]}|{a}", c) for a, c in emails if c in live))
    for row in rows:
        for key, value in row.keys:
            customer_id = found.get((key, value))
            if customer_id is not None:
                row.customer_id, row.match_reason = customer_id, key
                break
