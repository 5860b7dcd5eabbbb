"""Possible duplicates of a customer being entered (the form, the API's ``?check_duplicates``,
web-form leads, the importer's dry run), scored by the finder's model.

Fast by design: a few indexed lookups (phones, their first and last halves, e-mail and its
name part, ID-number hash, credit code, the name and its pinyin in the search index) give a
handful of candidates, which ``kehu.dedup.model.score`` weighs in Python; no DuckDB per form.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.core.phones import normalize_phone
from kehu.core.regions import parse_region
from kehu.customers.models import Customer, Email, OrganizationProfile, PersonProfile, Phone
from kehu.customers.values import lookup_hash, lookup_hashes
from kehu.dedup.model import (
    DEFAULT_THRESHOLD,
    FREQUENCY_COLUMNS,
    Parameters,
    Record,
    Score,
    Shares,
    score,
)
from kehu.dedup.records import PHONE_HALF, customer_record
from kehu.search.models import SearchTerm
from kehu.search.terms import exact_term, exact_value, normalize, phone_digits

PER_LOOKUP = 50  # candidates from one lookup (a common name: the most recent ones)


@dataclass
class PossibleDuplicate:
    customer_id: int
    name: str
    score: Score

    @property
    def evidence(self) -> list[tuple[str, str]]:
        """(field, level) of the comparisons that spoke for a match, strongest first."""
        agreeing = sorted((e for e in self.score.evidence if e[2] > 0), key=lambda e: -e[2])
        return [(name, label) for name, label, _weight in agreeing]


def _phones(values: Iterable[str]) -> list[str]:
    numbers = []
    for value in values:
        try:
            numbers.append(normalize_phone(str(value)))
        except ValidationError:
            continue
    return numbers


def entry_record(
    kind: str, data: dict[str, Any], *, region: bool = True, cleaned: bool = False
) -> Record:
    """The record of values being entered, by field code (as the customer services take them);
    without ``region`` the address's region is not looked up (the import's many rows);
    ``cleaned``: the values went through the importer's cleaning, so phones are E.164 already
    (parsing them again with libphonenumber was a quarter of a dry run's time)."""
    address = str(data.get("address") or "")
    region_found = parse_region(address) if address and region else None
    birth = data.get("person.birth_date") or None
    if isinstance(birth, str):
        try:
            birth = date.fromisoformat(birth.strip()[:10])
        except ValueError:
            birth = None
    id_number = str(data.get("person.id_number") or "").strip()
    phones = data.get("phones") or []
    emails = data.get("emails") or []
    return customer_record(
        customer_id=0,
        kind=kind,
        name=str(data.get("name") or ""),
        province=region_found.province if region_found else "",
        city=region_found.city if region_found else "",
        district=region_found.district if region_found else "",
        address=address,
        birth_date=birth,
        id_hash=lookup_hash(exact_value(id_number)) if id_number else "",
        employer=str(data.get("person.employer") or ""),
        credit_code=exact_value(str(data.get("organization.credit_code") or "")),
        phones=(
            [str(p) for p in phones]
            if cleaned and not isinstance(phones, str)
            else _phones([phones] if isinstance(phones, str) else phones)
        ),
        emails=[str(e) for e in ([emails] if isinstance(emails, str) else emails) if e],
    )


def _ids(queryset: Any, column: str = "customer_id") -> set[int]:
    return set(queryset.values_list(column, flat=True)[:PER_LOOKUP])


def candidate_ids(kind: str, record: Record) -> set[int]:
    """Customers sharing one of the record's keys, each found by an index."""
    found: set[int] = set()
    own_phones = Phone.objects.filter(contact__isnull=True)
    for digits in record["phones"] or []:
        e164 = "+86" + digits if len(digits) == 11 and digits.startswith("1") else "+" + digits
        found |= _ids(own_phones.filter(number=e164))
    if record["phone_head"]:
        head = "+86" + record["phone_head"] if record["phone1"].startswith("1") else ""
        if head:  # a one-digit slip in the second half: the same first half
            found |= _ids(own_phones.filter(number__gte=head, number__lt=head + "\uffff"))
        tail = "T" + phone_digits(record["phone1"])[-PHONE_HALF:][::-1]
        found |= _ids(
            SearchTerm.objects.filter(
                term__gte=tail, term__lt=tail + "\uffff", source=SearchTerm.Source.PHONE
            )
        )
    if record["email"]:
        exact = [exact_term(h) for h in lookup_hashes(exact_value(record["email"], email=True))]
        found |= _ids(SearchTerm.objects.filter(term__in=exact, source=SearchTerm.Source.EXACT))
    if record["email_local"]:
        local = record["email_local"] + "@"
        emails = Email.objects.filter(contact__isnull=True)
        found |= _ids(emails.filter(address__gte=local, address__lt=local + "\uffff"))
    if record["id_hash"]:
        found |= _ids(PersonProfile.objects.filter(id_number_hash=record["id_hash"]))
    if record["credit_code"]:
        found |= _ids(OrganizationProfile.objects.filter(credit_code=record["credit_code"]))
    terms = []
    if record["name"]:
        terms.append("A" + normalize(record["name"])[:24])
    if record["name_py"] and record["name_py"].isascii():
        terms.append("P" + record["name_py"][:24])
    for term in terms:
        found |= _ids(
            SearchTerm.objects.filter(term=term, source=SearchTerm.Source.NAME).order_by(
                "-customer_id"
            )
        )
    return found


def _records(kind: str, ids: set[int]) -> list[tuple[Record, str]]:
    customers: list[Customer] = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), 1000):
        customers += (
            Customer.objects.live()
            .filter(pk__in=ordered[start : start + 1000], kind=kind)
            .select_related("person", "organization")
            .prefetch_related("phones", "emails")
        )
    records = []
    for c in customers:
        person = getattr(c, "person", None) if kind == Customer.Kind.PERSON else None
        organization = getattr(c, "organization", None) if person is None else None
        record = customer_record(
            customer_id=c.pk,
            kind=c.kind,
            name=c.name,
            province=c.province,
            city=c.city,
            district=c.district,
            address=c.address,
            birth_date=person.birth_date if person else None,
            id_hash=person.id_number_hash if person else "",
            employer=person.employer if person else "",
            credit_code=organization.credit_code if organization else "",
            phones=[p.number for p in c.phones.all() if p.contact_id is None],
            emails=[e.address for e in c.emails.all() if e.contact_id is None],
        )
        records.append((record, c.name))
    return records


def latest_model() -> tuple[Parameters, int]:
    """The m, u probabilities of the latest finished search of the archive ({}: the priors) and
    how many customers it searched."""
    from kehu.dedup.models import DuplicateRun

    parameters, customers = (
        DuplicateRun.objects.filter(status=DuplicateRun.Status.DONE)
        .order_by("-finished_at")
        .values_list("parameters", "customers")
        .first()
    ) or ({}, 0)
    return {name: [(m, u) for m, u in levels] for name, levels in parameters.items()}, customers


def latest_parameters() -> Parameters:
    return latest_model()[0]


def candidate_shares(record: Record, others: list[Record], customers: int) -> Shares:
    """The term-frequency shares at entry (``kehu.dedup.model.term_frequency_u``): of the
    archive's ``customers``, those among the candidates holding the record's value. The
    candidates hold at most ``PER_LOOKUP`` per key, so a name held by more than that weighs a
    little more here than in the finder, which counts the whole archive."""
    counts = {
        column: sum(1 for other in others if record[column] and other[column] == record[column])
        for column in FREQUENCY_COLUMNS
    }

    def share(column: str, _value: Any) -> float | None:  # the record's value, where they agree
        return counts[column] / customers if customers else None

    return share


def possible_duplicates(
    *,
    kind: str,
    data: dict[str, Any],
    exclude: Iterable[int] = (),
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 10,
) -> list[PossibleDuplicate]:
    """Live customers of ``kind`` that the values being entered likely duplicate, most likely
    first (every customer, whatever the user may see: callers filter by scope)."""
    record = entry_record(kind, data)
    if record["name_key"] is None and not record["phones"] and not record["email"]:
        return []
    ids = candidate_ids(kind, record)
    # While lookup keys are rotated, an existing ID number may be hashed under an older key:
    # find it under every key and compare it as the same number.
    id_number = str(data.get("person.id_number") or "").strip()
    alternates = set(lookup_hashes(exact_value(id_number))) if id_number else set()
    if len(alternates) > 1:
        ids |= _ids(PersonProfile.objects.filter(id_number_hash__in=alternates))
    ids -= set(exclude)
    parameters, customers = latest_model()
    others = _records(kind, ids)
    shares = candidate_shares(record, [o for o, _name in others], customers) if parameters else None
    found = []
    for other, name in others:
        mine = record
        if other["id_hash"] in alternates and other["id_hash"] != record["id_hash"]:
            mine = cast(Record, {**record, "id_hash": other["id_hash"]})
        result = score(mine, other, parameters, shares)
        if result.weight >= threshold:
            found.append(PossibleDuplicate(customer_id=other["unique_id"], name=name, score=result))
    found.sort(key=lambda d: -d.score.weight)
    return found[:limit]


# --- the importer's dry run ---------------------------------------------------------------------

# Keys under which rows of one chunk of a file are compared with each other.
_FILE_KEYS = (("name_py", "birth_year"), ("phone1",), ("email",), ("street_key", "family"),
              ("family", "initial", "birth_year"))  # fmt: skip


def _pairs_in_chunk(records: list[tuple[int, Record]]) -> set[tuple[int, int]]:
    """(earlier, later) indexes of the chunk's rows sharing a key."""
    buckets: dict[tuple[Any, ...], list[int]] = {}
    pairs: set[tuple[int, int]] = set()
    for index, (_number, record) in enumerate(records):
        for columns in _FILE_KEYS:
            values = tuple(record[c] for c in columns)
            if any(v is None for v in values):
                continue
            bucket = buckets.setdefault((columns, values), [])
            pairs.update((earlier, index) for earlier in bucket[-20:])
            bucket.append(index)
    return pairs


def _archive_candidates(kind: str, records: list[tuple[int, Record]]) -> dict[int, set[int]]:
    """Row number → ids of customers sharing its phone, e-mail or name (batched lookups; a
    name shared by many customers gives its ``PER_LOOKUP`` most recent)."""
    by_phone: dict[str, set[int]] = {}
    by_email: dict[str, set[int]] = {}
    by_term: dict[str, set[int]] = {}
    phones = {p for _n, r in records for p in r["phones"] or []}
    e164 = {"+86" + p if len(p) == 11 and p.startswith("1") else "+" + p: p for p in phones}
    emails = {r["email"] for _n, r in records if r["email"]}
    terms = {"A" + normalize(r["name"])[:24] for _n, r in records if r["name"]}
    # The customers' own numbers and addresses (no contact) are kept in Python: with
    # ``contact_id IS NULL`` in the query SQLite walked the contact index, every phone of the
    # archive for each part (288 ms a query at 1,000,000 customers).
    for part in _parts(list(e164)):
        for number, customer_id, contact in Phone.objects.filter(number__in=part).values_list(
            "number", "customer_id", "contact_id"
        ):
            if contact is None:
                by_phone.setdefault(e164[number], set()).add(customer_id)
    for part in _parts(list(emails)):
        for address, customer_id, contact in Email.objects.filter(address__in=part).values_list(
            "address", "customer_id", "contact_id"
        ):
            if contact is None:
                by_email.setdefault(address.lower(), set()).add(customer_id)
    for part in _parts(list(terms)):
        found = SearchTerm.objects.filter(term__in=part, source=SearchTerm.Source.NAME)
        for term, customer_id in found.values_list("term", "customer_id").order_by("-customer_id"):
            named = by_term.setdefault(term, set())
            if len(named) < PER_LOOKUP:
                named.add(customer_id)
    candidates: dict[int, set[int]] = {}
    for row_number, record in records:
        ids: set[int] = set()
        for phone in record["phones"] or []:
            ids |= by_phone.get(phone, set())
        ids |= by_email.get(record["email"] or "", set())
        ids |= by_term.get("A" + normalize(record["name"])[:24], set())
        if ids:
            candidates[row_number] = ids
    return candidates


def _parts(values: list[str], size: int = 900) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


@dataclass
class LikelyDuplicate:
    """A row of an import file that likely repeats a customer or an earlier row of its chunk."""

    row: int
    customer_id: int | None
    earlier_row: int | None
    score: Score


def import_likely_duplicates(
    kind: str, rows: list[tuple[int, dict[str, Any]]]
) -> list[LikelyDuplicate]:
    """For the dry run: the rows (number, values by field code; valid, no exact match) that the
    model finds likely to be a customer of the archive or an earlier row of the same chunk."""
    records = [
        (number, entry_record(kind, values, region=False, cleaned=True)) for number, values in rows
    ]
    records = [(n, r) for n, r in records if r["name_key"] is not None]
    found: dict[int, LikelyDuplicate] = {}

    def keep(candidate: LikelyDuplicate) -> None:
        best = found.get(candidate.row)
        if candidate.score.weight >= DEFAULT_THRESHOLD and (
            best is None or candidate.score.weight > best.score.weight
        ):
            found[candidate.row] = candidate

    parameters = latest_parameters()
    candidates = _archive_candidates(kind, records)
    wanted: set[int] = set().union(*candidates.values())
    existing = {r["unique_id"]: r for r, _name in _records(kind, wanted)}
    for number, record in records:
        for customer_id in candidates.get(number, ()):
            if customer_id in existing:
                weighed = score(record, existing[customer_id], parameters)
                keep(LikelyDuplicate(number, customer_id, None, weighed))
    for earlier, later in _pairs_in_chunk(records):
        (first, a), (second, b) = records[earlier], records[later]
        keep(LikelyDuplicate(second, None, first, score(a, b, parameters)))
    return sorted(found.values(), key=lambda d: d.row)


def likely_duplicates_report(
    kind: str, rows: list[Any]
) -> list[tuple[int, str, int | None, list[Any]]]:
    """The dry run's report lines (row, outcome, customer, problems) of the chunk's valid rows
    without an exact match that likely duplicate a customer or an earlier row of the chunk."""
    unmatched = [(r.number, r.values) for r in rows if r.valid and r.customer_id is None]
    lines: list[tuple[int, str, int | None, list[Any]]] = []
    for likely in import_likely_duplicates(kind, unmatched):
        evidence = " · ".join(_(label) for _field, label, w in likely.score.evidence if w > 0)
        if likely.customer_id is not None:
            message = _("Possibly customer #%(id)s already in the archive (%(evidence)s).") % {
                "id": likely.customer_id,
                "evidence": evidence,
            }
        else:
            message = _("Possibly the same customer as row %(row)s (%(evidence)s).") % {
                "row": likely.earlier_row,
                "evidence": evidence,
            }
        problem = {"field": "name", "message": message, "value": ""}
        lines.append((likely.row, "valid", likely.customer_id, [problem]))
    return lines
