"""Writing generated demo customers (``kehu.demo.customers``) fast, for demos and benchmarks.

A demo archive of a million customers has to load in minutes, so rows skip the ORM's per-object
work: customer and contact ids are assigned here, each batch goes in as one ``executemany`` per
table inside one transaction, values are adapted for the database once, and sensitive values are
encrypted here exactly as ``EncryptedTextField`` would, each customer's history reusing the token
of the same clear value. Only for generated data: it validates nothing, and it assumes nobody
else writes customers while it runs.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, NamedTuple

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from kehu.accounts.models import Membership, User
from kehu.core.bulk import datetime_adapter
from kehu.core.encryption import EncryptedTextField, encrypt
from kehu.core.forked import iterate_in_child
from kehu.customers.bulk import (
    ORGANIZATION_FIELDS,
    PERSON_FIELDS,
    CustomerRows,
    customer_rows_insert,
    tag_ids,
)
from kehu.customers.models import Channel, Contact, Customer, PersonProfile
from kehu.customers.values import lookup_hash
from kehu.demo.customers import TAGS, DemoCustomer, DemoStaff, generate_customers
from kehu.search import services as search_services
from kehu.search.models import SearchTerm
from kehu.search.terms import Indexable, exact_value, rows_for

ENCRYPTED_PERSON_FIELDS = tuple(
    f.name for f in PersonProfile._meta.concrete_fields if isinstance(f, EncryptedTextField)
)


@dataclass
class _Ids:
    users: dict[str, int]
    teams: dict[int, int]  # user id -> team id
    channels: dict[str, int]
    tags: dict[str, int]


def _lookups(staff: DemoStaff) -> _Ids:
    users = dict(User.objects.values_list("username", "id"))
    teams: dict[int, int] = {}
    for user_id, team_id in Membership.objects.order_by("id").values_list("user_id", "team_id"):
        teams.setdefault(user_id, team_id)
    return _Ids(
        users=users,
        teams=teams,
        channels=dict(Channel.objects.values_list("code", "id")),
        tags=tag_ids(TAGS),
    )


class _Batch:
    """The rows of one batch, table by table, adapted for the database."""

    def __init__(self, ids: _Ids) -> None:
        self.ids = ids
        ops = connection.ops
        self.dt: Callable[[datetime | None], Any] = datetime_adapter()
        self.date = ops.adapt_datefield_value
        self.decimal = ops.adapt_decimalfield_value
        self.empty_json = Customer._meta.get_field("custom_values").get_db_prep_save({}, connection)
        self.customers: list[tuple[Any, ...]] = []
        self.people: list[tuple[Any, ...]] = []
        self.organizations: list[tuple[Any, ...]] = []
        self.contacts: list[tuple[Any, ...]] = []
        self.phones: list[tuple[Any, ...]] = []
        self.emails: list[tuple[Any, ...]] = []
        self.tags: list[tuple[Any, ...]] = []
        self.shares: list[tuple[Any, ...]] = []
        self.changes: list[tuple[Any, ...]] = []
        self.search: list[tuple[Any, ...]] = []

    def add(self, customer_id: int, record: DemoCustomer, next_contact_id: int) -> int:
        """Add the rows of one customer; returns the next free contact id."""
        ids = self.ids
        tokens: dict[str, str] = {}

        def secret(value: str) -> str:
            if not value:
                return value
            token = tokens.get(value)
            if token is None:
                token = tokens[value] = encrypt(value)
            return token

        owner_id = ids.users.get(record.owner) if record.owner else None
        created, updated = self.dt(record.created_at), self.dt(record.updated_at)
        region = record.region
        self.customers.append(
            (
                customer_id,
                created,
                updated,
                record.name,
                record.kind,
                record.lifecycle_stage,
                record.grade,
                record.status,
                owner_id,
                ids.teams.get(owner_id) if owner_id else None,
                ids.channels.get(record.source_channel),
                record.address,
                region.province,
                region.city,
                region.district,
                region.adcode,
                "",
                self.empty_json,
                "",
                self.dt(record.archived_at),
            )
        )
        if record.person is not None:
            person = dict(record.person)
            person["id_number_hash"] = lookup_hash(person["id_number"])
            person["birth_date"] = self.date(person["birth_date"])
            for name in ENCRYPTED_PERSON_FIELDS:
                person[name] = secret(person[name])
            self.people.append((customer_id, *(person[name] for name in PERSON_FIELDS)))
        if record.organization is not None:
            org = dict(record.organization)
            org["founded_on"] = self.date(org["founded_on"])
            for name in ("registered_capital", "credit_limit"):
                if org[name] is not None:
                    org[name] = self.decimal(org[name], 14, 2)
            self.organizations.append((customer_id, *(org[name] for name in ORGANIZATION_FIELDS)))
        for number in record.phones:
            self.phones.append((customer_id, None, number, ""))
        for address in record.emails:
            self.emails.append((customer_id, None, address))
        for contact in record.contacts:
            contact_id, next_contact_id = next_contact_id, next_contact_id + 1
            birthday = self.date(contact.birthday) if contact.birthday else None
            self.contacts.append(
                (contact_id, created, created, customer_id, contact.name, contact.role,
                 contact.title, birthday, "")
            )  # fmt: skip
            for number in contact.phones:
                self.phones.append((customer_id, contact_id, number, ""))
            for address in contact.emails:
                self.emails.append((customer_id, contact_id, address))
        for tag in record.tags:
            self.tags.append((customer_id, ids.tags[tag]))
        for username in record.shared_with:
            self.shares.append((customer_id, ids.users[username]))
        if record.status in Customer.LIVE_STATUSES:
            self.search.extend(rows_for(self._indexable(customer_id, record, owner_id)))
        for change in record.changes:
            old, new = change.old, change.new
            if change.sensitive:
                old, new = secret(old), secret(new)
            self.changes.append(
                (customer_id, change.field, old, new, change.sensitive,
                 ids.channels.get(change.channel) if change.channel else None,
                 ids.users.get(change.by) if change.by else None,
                 self.dt(change.at), change.note, None)
            )  # fmt: skip
        return next_contact_id

    def _indexable(self, customer_id: int, record: DemoCustomer, owner_id: int | None) -> Indexable:
        """What the search index holds of this customer (as ``kehu.search.services`` reads it
        from the database)."""
        emails = [*record.emails, *(a for c in record.contacts for a in c.emails)]
        hashes = [lookup_hash(exact_value(a, email=True)) for a in emails]
        if record.person is not None and record.person["id_number"]:
            hashes.append(lookup_hash(record.person["id_number"]))
        if record.organization is not None and record.organization["credit_code"]:
            hashes.append(lookup_hash(exact_value(record.organization["credit_code"])))
        return Indexable(
            customer_id=customer_id,
            owner_id=owner_id,
            team_id=self.ids.teams.get(owner_id) if owner_id else None,
            person=record.kind == Customer.Kind.PERSON,
            name=record.name,
            contacts=[c.name for c in record.contacts],
            phones=list(record.phones),
            contact_phones=[n for c in record.contacts for n in c.phones],
            hashes=hashes,
            tags=list(record.tags),
        )

    def rows(self) -> "_Rows":
        archive = CustomerRows(
            self.customers, self.people, self.organizations, self.contacts, self.phones,
            self.emails, self.tags, self.shares, self.changes,
        )  # fmt: skip
        return _Rows(archive, self.search)


class _Rows(NamedTuple):
    """One batch's rows: what the producer process sends the writer."""

    archive: CustomerRows
    search: list[tuple[Any, ...]]


@transaction.atomic
def _write(rows: _Rows) -> None:
    with connection.cursor() as cursor:
        customer_rows_insert(cursor, rows.archive)
        search_services.insert_rows(cursor, rows.search)


@dataclass(frozen=True)
class _Plan:
    count: int
    seed: int
    staff: DemoStaff
    now: datetime
    first_id: int
    first_contact_id: int
    batch_size: int
    ids: _Ids


def _batches(plan: _Plan) -> Iterator[_Rows]:
    """Generate the customers and prepare their rows (the CPU-heavy part), batch by batch."""
    records = generate_customers(
        plan.count, seed=plan.seed, first_id=plan.first_id, staff=plan.staff, now=plan.now
    )
    contact_id = plan.first_contact_id
    done = 0
    while done < plan.count:
        batch = _Batch(plan.ids)
        for record in islice(records, plan.batch_size):
            contact_id = batch.add(plan.first_id + done, record, contact_id)
            done += 1
        yield batch.rows()


# Below this many customers a second process costs more than it saves.
PARALLEL_FROM = 20_000


def demo_customers_load(
    *,
    count: int,
    seed: int,
    staff: DemoStaff,
    now: datetime,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Generate and write ``count`` customers, one transaction per batch; returns the count.

    ``progress`` is called with the number written so far after each batch.
    """
    plan = _Plan(
        count=count,
        seed=seed,
        staff=staff,
        now=now,
        first_id=(Customer.objects.aggregate(last=Max("id"))["last"] or 0) + 1,
        first_contact_id=(Contact.objects.aggregate(last=Max("id"))["last"] or 0) + 1,
        batch_size=batch_size,
        ids=_lookups(staff),
    )
    if connection.vendor == "sqlite":
        # A bigger page cache for this connection: index inserts at random keys (phones, ID
        # hashes) stop re-reading pages once the tables outgrow the 2 MB default.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MB
    if count >= PARALLEL_FROM:  # generating overlaps writing on the other core
        batches = iterate_in_child(lambda: _batches(plan), what="demo data generation")
    else:
        batches = _batches(plan)
    # Into an empty search index, write the terms first and build its B-tree once at the end.
    bulk_index = count >= PARALLEL_FROM and not SearchTerm.objects.exists()
    if bulk_index:
        search_services.search_index_drop_scan_index()
    written = 0
    try:
        for rows in batches:
            _write(rows)
            written += len(rows.archive.customers)
            if progress is not None:
                progress(written)
    finally:
        if bulk_index:
            search_services.search_index_create_scan_index()
    with connection.cursor() as cursor:
        # PostgreSQL: move the id sequences past the ids given here (SQLite needs nothing).
        for sql in connection.ops.sequence_reset_sql(no_style(), [Customer, Contact]):
            cursor.execute(sql)
        # Fresh statistics, as after any bulk load. Without them SQLite plans a team manager's
        # list through the owner and team indexes and sorts 70% of the archive for each page.
        cursor.execute("ANALYZE")
    return written
