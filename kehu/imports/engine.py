"""The dry run and the import of one batch: stream the file, validate each row with the
archive's own validators, match it against existing customers, and write chunk by chunk.

Each chunk of rows is written in ONE transaction together with its per-row outcomes and the
batch's checkpoint (``processed_rows``): an interrupted import leaves whole chunks only and
continues after the last one. New customers go in as raw batch inserts in the style of
``kehu.customers.demo_load`` (the ORM's per-object work would be far too slow for a million
rows); customers a row matches are updated through the ORM with the services' own writer.
"""

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.accounts.selectors import primary_team
from kehu.core.encryption import encrypt
from kehu.core.forked import fewer_collections, iterate_in_child
from kehu.core.idcard import IdNumber, parse_id_number
from kehu.core.phones import normalize_phone
from kehu.core.regions import Region, parse_regions
from kehu.core.text import is_plain_line, validate_plain_text
from kehu.customers import services as customer_services
from kehu.customers.demo_load import (
    CHANGE_FIELDS,
    CUSTOMER_FIELDS,
    ORGANIZATION_FIELDS,
    PERSON_FIELDS,
    bulk_insert,
    sqlite_datetime,
)
from kehu.customers.fields import BUILTIN_BY_CODE, FieldSpec, Store, Type
from kehu.customers.models import (
    Channel,
    Contact,
    Customer,
    CustomerChange,
    Email,
    OrganizationProfile,
    PersonProfile,
    Phone,
    Tag,
)
from kehu.customers.values import (
    as_list,
    clean_value,
    lookup_hash,
    mask_text,
    read_value,
    to_text,
)
from kehu.dedup.entry import likely_duplicates_report
from kehu.imports.mapping import CONTACT_FIELDS, choice_codes, import_specs
from kehu.imports.models import ImportBatch, ImportRow
from kehu.imports.readers import Table, file_hash
from kehu.search import services as search_services
from kehu.search.services import search_index_update
from kehu.search.terms import Indexable, exact_value, rows_for

CHUNK_SIZE = 5000
FIRST_CHUNK_SIZE = 500
# From this many rows the file is read and validated in a second process.
PARALLEL_FROM = 20_000
Progress = Callable[[ImportBatch], None]
NOT_CHECKED = gettext_lazy(
    "Run the dry run first: an import starts only over the file and mapping a dry run checked."
)

# --- cleaning one row -------------------------------------------------------------------------

_DATE_PARTS = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def date_text(raw: str) -> str:
    """2024/3/1, 2024.03.01, 2024年3月1日 and 20240301 as ISO (2024-03-01); else unchanged."""
    match = _DATE_PARTS.match(raw) or _COMPACT_DATE.match(raw)
    if match is None:
        return raw
    return f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}"


class PhoneCleaner:
    """``normalize_phone``, memoised for plain 11-digit mainland numbers starting with 1 by their
    first 5 digits: libphonenumber's pattern for mainland mobiles (what ``normalize_phone``
    accepts of them) is decided by those (e.g. ``1740[0-5]``). Anything else, and every invalid
    number (for its message), goes through ``normalize_phone`` itself."""

    PREFIX = 5

    def __init__(self) -> None:
        self.segments: dict[str, bool] = {}

    def __call__(self, raw: str) -> str:
        if len(raw) == 11 and raw.isascii() and raw.isdigit() and raw[0] == "1":
            valid = self.segments.get(raw[: self.PREFIX])
            if valid is None:
                try:
                    normalize_phone(raw)
                    valid = True
                except ValidationError:
                    valid = False
                self.segments[raw[: self.PREFIX]] = valid
            if valid:
                return "+86" + raw
        return normalize_phone(raw)


class RegionCache:
    """Regions of addresses by their leading part up to the first 区/县/旗 (where the region's
    name ends), so a file of a million addresses asks the region table once per district."""

    _END = re.compile(r"^.{2,20}?[区县旗]")

    def __init__(self) -> None:
        self.known: dict[str, Region] = {}

    def key(self, address: str) -> str:
        match = self._END.match(address)
        return match[0] if match else address

    def regions(self, addresses: list[str]) -> list[Region]:
        keys = [self.key(a) for a in addresses]
        missing = list(dict.fromkeys(k for k in keys if k and k not in self.known))
        for key, region in zip(missing, parse_regions(missing), strict=True):
            self.known[key] = region
        return [self.known[k] if k else Region() for k in keys]


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


def _masked(spec: FieldSpec | None, raw: str) -> str:
    text = raw[:100]
    return mask_text(spec, text) if spec is not None and spec.sensitive else text


class RowCleaner:
    """Cleans rows of one file with one mapping, as ``customer_create`` would clean them."""

    def __init__(self, kind: str, headers: list[str], mapping: dict[str, str]) -> None:
        self.kind = kind
        self.specs = import_specs(kind)
        contact_codes = set(CONTACT_FIELDS) if kind == Customer.Kind.ORGANIZATION else set()
        self.columns: list[tuple[int, str]] = []
        for index, header in enumerate(headers):
            code = mapping.get(header, "")
            if code in self.specs or code in contact_codes:
                self.columns.append((index, code))
        self.choices = {
            code: choice_codes(spec)
            for code, spec in self.specs.items()
            if spec.type == Type.CHOICE
        }
        self.contact_roles = choice_codes(
            FieldSpec("role", "", self.specs["name"].group, Type.CHOICE, Store.CUSTOMER,
                      choices=tuple(Contact.Role.choices))
        )  # fmt: skip
        self.phone = PhoneCleaner()
        self.today = timezone.localdate()
        self.regions = RegionCache()
        self.custom_codes = search_services.searchable_custom_codes()
        self.required = [c for c, s in self.specs.items() if s.required]
        self.multiline = {c for c, s in self.specs.items() if s.type == Type.LONG_TEXT}

    def _problem(self, row: Row, code: str, message: str, raw: str) -> None:
        spec = self.specs.get(code)
        row.problems.append({"field": code, "message": message, "value": _masked(spec, raw)})

    def _clean(self, spec: FieldSpec, raw: str) -> Any:
        if spec.type == Type.CHOICE:
            return self.choices[spec.code].get(raw.lower(), raw)
        if spec.type == Type.DATE:
            return clean_value(spec, date_text(raw))
        if spec.type == Type.PHONES:
            return list(dict.fromkeys(self.phone(p) for p in as_list(raw)))
        if spec.type == Type.ID_NUMBER:
            # clean_value's own check, with today computed once per file instead of per row
            return parse_id_number(raw, today=self.today)
        return clean_value(spec, raw)

    def clean(self, number: int, cells: list[str], problem: str = "") -> Row:
        row = Row(number)
        if problem:  # the file's shape: no cell of this row can be trusted
            row.problems.append({"field": "", "message": problem, "value": ""})
            return row
        raws: dict[str, str] = {}
        id_number: IdNumber | None = None
        plain = is_plain_line("\t".join(cells))  # the common case: no cell to check one by one
        for index, code in self.columns:
            raw = cells[index]
            if not raw:
                continue
            if not plain:
                try:
                    validate_plain_text(raw, multiline=code in self.multiline)
                except ValidationError as exc:
                    self._problem(row, code, " ".join(exc.messages), raw)
                    continue
            raws[code] = raw
            if code.startswith("contact."):
                row.contact[code[8:]] = raw
                continue
            spec = self.specs[code]
            try:
                value = self._clean(spec, raw)
                if spec.type == Type.CHOICE:
                    value = clean_value(spec, value)
            except ValidationError as exc:
                self._problem(row, code, " ".join(exc.messages), raw)
                continue
            if isinstance(value, IdNumber):
                id_number, value = value, value.number
            if value not in (None, "", []):
                row.values[code] = value
                row.given.add(code)
        for code in self.required:
            missing = code not in row.values and code not in {"lifecycle_stage", "grade"}
            if missing and not any(p["field"] == code for p in row.problems):
                self._problem(row, code, _("This field is required."), "")
        if self.kind == Customer.Kind.PERSON and not row.problems:
            errors: dict[str, list[str]] = {}
            before = set(row.values)
            customer_services.cross_check_id_number(row.values, None, errors, parsed=id_number)
            row.given |= set(row.values) - before
            for code, messages in errors.items():
                self._problem(row, code, " ".join(messages), raws.get(code, ""))
        if row.contact:
            self._clean_contact(row)
        row.values.setdefault("lifecycle_stage", Customer.Stage.LEAD)
        row.values.setdefault("grade", Customer.Grade.GENERAL)
        if row.valid:
            row.keys = self._keys(row)
        return row

    def _clean_contact(self, row: Row) -> None:
        contact = row.contact
        name = contact.get("name", "")
        if not name:
            self._problem(row, "contact.name", _("A contact needs a name."), "")
        elif len(name) > 100:
            self._problem(row, "contact.name", _("At most %(n)s characters.") % {"n": 100}, name)
        if "phone" in contact:
            try:
                contact["phones"] = [self.phone(p) for p in as_list(contact.pop("phone"))]
            except ValidationError as exc:
                self._problem(row, "contact.phone", " ".join(exc.messages), "")
        role = contact.get("role", "")
        contact["role"] = self.contact_roles.get(role.lower(), "") if role else Contact.Role.OTHER
        if not contact["role"]:
            allowed = ", ".join(str(label) for _code, label in Contact.Role.choices)
            message = _("Choose one of: %(choices)s.") % {"choices": allowed}
            self._problem(row, "contact.role", message, role)
        contact["title"] = contact.get("title", "")[:100]

    def prepare(self, rows: list[Row], context: Context) -> None:
        """The table rows of these valid rows as new customers, but for their ids: what takes
        time is done here, in the reading process (regions of addresses, encryption, history
        texts, search terms), so the writer only adds ids and inserts."""
        builder = NewCustomers(context)
        regions = self.regions.regions([r.values.get("address", "") for r in rows])
        for row, region in zip(rows, regions, strict=True):
            row.new = builder.build(row, region, list(rows_for(self._indexable(row))))

    def _indexable(self, row: Row) -> Indexable:
        values = row.values
        hashes = [lookup_hash(exact_value(a, email=True)) for a in values.get("emails", [])]
        hashes += [value for key, value in row.keys if key == "id"]
        if values.get("organization.credit_code"):
            hashes.append(lookup_hash(exact_value(values["organization.credit_code"])))
        custom = {
            spec.attr: values[code]
            for code, spec in self.specs.items()
            if spec.store == Store.CUSTOM and not spec.sensitive and code in values
        }
        return Indexable(
            customer_id=0, owner_id=None, team_id=None,
            person=self.kind == Customer.Kind.PERSON, name=values["name"],
            contacts=[row.contact["name"]] if row.contact else [],
            phones=list(values.get("phones", [])),
            contact_phones=list(row.contact.get("phones", [])) if row.contact else [],
            hashes=hashes, tags=list(values.get("tags", [])),
            custom=search_services.custom_texts(custom, self.custom_codes),
        )  # fmt: skip

    def _keys(self, row: Row) -> list[tuple[str, str]]:
        """What identifies the row's customer, strongest first."""
        values = row.values
        keys: list[tuple[str, str]] = []
        if values.get("person.id_number"):
            keys.append(("id", lookup_hash(values["person.id_number"])))
        if values.get("organization.credit_code"):
            keys.append(("credit", values["organization.credit_code"]))
        keys.extend(("phone", number) for number in values.get("phones", []))
        name = values.get("name", "")
        if values.get("person.birth_date"):
            keys.append(("name_birth", f"{name}|{values['person.birth_date'].isoformat()}"))
        keys.extend(("name_email", f"{name}|{email}") for email in values.get("emails", []))
        return keys


KEY_LABELS = {
    "id": "person.id_number",
    "credit": "organization.credit_code",
    "phone": "phones",
    "name_birth": "person.birth_date",
    "name_email": "emails",
}


def _key_message(key: str, first: int) -> str:
    messages = {
        "id": _("Same ID number as row %(row)s."),
        "credit": _("Same credit code as row %(row)s."),
        "phone": _("Same phone number as row %(row)s."),
        "name_birth": _("Same name and birth date as row %(row)s."),
        "name_email": _("Same name and e-mail as row %(row)s."),
    }
    return messages[key] % {"row": first}


class FileDuplicates:
    """Rows of the file that repeat an earlier valid row: the first one counts, later ones are
    reported. Keys are kept as 64-bit hashes so a million rows stay small in memory."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}

    def check(self, row: Row) -> None:
        if not row.valid:
            return
        for key, value in row.keys:
            first = self.seen.get(hash((key, value)))
            if first is not None:
                row.duplicate_of = first
                row.problems.append(
                    {"field": KEY_LABELS[key], "message": _key_message(key, first), "value": ""}
                )
                return
        for key, value in row.keys:
            self.seen.setdefault(hash((key, value)), row.number)


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
        keep("id", _select_in(PersonProfile, ("id_number_hash", "customer_id"),
                              "id_number_hash", wanted["id"]))  # fmt: skip
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


# --- the passes -------------------------------------------------------------------------------


def _chunks(
    rows: Iterator[tuple[int, list[str], str]], size: int
) -> Iterator[list[tuple[int, list[str], str]]]:
    """Chunks of ``size`` rows, but a small first one: the writer starts on it while the
    reading process prepares the next (a whole first chunk kept it waiting ~1.3 s)."""
    first = FIRST_CHUNK_SIZE
    while chunk := list(islice(rows, min(first, size))):
        yield chunk
        first = size


def _clean_chunks(
    table: Table, cleaner: RowCleaner, start: int, context: Context | None
) -> Iterator[list[Row]]:
    """The rows after the first ``start`` cleaned, chunk by chunk, with the file's duplicates
    marked (the first ``start`` rows are cleaned too, only to know their keys again)."""
    duplicates = FileDuplicates()
    rows = table.rows()
    for number, cells, problem in islice(rows, start):
        duplicates.check(cleaner.clean(number, cells, problem))
    for chunk in _chunks(rows, CHUNK_SIZE):
        cleaned = [cleaner.clean(number, cells, problem) for number, cells, problem in chunk]
        for row in cleaned:
            duplicates.check(row)
        if context is not None:
            cleaner.prepare([row for row in cleaned if row.valid], context)
        yield cleaned


def cleaned_chunks(
    table: Table,
    cleaner: RowCleaner,
    start: int,
    *,
    parallel: bool,
    context: Context | None = None,
) -> Iterator[list[Row]]:
    """``_clean_chunks``, in a forked process when ``parallel``: reading and validating the
    file overlaps matching and writing on the other core (as ``demo_load`` overlaps
    generating and writing)."""
    if not parallel:
        yield from _clean_chunks(table, cleaner, start, context)
        return
    yield from iterate_in_child(
        lambda: _clean_chunks(table, cleaner, start, context), what="reading the import file"
    )


def _report_rows(batch: ImportBatch, rows: list[tuple[int, str, int | None, list[Any]]]) -> None:
    with connection.cursor() as cursor:
        bulk_insert(
            cursor,
            ImportRow,
            ("batch", "row_number", "outcome", "customer_id", "problems"),
            [
                (batch.pk, n, o, c, json.dumps(p, ensure_ascii=False) if p else "[]")
                for n, o, c, p in rows
            ],
        )


def open_table(batch: ImportBatch) -> Table:
    from kehu.imports.services import batch_path

    path = batch_path(batch)
    return Table(path, path.suffix.lower())


def dry_run(batch: ImportBatch, progress: Progress | None = None) -> ImportBatch:
    """Check every row; keep the problems of invalid rows and which customer each duplicate
    row matches; count valid, invalid and existing. Writes nothing to the archive."""
    table = open_table(batch)
    cleaner = RowCleaner(batch.kind, table.headers, batch.mapping)
    ImportRow.objects.filter(batch=batch).delete()
    batch.status = ImportBatch.Status.VALIDATING
    batch.total_rows = lines = table.count_lines()
    batch.checked_rows = batch.valid_rows = batch.invalid_rows = batch.duplicate_rows = 0
    batch.checked_hash = batch.reading_note = ""
    batch.save()
    parallel = batch.total_rows >= PARALLEL_FROM
    with fewer_collections():
        for rows in cleaned_chunks(table, cleaner, 0, parallel=parallel):
            _check_chunk(batch, rows)
            if progress:
                progress(batch)
    batch.total_rows = batch.checked_rows
    if lines != batch.checked_rows:
        batch.reading_note = _(
            "The file has %(lines)s lines after the header but %(rows)s rows: values in quotes "
            "run over several lines. Check that no quote is missing."
        ) % {"lines": lines, "rows": batch.checked_rows}
    batch.checked_hash = file_hash(table.path)
    batch.status = ImportBatch.Status.VALIDATED
    batch.save()
    return batch


def _check_chunk(batch: ImportBatch, rows: list[Row]) -> None:
    """Match a chunk of the dry run against the archive and keep its report rows."""
    match_existing(batch.kind, [r for r in rows if r.valid])
    report: list[tuple[int, str, int | None, list[Any]]] = []
    for row in rows:
        if not row.valid:
            report.append((row.number, ImportRow.Outcome.INVALID, None, row.problems))
        elif row.customer_id is not None:
            report.append((row.number, ImportRow.Outcome.EXISTING, row.customer_id, []))
    report += likely_duplicates_report(batch.kind, rows)
    with transaction.atomic():
        _report_rows(batch, report)
        batch.checked_rows += len(rows)
        batch.invalid_rows += sum(1 for r in rows if not r.valid)
        batch.valid_rows += sum(1 for r in rows if r.valid)
        batch.duplicate_rows += sum(1 for r in rows if r.valid and r.customer_id)
        batch.save()


def run_import(batch: ImportBatch, progress: Progress | None = None) -> ImportBatch:
    """Import the valid rows, continuing after the checkpoint if an earlier run stopped."""
    if batch.status in {ImportBatch.Status.DONE, ImportBatch.Status.UNDONE}:
        return batch
    table = open_table(batch)
    if not batch.checked_hash or file_hash(table.path) != batch.checked_hash:
        raise ValidationError(NOT_CHECKED)
    cleaner = RowCleaner(batch.kind, table.headers, batch.mapping)
    start = batch.processed_rows
    if start == 0:
        ImportRow.objects.filter(batch=batch).delete()
        batch.created_count = batch.updated_count = batch.skipped_count = 0
        batch.invalid_rows = 0
        batch.total_rows = batch.total_rows or table.count_lines()
    batch.status = ImportBatch.Status.IMPORTING
    batch.error = ""
    batch.save()
    team = primary_team(user=batch.owner) if batch.owner else None
    context = Context(
        batch=batch,
        user=batch.created_by,
        channel=batch.channel,
        owner=batch.owner,
        team_id=team.pk if team else None,
        now=timezone.now(),
        note=_("Import #%(id)s: %(file)s") % {"id": batch.pk, "file": batch.original_name},
        specs=cleaner.specs,
    )
    parallel = (batch.total_rows or 0) - start >= PARALLEL_FROM
    with fewer_collections(), _sqlite_bulk_settings():
        for rows in cleaned_chunks(table, cleaner, start, parallel=parallel, context=context):
            _write_chunk(context, rows)
            if progress:
                progress(batch)
    batch.status = ImportBatch.Status.DONE
    batch.total_rows = batch.processed_rows
    batch.finished_at = timezone.now()
    batch.save()
    return batch


# --- writing ----------------------------------------------------------------------------------


@contextmanager
def _sqlite_bulk_settings() -> Iterator[None]:
    """On SQLite, for the import's connection: a 256 MB page cache (the indexes of a growing
    archive stay in memory) and a checkpoint of the write-ahead log every ~100 MB instead of
    every 4 MB (each chunk's commit checkpointed ~10 MB of pages, many of them again and again).
    Put back afterwards: the connection serves other work later."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute("PRAGMA wal_autocheckpoint")
        checkpoint = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -262144")
        cursor.execute("PRAGMA wal_autocheckpoint = 25000")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint)}")


def _reserve_ids(model: type[Customer], count: int) -> list[int]:
    """Ids for ``count`` new rows: from the sequence on PostgreSQL, after the highest on SQLite
    (whose writers are serialised, and this runs inside the chunk's write transaction)."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [r[0] for r in cursor.fetchall()]
    first = (model.objects.aggregate(last=Max("id"))["last"] or 0) + 1
    return list(range(first, first + count))


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


class _NewRows:
    """Table rows of the customers a chunk creates, from the rows' ``NewCustomer``."""

    def __init__(self, context: Context) -> None:
        c = self.context = context
        now = connection.ops.adapt_datetimefield_value(c.now)
        if connection.vendor == "sqlite":
            now = sqlite_datetime(c.now)
        self.owner_id = c.owner.pk if c.owner else None
        status = Customer.Status.ACTIVE if self.owner_id else Customer.Status.PUBLIC_POOL
        channel_id = c.channel.pk if c.channel else None
        # The columns every new customer / history row of the batch shares.
        self.customer_head = (now, now)
        self.customer_middle = (c.batch.kind,)
        self.customer_scope = (status, self.owner_id, c.team_id, channel_id)
        user_id = c.user.pk if c.user else None
        self.change_tail = (channel_id, user_id, now, c.note[:200], c.batch.pk)
        self.customers: list[tuple[Any, ...]] = []
        self.profiles: list[tuple[Any, ...]] = []
        self.phones: list[tuple[Any, ...]] = []
        self.emails: list[tuple[Any, ...]] = []
        self.tags: list[tuple[str, int]] = []
        self.changes: list[tuple[Any, ...]] = []
        self.search: list[tuple[Any, ...]] = []
        self.contacts: list[tuple[int, dict[str, Any]]] = []

    def add(self, customer_id: int, row: Row) -> None:
        new = row.new
        assert new is not None  # noqa: S101 - prepared for every valid row
        name, stage, grade, *rest = new.customer
        self.customers.append(
            (customer_id, *self.customer_head, name, *self.customer_middle, stage, grade,
             *self.customer_scope, *rest, None)
        )  # fmt: skip
        self.profiles.append((customer_id, *new.profile))
        self.phones.extend((customer_id, None, number, "") for number in new.phones)
        self.emails.extend((customer_id, None, address) for address in new.emails)
        self.tags.extend((tag, customer_id) for tag in new.tags)
        creation = (CustomerChange.CREATED, "", new.creation, new.sensitive)
        self.changes.append((customer_id, *creation, *self.change_tail))
        team_id = self.context.team_id
        self.search.extend(
            (term, customer_id, source, self.owner_id, team_id) for term, source in new.terms
        )
        if row.contact:
            self.contacts.append((customer_id, row.contact))

    def write(self) -> None:
        tag_ids: dict[str, int] = {}
        names = sorted({name for name, _id in self.tags})
        if names:
            Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
            tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
        with connection.cursor() as cursor:
            bulk_insert(cursor, Customer, CUSTOMER_FIELDS, self.customers)
            if self.context.batch.kind == Customer.Kind.PERSON:
                bulk_insert(cursor, PersonProfile, ("customer", *PERSON_FIELDS), self.profiles)
            else:
                profile_fields = ("customer", *ORGANIZATION_FIELDS)
                bulk_insert(cursor, OrganizationProfile, profile_fields, self.profiles)
            bulk_insert(cursor, Phone, ("customer", "contact", "number", "label"), self.phones)
            bulk_insert(cursor, Email, ("customer", "contact", "address"), self.emails)
            bulk_insert(cursor, Customer.tags.through, ("customer", "tag"),
                    [(cid, tag_ids[name]) for name, cid in self.tags])  # fmt: skip
            bulk_insert(cursor, CustomerChange, (*CHANGE_FIELDS, "import_batch"), self.changes)
            search_services.insert_rows(cursor, self.search)
        for customer_id, data in self.contacts:
            contact = Contact.objects.create(
                customer_id=customer_id, name=data["name"], role=data["role"], title=data["title"]
            )
            Phone.objects.bulk_create(
                Phone(customer_id=customer_id, contact=contact, number=n)
                for n in data.get("phones", [])
            )
            summary = customer_services.contact_summary(contact)
            change = self._change(customer_id, "contacts", "", summary)
            change.save()

    def _change(self, customer_id: int, code: str, old: str, new: str) -> CustomerChange:
        c = self.context
        return CustomerChange(
            customer_id=customer_id, field=code, old_value=old, new_value=new,
            channel=c.channel, changed_by=c.user, changed_at=c.now, note=c.note[:200],
            import_batch=c.batch,
        )  # fmt: skip


def _update(context: Context, rows: list[Row]) -> dict[int, bool]:
    """Apply the batch's policy (fill empty fields / overwrite) to the customers the rows match;
    returns row number -> whether anything changed. History rows carry the batch."""
    policy = context.batch.duplicates
    ids = {row.customer_id for row in rows}
    customers = (
        Customer.objects.select_related("person", "organization")
        .prefetch_related("phones", "emails", "tags")
        .in_bulk(ids)
    )
    changed: dict[int, bool] = {}
    history: list[CustomerChange] = []
    touched: set[int] = set()
    for row in rows:
        customer = customers[row.customer_id or 0]
        changes = 0
        for code in sorted(row.given):
            spec = context.specs[code]
            value = row.values[code]
            current = read_value(customer, spec)
            old_text = to_text(spec, current)
            if spec.type in {Type.PHONES, Type.EMAILS, Type.TAGS, Type.MULTI_CHOICE}:
                if policy == ImportBatch.Duplicates.FILL and current:
                    continue
                value = list(dict.fromkeys([*(current or []), *value]))
            elif policy == ImportBatch.Duplicates.FILL and old_text:
                continue
            new_text = to_text(spec, value)
            if new_text == old_text:
                continue
            customer_services.write_value(customer, spec, value)
            if spec.type in {Type.PHONES, Type.EMAILS, Type.TAGS}:
                customer._prefetched_objects_cache.pop(  # type: ignore[attr-defined]
                    {"phones": "phones", "emails": "emails", "tags": "tags"}[code], None
                )
            change = customer_services.record_change(
                customer=customer, field=code, old=old_text, new=new_text,
                sensitive=spec.sensitive is not None, user=context.user,
                channel=context.channel, note=context.note, at=context.now,
            )  # fmt: skip
            change.import_batch = context.batch
            history.append(change)
            changes += 1
        if changes:
            customer.save()
            for name in ("person", "organization"):
                profile = getattr(customer, name, None)
                if profile is not None:
                    profile.save()
            touched.add(customer.pk)
        changed[row.number] = bool(changes)
    CustomerChange.objects.bulk_create(history)
    if touched:
        search_index_update(customer_ids=sorted(touched))
    return changed


def _write_chunk(context: Context, rows: list[Row]) -> None:
    batch = context.batch
    match_existing(batch.kind, [r for r in rows if r.valid])
    new = [r for r in rows if r.valid and r.customer_id is None]
    existing = [r for r in rows if r.valid and r.customer_id is not None]
    report: list[tuple[int, str, int | None, list[Any]]] = []
    with transaction.atomic():
        # The batch row first: on SQLite this takes the write lock before ids are chosen.
        batch.processed_rows += len(rows)
        batch.save(update_fields=["processed_rows", "updated_at"])
        ids = _reserve_ids(Customer, len(new))
        writer = _NewRows(context)
        for customer_id, row in zip(ids, new, strict=True):
            writer.add(customer_id, row)
            row.customer_id = customer_id
        writer.write()
        outcome = {}
        if existing and batch.duplicates != ImportBatch.Duplicates.SKIP:
            outcome = _update(context, existing)
        created = updated = skipped = invalid = 0
        new_numbers = {row.number for row in new}
        for row in rows:
            if not row.valid:
                report.append((row.number, ImportRow.Outcome.INVALID, None, row.problems))
                invalid += 1
            elif row.number in new_numbers:
                report.append((row.number, ImportRow.Outcome.CREATED, row.customer_id, []))
                created += 1
            elif outcome.get(row.number):
                report.append((row.number, ImportRow.Outcome.UPDATED, row.customer_id, []))
                updated += 1
            else:
                report.append((row.number, ImportRow.Outcome.SKIPPED, row.customer_id, []))
                skipped += 1
        _report_rows(batch, report)
        batch.created_count += created
        batch.updated_count += updated
        batch.skipped_count += skipped
        batch.invalid_rows += invalid
        batch.save()
