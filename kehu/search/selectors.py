"""Searching customers and their contacts within the user's scope.

A query becomes a few prefix ranges of the index (``kehu.search.terms.plan_query``); each is
scanned with its own small limit, narrowed to the user's scope inside the index for a sales
rep, and the matches are ranked here: exact before prefix before substring, the customer's own
name before a contact's, for a rep their own customers first. The customers themselves are then
read through ``customers_visible_to``: what a user cannot see is never returned and never
counted, whatever the index says.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import record_scope_sql
from kehu.core.phones import mask_phone
from kehu.customers.models import Contact, Customer, Phone
from kehu.customers.selectors import customers_visible_to
from kehu.customers.values import lookup_hashes
from kehu.search.filters import TOP
from kehu.search.models import SearchTerm
from kehu.search.terms import TERM_TEXT, Plan, Probe, normalize, phone_term, plan_query

MAX_RESULTS = 50
SCAN_LIMIT = 200  # rows read per range; a range with more holds only weak matches


class Rank:
    """Lower is better: the whole value typed, the whole name typed in pinyin, the start of a
    value, a part inside it."""

    EXACT, EXACT_PINYIN, PREFIX, SUBSTRING = 0, 1, 2, 3


@dataclass
class Hit:
    customer: Customer
    rank: int
    source: int
    own: bool
    matched: str = ""  # what matched, as the user may see it (a contact's name, masked phone)
    phones: list[str] = field(default_factory=list)  # masked

    @property
    def match_label(self) -> str:
        return str(SearchTerm.Source(self.source).label)


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    more: bool  # more matches than shown (never a count: it could hint at hidden customers)
    narrow: bool = False  # one character with more matches than shown: "type more"
    records: list["Record"] = field(default_factory=list)  # orders, cases, opportunities


def _scope_sql(user: User) -> tuple[str, list[Any]]:
    """SQL narrowing index rows to a rep's scope (a superset: results are re-checked)."""
    condition, params = record_scope_sql(
        user,
        id_column="customer_id",
        shared_table=Customer.shared_with.through._meta.db_table,
    )
    return (f" AND {condition}", params) if condition else ("", [])


def _scan(probes: list[Probe], scope: str, params: list[Any], limit: int) -> list[tuple[Any, ...]]:
    """(probe index, term, customer, source, owner) for each probe's first ``limit`` rows."""
    if not probes:
        return []
    table = connection.ops.quote_name(SearchTerm._meta.db_table)
    selects, args = [], []
    for number, probe in enumerate(probes):
        selects.append(
            f"SELECT * FROM (SELECT {number} AS probe, term, customer_id, source, owner_id "  # noqa: S608
            f"FROM {table} WHERE term >= %s AND term < %s{scope} ORDER BY term LIMIT {limit}) "
            f"AS p{number}"
        )
        args += [probe.prefix, probe.prefix + TOP, *params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), args)
        return list(cursor.fetchall())


def _rank(probe: Probe, term: str) -> int:
    if probe.inner:
        return Rank.SUBSTRING
    if term != probe.prefix or len(term) > TERM_TEXT:  # longer, or possibly cut short
        return Rank.PREFIX
    return Rank.EXACT_PINYIN if term[0] in "PJ" else Rank.EXACT


SHOWN_FIELDS = (
    "id", "name", "kind", "status", "grade", "city", "owner_id", "team_id",
    "owner__id", "owner__username", "owner__display_name", "owner__first_name",
    "owner__last_name",
)  # fmt: skip
_MAINLAND_MOBILE = re.compile(r"\+861\d{10}")


def _masked(e164: str) -> str:
    """``mask_phone`` without parsing the common case, a mainland mobile (138****8000)."""
    if _MAINLAND_MOBILE.fullmatch(e164):
        return f"{e164[3:6]}****{e164[-4:]}"
    return mask_phone(e164)


def _matches_text(plan: Plan, customer: Customer) -> bool:
    """A mixed query (张w) needs its Han characters in the name or a contact's name."""
    if not plan.must_contain:
        return True
    names = [customer.name, *(c.name for c in customer.contacts.all())]
    return any(plan.must_contain in normalize(name) for name in names)


def _matched_detail(hit: Hit, plan: Plan, query: str) -> str:
    if hit.source in (SearchTerm.Source.PHONE, SearchTerm.Source.CONTACT_PHONE):
        prefixes = tuple(p.prefix for p in plan.probes if p.prefix.startswith("T"))
        for phone in hit.customer.phones.all():
            if phone_term(phone.number).startswith(prefixes) or (
                plan.phone_prefix and phone.number.startswith(plan.phone_prefix)
            ):
                return _masked(phone.number)
    if hit.source == SearchTerm.Source.CONTACT:
        for contact in hit.customer.contacts.all():
            if _contact_matches(contact.name, plan):
                return contact.name
    return ""


def _contact_matches(name: str, plan: Plan) -> bool:
    from kehu.search.terms import name_terms

    return any(
        term.startswith(probe.prefix)
        for term in name_terms(name, person=True)
        for probe in plan.probes
    )


def customer_search(*, user: User, q: str, limit: int = 20) -> SearchResult:
    """The customers (and contacts) matching ``q`` that ``user`` may see, best first."""
    limit = max(1, min(limit, MAX_RESULTS))
    plan = plan_query(q[:100], hashes_of=lookup_hashes)
    if not plan.probes:
        return SearchResult(query=q, hits=[], more=False, records=records_for(user=user, q=q))
    records = records_for(user=user, q=q)
    scope, params = _scope_sql(user)
    rows = _scan(plan.probes, scope, params, SCAN_LIMIT)
    if plan.phone_prefix:
        rows += _scan_phone_prefix(plan, SCAN_LIMIT)
    own_rows: list[tuple[Any, ...]] = []
    if scope:
        # A rep's own customers first, even where a range holds more than SCAN_LIMIT matches.
        own_rows = _scan(plan.probes, " AND owner_id = %s", [user.pk], limit)
    best: dict[int, tuple[int, int, int]] = {}  # customer -> (rank, source, order seen)
    for order, (number, term, customer_id, source, _owner) in enumerate(own_rows + rows):
        key = (_rank(plan.probes[number], term), source, order)
        if customer_id not in best or key < best[customer_id]:
            best[customer_id] = key
    if not best:
        return SearchResult(query=q, hits=[], more=False, records=records)
    # Rank before reading customers: read one more than shown (to tell whether there is more),
    # or a few more for a mixed query, whose Han characters are checked against the names.
    read = limit * 3 if plan.must_contain else limit + 1
    ranked_ids = sorted(best, key=lambda cid: best[cid])[:read]
    needs_contacts = plan.must_contain or any(
        best[cid][1] == SearchTerm.Source.CONTACT for cid in ranked_ids
    )
    queryset = (
        customers_visible_to(user)
        .filter(pk__in=ranked_ids)
        .live()
        .select_related("owner")
        .only(*SHOWN_FIELDS)
        .prefetch_related(Prefetch("phones", queryset=Phone.objects.order_by("contact_id", "id")))
    )
    if needs_contacts:
        queryset = queryset.prefetch_related(
            Prefetch("contacts", queryset=Contact.objects.only("id", "name", "customer_id"))
        )
    customers = {c.pk: c for c in queryset}
    hits = []
    for cid in ranked_ids:
        customer = customers.get(cid)
        if customer is None or not _matches_text(plan, customer):
            continue
        rank, source, _order = best[cid]
        hits.append(
            Hit(
                customer=customer,
                rank=rank,
                source=source,
                own=customer.owner_id == user.pk,
            )
        )
    if scope:
        hits.sort(key=lambda h: (h.rank, not h.own, h.source))
    else:
        hits.sort(key=lambda h: (h.rank, h.source))
    for hit in hits[:limit]:
        own_phones = [p.number for p in hit.customer.phones.all() if not p.contact_id]
        hit.phones = [_masked(number) for number in own_phones[:2]]
        hit.matched = _matched_detail(hit, plan, q)
    more = len(hits) > limit
    return SearchResult(
        query=q, hits=hits[:limit], more=more, narrow=more and len(plan.text) == 1,
        records=records,
    )  # fmt: skip


def _scan_phone_prefix(plan: Plan, limit: int) -> list[tuple[Any, ...]]:
    """Rows as ``_scan``'s for the phones starting with the query's digits (7 or more): a range
    of the phone table's index. Not narrowed to a rep's scope here (a 7-digit prefix names a
    handful of numbers): the customers are read through ``customers_visible_to`` anyway."""
    number = len(plan.probes)
    plan.probes.append(Probe("N" + plan.phone_prefix))
    found = (
        Phone.objects.filter(number__gte=plan.phone_prefix, number__lt=plan.phone_prefix + TOP)
        .order_by("number")
        .values_list("number", "customer_id", "contact_id")[:limit]
    )
    return [
        (number, "N" + phone, customer_id,
         SearchTerm.Source.PHONE if contact_id is None else SearchTerm.Source.CONTACT_PHONE, None)
        for phone, customer_id, contact_id in found
    ]  # fmt: skip


# --- order, case and opportunity numbers -------------------------------------------------------

_RECORD_NUMBER = re.compile(r"^(SO|SR|OP)-?0*(\d{1,12})$")


@dataclass
class Record:
    """An order, case or opportunity a query names by its number."""

    kind: str  # order, case, opportunity
    label: str  # the kind, translated
    number: str
    title: str
    customer: str
    url: str


def record_numbers(q: str) -> list[tuple[str, int]]:
    """(prefix, number) when ``q`` is shaped like an order (SO000000123), case (SR-000123) or
    opportunity (OP-000123) number, with or without the dash and leading zeros."""
    match = _RECORD_NUMBER.match(normalize_number(q))
    return [(match[1], int(match[2]))] if match else []


def normalize_number(q: str) -> str:
    return "".join(unicodedata.normalize("NFKC", q).split()).upper()


def records_for(*, user: Any, q: str) -> list[Record]:
    """The order, case or opportunity ``q`` names by number, if ``user`` may see it."""
    from kehu.sales.selectors import opportunities_visible_to, orders_visible_to
    from kehu.service.selectors import cases_visible_to

    found: list[Record] = []
    for prefix, value in record_numbers(q):
        if prefix == "SO":
            for order in (
                orders_visible_to(user).filter(number=f"SO{value:09d}").select_related("customer")
            ):
                found.append(Record("order", str(_("Order")), order.number,
                                    f"{order.total_amount} {order.currency}", order.customer.name,
                                    order.get_absolute_url()))  # fmt: skip
        elif prefix == "SR":
            for case in cases_visible_to(user).filter(pk=value).select_related("customer"):
                found.append(Record("case", str(_("Case")), case.number, case.subject,
                                    case.customer.name, case.get_absolute_url()))  # fmt: skip
        else:
            for opportunity in (
                opportunities_visible_to(user).filter(pk=value).select_related("customer")
            ):
                found.append(Record("opportunity", str(_("Opportunity")),
                                    f"OP-{opportunity.pk:06d}", opportunity.name,
                                    opportunity.customer.name,
                                    opportunity.get_absolute_url()))  # fmt: skip
    return found
