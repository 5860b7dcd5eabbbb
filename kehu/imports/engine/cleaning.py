"""Cleaning one row of an import file with the archive's own validators, and finding the
rows that repeat an earlier row of the same file."""

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.idcard import IdNumber, parse_id_number
from kehu.core.phones import normalize_phone
from kehu.core.regions import Region, parse_regions
from kehu.core.text import is_plain_line, validate_plain_text, visible_controls
from kehu.customers import services as customer_services
from kehu.customers.fields import FieldSpec, Store, Type
from kehu.customers.models import (
    Contact,
    Customer,
)
from kehu.customers.values import (
    as_list,
    clean_value,
    lookup_hash,
    mask_text,
)
from kehu.imports.engine.rows import Context, NewCustomers, Row
from kehu.imports.mapping import CONTACT_FIELDS, choice_codes, import_specs
from kehu.search import services as search_services
from kehu.search.terms import Indexable, exact_value, rows_for

# --- cleaning one row -------------------------------------------------------------------------

_DATE_PARTS = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def date_text(raw: str) -> str:
    """2024/3/1, 2024.03.01, 2024年3月1日 and 20240301 as ISO (2024-03-01); else unchanged."""
    match = _DATE_PARTS.match(raw) or _COMPACT_DATE.match(raw)
    if match is None:
        return raw
    return f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}"


def cell_date(raw: str) -> date:
    """A cell's date in any form ``date_text`` reads, a time after it (" 10:00", "T10:00")
    ignored; ValueError when it is not a date."""
    return date.fromisoformat(date_text(raw.split(" ")[0].split("T")[0]))


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


def _masked(spec: FieldSpec | None, raw: str) -> str:
    text = visible_controls(raw[:100])
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


def key_message(key: str, first: int) -> str:
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
                    {"field": KEY_LABELS[key], "message": key_message(key, first), "value": ""}
                )
                return
        for key, value in row.keys:
            self.seen.setdefault(hash((key, value)), row.number)
