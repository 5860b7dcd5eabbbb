"""Writing generated demo customers (``kehu.customers.demo``) fast, for demos and benchmarks.

A demo archive of a million customers has to load in minutes, so rows skip the ORM's per-object
work: customer and contact ids are assigned here, each batch goes in as one ``executemany`` per
table inside one transaction, values are adapted for the database once, and sensitive values are
encrypted here exactly as ``EncryptedTextField`` would, each customer's history reusing the token
of the same clear value. Only for generated data: it validates nothing, and it assumes nobody
else writes customers while it runs.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any, NamedTuple

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

from kehu.accounts.models import Membership, User
from kehu.core.bulk import insert_rows
from kehu.core.encryption import EncryptedTextField, encrypt
from kehu.core.forked import iterate_in_child
from kehu.customers.demo import TAGS, DemoCustomer, DemoStaff, generate_customers
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
from kehu.customers.values import lookup_hash
from kehu.search import services as search_services
from kehu.search.models import SearchTerm
from kehu.search.terms import Indexable, exact_value, rows_for

PERSON_FIELDS = (
    "gender",
    "birth_date",
    "household_registration",
    "native_place",
    "height_cm",
    "weight_kg",
    "id_number",
    "id_number_hash",
    "home_address",
    "preferred_products",
    "preferred_channels",
    "purchase_style",
    "employer",
    "position",
    "income_band",
    "career_attitude",
    "marital_status",
    "spouse",
    "children",
    "highest_degree",
    "major",
    "school",
)
ORGANIZATION_FIELDS = (
    "credit_code",
    "legal_representative",
    "industry",
    "size_band",
    "registered_capital",
    "founded_on",
    "ownership_type",
    "business_scope",
    "market_capacity",
    "revenue_band",
    "performance_trend",
    "product_structure",
    "competitiveness",
    "competitors",
    "credit_rating",
    "credit_limit",
    "organisation_notes",
)
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
    Tag.objects.bulk_create([Tag(name=name) for name in TAGS], ignore_conflicts=True)
    users = dict(User.objects.values_list("username", "id"))
    teams: dict[int, int] = {}
    for user_id, team_id in Membership.objects.order_by("id").values_list("user_id", "team_id"):
        teams.setdefault(user_id, team_id)
    return _Ids(
        users=users,
        teams=teams,
        channels=dict(Channel.objects.values_list("code", "id")),
        tags=dict(Tag.objects.filter(name__in=TAGS).values_list("name", "id")),
    )


def sqlite_datetime(value: datetime | None) -> str | None:
    # What Django's SQLite backend stores (naive UTC as text), without its checks: 3x faster.
    return None if value is None else str(value.astimezone(UTC).replace(tzinfo=None))


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field.column


def bulk_insert(
    cursor: Any, model: type[models.Model], fields: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    columns = [_column(model, name) for name in fields]
    insert_rows(cursor, model._meta.db_table, columns, rows)


class _Batch:
    """The rows of one batch, table by table, adapted for the database."""

    def __init__(self, ids: _Ids) -> None:
        self.ids = ids
        ops = connection.ops
        self.dt: Callable[[datetime | None], Any] = ops.adapt_datetimefield_value
        if connection.vendor == "sqlite":
            self.dt = sqlite_datetime
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
                 self.dt(change.at), change.note)
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
        return _Rows(
            self.customers, self.people, self.organizations, self.contacts, self.phones,
            self.emails, self.tags, self.shares, self.changes, self.search,
        )  # fmt: skip


class _Rows(NamedTuple):
    """One batch's rows, table by table: what the producer process sends the writer."""

    customers: list[tuple[Any, ...]]
    people: list[tuple[Any, ...]]
    organizations: list[tuple[Any, ...]]
    contacts: list[tuple[Any, ...]]
    phones: list[tuple[Any, ...]]
    emails: list[tuple[Any, ...]]
    tags: list[tuple[Any, ...]]
    shares: list[tuple[Any, ...]]
    changes: list[tuple[Any, ...]]
    search: list[tuple[Any, ...]]


CUSTOMER_FIELDS = (
    "id", "created_at", "updated_at", "name", "kind", "lifecycle_stage", "grade", "status",
    "owner", "team", "source_channel", "address", "province", "city", "district", "region_code",
    "notes", "custom_values", "custom_sensitive", "archived_at",
)  # fmt: skip
CONTACT_FIELDS = (
    "id", "created_at", "updated_at", "customer", "name", "role", "title", "birthday", "notes",
)  # fmt: skip
CHANGE_FIELDS = (
    "customer", "field", "old_value", "new_value", "sensitive", "channel", "changed_by",
    "changed_at", "note",
)  # fmt: skip


@transaction.atomic
def _write(rows: _Rows) -> None:
    with connection.cursor() as cursor:
        bulk_insert(cursor, Customer, CUSTOMER_FIELDS, rows.customers)
        bulk_insert(cursor, PersonProfile, ("customer", *PERSON_FIELDS), rows.people)
        organization_fields = ("customer", *ORGANIZATION_FIELDS)
        bulk_insert(cursor, OrganizationProfile, organization_fields, rows.organizations)
        bulk_insert(cursor, Contact, CONTACT_FIELDS, rows.contacts)
        bulk_insert(cursor, Phone, ("customer", "contact", "number", "label"), rows.phones)
        bulk_insert(cursor, Email, ("customer", "contact", "address"), rows.emails)
        bulk_insert(cursor, Customer.tags.through, ("customer", "tag"), rows.tags)
        bulk_insert(cursor, Customer.shared_with.through, ("customer", "user"), rows.shares)
        bulk_insert(cursor, CustomerChange, CHANGE_FIELDS, rows.changes)
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
            written += len(rows.customers)
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
