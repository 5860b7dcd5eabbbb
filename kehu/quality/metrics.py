# Over 500 lines: one definition per data-quality metric, each short and independent; a list
# read from top to bottom, not a tangle.
"""The data-quality measures and the rules behind them.

Four families, each a share with the customers behind it:

* completeness — the registry's ``completeness`` fields filled, per kind and field (the same
  fields ``kehu.customers.selectors.completeness_of`` scores on the 360° page);
* validity — stored values that pass the archive's validation (phones, e-mails, ID numbers,
  credit codes, dates not in the future, numbers in range, addresses with a resolvable region);
* consistency — facts that contradict each other (birth date or gender vs the ID number, the
  province vs the phones' home areas, vs the credit code's region digits, one organization
  name under several credit codes);
* freshness — customers neither updated nor reviewed within N months.

Rules that SQL can express are counted with aggregates and drilled into live (``rule_q``);
the others stream the rows they need in chunks and keep the ids found (capped) for the
drill-down. Only live customers count: active and in the public pool.
"""

import calendar
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.core.creditcode import validate_credit_code
from kehu.core.idcard import parse_id_number
from kehu.core.phones import MAINLAND_COUNTRY_CODE, normalize_phone
from kehu.core.regions import provinces, region_for_adcode
from kehu.customers.fields import BUILTIN_FIELDS, FieldSpec, Store, Type
from kehu.customers.models import Customer, Email, OrganizationProfile, PersonProfile, Phone
from kehu.customers.selectors import field_specs_for

KINDS = (Customer.Kind.PERSON, Customer.Kind.ORGANIZATION)
ISSUE_ID_CAP = 1_000  # customer ids kept per Python-checked rule, for the drill-down
CHUNK_SIZE = 10_000
EARLIEST = date(1850, 1, 1)


def live_customers() -> QuerySet[Customer]:
    return Customer.objects.live()


# --- completeness -----------------------------------------------------------------------------


def filled_q(spec: FieldSpec) -> Q | None:
    """Customers whose ``spec`` field is filled, as a filter; None when SQL cannot tell (a
    sensitive custom field is encrypted as a whole)."""
    if spec.store == Store.RELATED:
        if spec.code == "tags":
            through = Customer.tags.through.objects.filter(customer_id=OuterRef("pk"))
            return Q(Exists(through))
        model = Phone if spec.code == "phones" else Email
        return Q(Exists(model.objects.filter(customer_id=OuterRef("pk"), contact__isnull=True)))
    if spec.store == Store.CUSTOM:
        if spec.sensitive is not None:
            return None
        key = f"custom_values__{spec.attr}"
        return Q(custom_values__has_key=spec.attr) & ~Q(**{key: ""}) & ~Q(**{key: None})
    prefix = {Store.PERSON: "person__", Store.ORGANIZATION: "organization__"}.get(spec.store, "")
    if spec.type == Type.CHANNEL:
        return Q(source_channel__isnull=False)
    if spec.type in {Type.DATE, Type.INTEGER, Type.DECIMAL, Type.BOOLEAN}:
        return Q(**{f"{prefix}{spec.attr}__isnull": False})
    # Text-like: "greater than empty" is false for both "" and a missing profile row (NULL).
    return Q(**{f"{prefix}{spec.attr}__gt": ""})


def completeness_specs(kind: str) -> list[FieldSpec]:
    return [spec for spec in field_specs_for(kind).values() if spec.completeness]


def measure_completeness() -> dict[str, Any]:
    """Per kind: customers, and per counted field how many have it filled."""
    by_kind: dict[str, Any] = {}
    filled_total = slots_total = 0
    for kind in KINDS:
        specs = [(s, q) for s in completeness_specs(kind) if (q := filled_q(s)) is not None]
        aggregates: dict[str, Any] = {"total": Count("pk")}
        for index, (_spec, q) in enumerate(specs):
            aggregates[f"f{index}"] = Count("pk", filter=q)
        counts = live_customers().filter(kind=kind).aggregate(**aggregates)
        total = counts["total"]
        fields = {
            spec.code: {"filled": counts[f"f{index}"], "total": total}
            for index, (spec, _q) in enumerate(specs)
        }
        filled = sum(f["filled"] for f in fields.values())
        slots = total * len(fields)
        by_kind[kind] = {"customers": total, "fields": fields, "share": share(filled, slots)}
        filled_total += filled
        slots_total += slots
    return {"share": share(filled_total, slots_total), "by_kind": by_kind}


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    code: str
    family: str  # "validity" or "consistency"
    label: str | Promise
    # SQL rules: the customers the rule looks at, and those failing it.
    population: Callable[[], Q] | None = None
    failing: Callable[[], Q] | None = None

    @property
    def in_sql(self) -> bool:
        return self.failing is not None


def _today() -> date:
    return timezone.localdate()


def _dates_present() -> Q:
    return Q(person__birth_date__isnull=False) | Q(organization__founded_on__isnull=False)


def _dates_failing() -> Q:
    today = _today()
    q = Q()
    for spec in BUILTIN_FIELDS:
        if spec.type == Type.DATE and spec.store in {Store.PERSON, Store.ORGANIZATION}:
            name = f"{spec.store}__{spec.attr}"
            q |= Q(**{f"{name}__lt": EARLIEST})
            if spec.past_only:
                q |= Q(**{f"{name}__gt": today})
    return q


def _ranged_specs() -> list[FieldSpec]:
    return [
        spec
        for spec in BUILTIN_FIELDS
        if spec.store in {Store.PERSON, Store.ORGANIZATION}
        and (spec.min_value is not None or spec.max_value is not None)
    ]


def _numbers_present() -> Q:
    q = Q(pk__in=[])
    for spec in _ranged_specs():
        q |= Q(**{f"{spec.store}__{spec.attr}__isnull": False})
    return q


def _numbers_failing() -> Q:
    q = Q(pk__in=[])
    for spec in _ranged_specs():
        name = f"{spec.store}__{spec.attr}"
        if spec.min_value is not None:
            q |= Q(**{f"{name}__lt": spec.min_value})
        if spec.max_value is not None:
            q |= Q(**{f"{name}__gt": spec.max_value})
    return q


def _org_names_with_codes() -> Q:
    return Q(kind=Customer.Kind.ORGANIZATION, organization__credit_code__gt="")


def _org_names_failing() -> Q:
    shared = (
        live_customers()
        .filter(_org_names_with_codes())
        .values("name")
        .annotate(codes=Count("organization__credit_code", distinct=True))
        .filter(codes__gt=1)
        .values("name")
    )
    return _org_names_with_codes() & Q(name__in=shared)


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("phones", "validity", _("phone numbers that are not valid numbers")),
        Rule("emails", "validity", _("e-mail addresses that are not valid")),
        Rule("id_number", "validity", _("ID numbers failing the checksum or date checks")),
        Rule("credit_code", "validity", _("credit codes failing the checksum")),
        Rule(
            "dates",
            "validity",
            _("birth or founding dates in the future or before 1850"),
            _dates_present,
            _dates_failing,
        ),
        Rule(
            "numbers",
            "validity",
            _("heights, weights, capital or credit limits out of range"),
            _numbers_present,
            _numbers_failing,
        ),
        Rule(
            "region",
            "validity",
            _("addresses whose region cannot be resolved"),
            lambda: Q(address__gt=""),
            lambda: Q(address__gt="", province=""),
        ),
        Rule("id_birth_date", "consistency", _("birth date differs from the ID number")),
        Rule("id_gender", "consistency", _("gender differs from the ID number")),
        Rule(
            "phone_region",
            "consistency",
            _("province differs from every phone's home area"),
        ),
        Rule(
            "credit_code_region",
            "consistency",
            _("province differs from the credit code's region"),
        ),
        Rule(
            "org_name_codes",
            "consistency",
            _("one organization name under several credit codes"),
            _org_names_with_codes,
            _org_names_failing,
        ),
    )
}


@dataclass
class Tally:
    """What one rule found: values looked at, values failing, and (capped) the customers."""

    checked: int = 0
    failing: int = 0
    customers: int = 0
    ids: list[int] = field(default_factory=list)
    _last: int | None = None

    def look(self, customer_id: int, ok: bool) -> None:
        self.checked += 1
        if not ok:
            self.failing += 1
            if customer_id != self._last:
                self.customers += 1
                self._last = customer_id
                if len(self.ids) < ISSUE_ID_CAP:
                    self.ids.append(customer_id)

    def result(self) -> dict[str, int]:
        return {"checked": self.checked, "failing": self.failing, "customers": self.customers}


def _stream(queryset: QuerySet[Any]) -> Iterator[Any]:
    return queryset.iterator(chunk_size=CHUNK_SIZE)


def _province_key(name: str) -> str:
    # Two characters tell every province apart (山西/陕西, 内蒙/黑龙 …) and match both the
    # archive's 浙江省 and the phone geocoder's 浙江杭州.
    return name[:2]


@cache
def _province_keys() -> frozenset[str]:
    return frozenset(_province_key(region.province) for region in provinces())


@cache
def _phone_province(prefix: str) -> str:
    """The province key of a mainland number's home area, from ``phonenumbers``' offline
    geocoder ("" when unknown); cached by prefix (mobile: 7 digits, landline: area code)."""
    try:
        number = phonenumbers.parse(prefix.ljust(14, "0"), None)
    except phonenumbers.NumberParseException:
        return ""
    from phonenumbers import geocoder  # its data takes ~0.6 s to load: not at every start

    key = _province_key(geocoder.description_for_number(number, "zh"))
    return key if key in _province_keys() else ""


def _phone_prefix(e164: str) -> str:
    # +86 1xx xxxx: the home area is in the first 7 digits of a mobile; a landline's area
    # code is 2 or 3 digits, and the first 3 digits never straddle two provinces.
    return e164[:10] if e164[3:4] == "1" else e164[:6]


@cache
def _adcode_province(adcode: str) -> str:
    return _province_key(region_for_adcode(adcode).province)


def _valid_id(number: str) -> Any:
    try:
        return parse_id_number(number)
    except ValidationError:
        return None


def _check_persons(tallies: dict[str, Tally]) -> None:
    rows = (
        PersonProfile.objects.filter(customer__status__in=Customer.LIVE_STATUSES)
        .filter(id_number__gt="")
        .order_by("customer_id")
        .values_list("customer_id", "id_number", "birth_date", "gender")
    )
    for customer_id, number, birth_date, gender in _stream(rows):
        parsed = _valid_id(number)
        tallies["id_number"].look(customer_id, parsed is not None)
        if parsed is None:
            continue
        if birth_date is not None:
            tallies["id_birth_date"].look(customer_id, birth_date == parsed.birth_date)
        if gender:
            tallies["id_gender"].look(customer_id, gender == parsed.gender)


def _valid_phone(e164: str) -> bool:
    """Whether a stored number is what ``normalize_phone`` would store."""
    if _MAINLAND_MOBILE.fullmatch(e164):
        # For 11-digit mainland numbers starting with 1, phonenumbers' metadata decides
        # validity (mobile or not) on the first five digits: one full check per prefix.
        return _valid_mobile_prefix(e164[:8], e164)
    return _normalizes_to_itself(e164)


_MAINLAND_MOBILE = re.compile(r"\+861\d{10}")


def _normalizes_to_itself(e164: str) -> bool:
    try:
        return normalize_phone(e164) == e164
    except ValidationError:
        return False


_mobile_prefixes: dict[str, bool] = {}


def _valid_mobile_prefix(prefix: str, sample: str) -> bool:
    if prefix not in _mobile_prefixes:
        _mobile_prefixes[prefix] = _normalizes_to_itself(sample)
    return _mobile_prefixes[prefix]


def _check_phones(tallies: dict[str, Tally]) -> None:
    rows = (
        Phone.objects.filter(customer__status__in=Customer.LIVE_STATUSES, contact__isnull=True)
        .order_by("customer_id", "id")
        .values_list("customer_id", "number", "customer__province")
    )
    current: int | None = None
    known = matched = False

    def close() -> None:
        if current is not None and known:
            tallies["phone_region"].look(current, matched)

    for customer_id, number, province in _stream(rows):
        if customer_id != current:
            close()
            current, known, matched = customer_id, False, False
        valid = _valid_phone(number)
        tallies["phones"].look(customer_id, valid)
        if not (valid and province and number.startswith(f"+{MAINLAND_COUNTRY_CODE}")):
            continue
        area = _phone_province(_phone_prefix(number))
        if area:
            known = True
            matched = matched or area == _province_key(province)
    close()


def _valid_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _check_emails(tallies: dict[str, Tally]) -> None:
    rows = (
        Email.objects.filter(customer__status__in=Customer.LIVE_STATUSES, contact__isnull=True)
        .order_by("customer_id", "id")
        .values_list("customer_id", "address")
    )
    for customer_id, address in _stream(rows):
        tallies["emails"].look(customer_id, _valid_email(address))


def _valid_credit_code(code: str) -> bool:
    try:
        validate_credit_code(code)
    except ValidationError:
        return False
    return True


def _check_organizations(tallies: dict[str, Tally]) -> None:
    rows = (
        OrganizationProfile.objects.filter(
            customer__status__in=Customer.LIVE_STATUSES, credit_code__gt=""
        )
        .order_by("customer_id")
        .values_list("customer_id", "credit_code", "customer__province")
    )
    for customer_id, code, province in _stream(rows):
        valid = _valid_credit_code(code)
        tallies["credit_code"].look(customer_id, valid)
        if valid and province:
            region = _adcode_province(code[2:8])
            if region:
                tallies["credit_code_region"].look(customer_id, region == _province_key(province))


PYTHON_CHECKS = {
    "id_number": _check_persons,
    "phones": _check_phones,
    "emails": _check_emails,
    "credit_code": _check_organizations,
}


def rule_q(rule: Rule) -> Q:
    """The failing customers of a SQL rule, as a filter."""
    if rule.failing is None:
        raise ValueError(f"rule {rule.code} is checked in Python, not SQL")
    return rule.failing()


def measure_rules(timings: dict[str, float]) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """Every rule's counts by family, and the ids behind the Python-checked rules."""
    results: dict[str, dict[str, Any]] = {"validity": {}, "consistency": {}}
    tallies = {code: Tally() for code, rule in RULES.items() if not rule.in_sql}
    for name, check in PYTHON_CHECKS.items():
        started = time.perf_counter()
        check(tallies)
        timings[f"python:{name}"] = round(time.perf_counter() - started, 3)
    for code, rule in RULES.items():
        started = time.perf_counter()
        if rule.in_sql:
            population = rule.population() if rule.population else Q()
            counts = live_customers().aggregate(
                checked=Count("pk", filter=population),
                failing=Count("pk", filter=rule_q(rule)),
            )
            result = {**counts, "customers": counts["failing"]}
            timings[f"sql:{code}"] = round(time.perf_counter() - started, 3)
        else:
            result = tallies[code].result()
        results[rule.family][code] = result
    families = {}
    for family, rules in results.items():
        checked = sum(r["checked"] for r in rules.values())
        failing = sum(r["failing"] for r in rules.values())
        families[family] = {"share": share(checked - failing, checked), "rules": rules}
    ids = {code: tally.ids for code, tally in tallies.items()}
    return families, ids


# --- freshness --------------------------------------------------------------------------------


def months_before(moment: datetime, months: int) -> datetime:
    """The same time ``months`` calendar months earlier (the day clipped to the month's end)."""
    year, month_index = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month = month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def stale_q(months: int, now: datetime | None = None) -> Q:
    """Customers neither updated nor reviewed in the last ``months`` months."""
    cutoff = months_before(now or timezone.now(), months)
    return Q(updated_at__lt=cutoff) & (Q(reviewed_at__isnull=True) | Q(reviewed_at__lt=cutoff))


def measure_freshness(months: int) -> dict[str, Any]:
    counts = live_customers().aggregate(
        total=Count("pk"), stale=Count("pk", filter=stale_q(months))
    )
    return {**counts, "months": months, "share_stale": share(counts["stale"], counts["total"])}


# --- all together -----------------------------------------------------------------------------


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to measure."""
    return round(100 * part / whole, 1) if whole else None


def measure_all(
    *, months: int, duplicates_pending: Callable[[], int] | None = None
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """Every metric of a snapshot, with seconds spent per part, and the drill-down ids."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    total = live_customers().count()
    completeness_started = time.perf_counter()
    completeness = measure_completeness()
    timings["completeness"] = round(time.perf_counter() - completeness_started, 3)
    rules, ids = measure_rules(timings)
    freshness_started = time.perf_counter()
    freshness = measure_freshness(months)
    timings["freshness"] = round(time.perf_counter() - freshness_started, 3)
    metrics: dict[str, Any] = {
        "total": total,
        "completeness": completeness,
        "validity": rules["validity"],
        "consistency": rules["consistency"],
        "freshness": freshness,
    }
    if duplicates_pending is not None:
        dup_started = time.perf_counter()
        metrics["duplicates_pending"] = duplicates_pending()
        timings["duplicates"] = round(time.perf_counter() - dup_started, 3)
    timings["total"] = round(time.perf_counter() - started, 3)
    metrics["timings"] = timings
    return metrics, ids
