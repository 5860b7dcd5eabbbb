"""Which customers a user may see and change (the record scope as querysets and conditions)."""

import functools
import threading
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.core.access import (
    Scope,
    can_record_facts,
    can_reveal,
    policy_for,
    record_scope_q,
    require,
)
from kehu.customers.fields import (
    FieldSpec,
    Group,
)
from kehu.customers.models import (
    Contact,
    Customer,
    CustomerQuerySet,
    Email,
    Phone,
    Tag,
)
from kehu.customers.selectors.common import sql_names


def _scope_q(user: User, *, for_change: bool = False) -> Q:
    # "Shared with the user" as a subquery rather than a join: a join repeats rows, and the
    # DISTINCT that removes them made SQLite sort every visible customer for each list page
    # (0.7 s for a team manager at 100,000 customers).
    q = record_scope_q(user, for_change=for_change, shared_field=None)
    policy = policy_for(user)
    if (policy.change if for_change else policy.view) is Scope.OWN:
        shared = Customer.shared_with.through.objects.filter(user=user).values("customer_id")
        q |= Q(pk__in=shared)
    return q


def customers_visible_to(user: User) -> CustomerQuerySet:
    """The customers ``user`` may see. A rep's list never hints at another rep's customers."""
    return Customer.objects.filter(_scope_q(user))


def customers_visible_q(user: User, *, prefix: str) -> Q:
    """The scope of ``customers_visible_to`` as a filter on a related customer (``prefix``, e.g.
    ``"customer__"``), for records that belong to a customer (tasks, cases, ratings).

    Checked row by row through the join, where ``customer__in=customers_visible_to(user)`` makes
    the database first list every visible customer's id: a team manager's list is a scan of
    the whole archive (0.5 s per query at 100,000 customers), and for a role that sees every
    customer the filter is no filter at all (an empty Q here)."""
    policy = policy_for(user)
    if policy.view is Scope.ALL:
        return Q()
    if policy.view is Scope.NONE:
        return Q(pk__in=[])
    q = record_scope_q(
        user, owner_field=f"{prefix}owner", shared_field=None, team_field=f"{prefix}team"
    )
    return q | _shared_with_q(user, prefix)


def customers_changeable_by(user: User) -> CustomerQuerySet:
    return Customer.objects.filter(_scope_q(user, for_change=True))


def customers_changeable_q(user: User, *, prefix: str) -> Q:
    """The scope of ``customers_changeable_by`` as a filter on a related customer (``prefix``,
    e.g. ``"customer__"``): the opportunities and orders ``user`` may change, checked row by
    row through the join as ``customers_visible_q`` does."""
    policy = policy_for(user)
    if policy.change is Scope.ALL:
        return Q()
    if policy.change is Scope.NONE:
        return Q(pk__in=[])
    q = record_scope_q(
        user,
        for_change=True,
        owner_field=f"{prefix}owner",
        shared_field=None,
        team_field=f"{prefix}team",
    )
    return q | _shared_with_q(user, prefix)


def _shared_with_q(user: User, prefix: str) -> Q:
    """The related customer is shared with ``user``: a test of each row's customer on the
    share's unique index. As ``customer_id IN (the user's shares)`` PostgreSQL costed the list
    of shares once per row and joined a few reminders to every customer instead (the menu's
    "reminders due" badge: 100 ms at 1,000,000 customers, on every page of a team manager)."""
    shared = Customer.shared_with.through.objects.filter(
        user=user, customer_id=OuterRef(f"{prefix}pk")
    )
    return Q(Exists(shared))


# What a customer's page shows of it beside its own row, loaded in the same query.
CUSTOMER_PAGE_RELATED = ("owner", "team", "source_channel", "person", "organization")


def customer_get_for_user(*, user: User, customer_id: int) -> Customer:
    """The customer with what its page needs, if ``user`` may see it; else 404 (never 403).

    Its owner, team, channel and profile come with it; its tags, phones, e-mails, sharing and
    contacts (with theirs) are prefetched, as ``prefetch_related`` would: ``customer.phones.all()``
    reads no more rows. Whether the user may see it is answered without a query where the
    policy alone (or the customer's owner) decides, as in ``customer_can_change``."""
    scope = policy_for(user).view
    if scope is Scope.NONE:
        raise Http404
    customer = _customer_by_pk(customer_id)
    if customer is None:
        raise Http404
    if (
        scope is not Scope.ALL
        and customer.owner_id != user.pk
        and not customers_visible_to(user).filter(pk=customer_id).exists()
    ):
        raise Http404
    _prefetch_related_rows(customer)
    return customer


# The compiled customer query of this thread's connection (see ``_customer_by_pk_compiled``).
_compiled = threading.local()


def _customer_by_pk_compiled(connection: BaseDatabaseWrapper) -> tuple[SQLCompiler, str]:
    """The customer with ``CUSTOMER_PAGE_RELATED`` by its id, compiled once per connection
    (compiling those 92 columns cost more than reading them): the compiler, set up as executing
    the query leaves it, and the SQL, whose one parameter is the id. Kept per thread, as the
    connection is, so it goes with the thread (a development server starts one per request)."""
    kept = getattr(_compiled, "customer", None)
    if kept is None or kept[0] is not connection:
        queryset = Customer.objects.select_related(*CUSTOMER_PAGE_RELATED).filter(pk=0)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        if list(params) != [0]:
            raise AssertionError(f"unexpected parameters {params!r}")
        kept = _compiled.customer = (connection, compiler, sql)
    return kept[1], kept[2]


def _customer_by_pk(customer_id: int) -> Customer | None:
    """The customer of ``Customer.objects.select_related(*CUSTOMER_PAGE_RELATED)`` with this
    id, or None, read with the compiled query; the row becomes the customer and its related
    objects as in Django's ``ModelIterable``."""
    alias = router.db_for_read(Customer)
    connection = connections[alias]
    compiler, sql = _customer_by_pk_compiled(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    select, klass_info = compiler.select, compiler.klass_info
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    row = next(iter(compiler.results_iter([rows])))
    customer = Customer.from_db(alias, init_list, row[start:end])
    for populator in get_related_populators(klass_info, select, alias):
        populator.populate(row, customer)
    return customer


@functools.cache
def _related_rows_sql(alias: str) -> str:
    """One query for the phones and e-mails of a customer and of its contacts, its tags, and the
    ids of its contacts and of the users it is shared with, as rows (kind, id, customer id,
    contact id, text, label, sort name); its one parameter, the customer's id, nine times.

    Tags come in the database's order of their names (``Tag.Meta.ordering``, the collation
    of the database), the other rows by id (their ``Meta.ordering``)."""

    def names(model: type[models.Model], *fields: str) -> list[str]:
        return sql_names(alias, model, *fields)

    phone, p_id, p_customer, p_contact, p_number, p_label = names(
        Phone, "id", "customer", "contact", "number", "label"
    )
    email, e_id, e_customer, e_contact, e_address = names(
        Email, "id", "customer", "contact", "address"
    )
    tag, t_id, t_name = names(Tag, "id", "name")
    tagged, tagged_tag, tagged_customer = names(Customer.tags.through, "tag", "customer")
    shared, shared_user, shared_customer = names(Customer.shared_with.through, "user", "customer")
    contact, c_id, c_customer = names(Contact, "id", "customer")
    # Every name comes from the models and is quoted; the customer's id is a parameter. The
    # contacts' rows come by a join, not "OR contact IN (…)", which PostgreSQL would answer with
    # a scan of every phone.
    return (
        f"SELECT 'phone' AS kind, {p_id} AS id, {p_customer} AS customer_id,"  # noqa: S608
        f" {p_contact} AS contact_id, {p_number} AS text, {p_label} AS label, '' AS sort_name"
        f" FROM {phone} WHERE {p_customer} = %s"
        f" UNION ALL SELECT 'phone', p.{p_id}, p.{p_customer}, p.{p_contact}, p.{p_number},"
        f" p.{p_label}, '' FROM {phone} p JOIN {contact} c ON c.{c_id} = p.{p_contact}"
        f" WHERE c.{c_customer} = %s AND p.{p_customer} <> %s"
        f" UNION ALL SELECT 'email', {e_id}, {e_customer}, {e_contact}, {e_address}, '', ''"
        f" FROM {email} WHERE {e_customer} = %s"
        f" UNION ALL SELECT 'email', e.{e_id}, e.{e_customer}, e.{e_contact}, e.{e_address},"
        f" '', '' FROM {email} e JOIN {contact} c ON c.{c_id} = e.{e_contact}"
        f" WHERE c.{c_customer} = %s AND e.{e_customer} <> %s"
        f" UNION ALL SELECT 'tag', t.{t_id}, NULL, NULL, t.{t_name}, '', t.{t_name}"
        f" FROM {tag} t JOIN {tagged} x ON x.{tagged_tag} = t.{t_id}"
        f" WHERE x.{tagged_customer} = %s"
        f" UNION ALL SELECT 'shared', {shared_user}, NULL, NULL, '', '', ''"
        f" FROM {shared} WHERE {shared_customer} = %s"
        f" UNION ALL SELECT 'contact', {c_id}, NULL, NULL, '', '', ''"
        f" FROM {contact} WHERE {c_customer} = %s"
        " ORDER BY 1, 7, 2"
    )


def _prefetch_related_rows(customer: Customer) -> None:
    """Fill ``customer``'s prefetch caches for its tags, phones, e-mails, sharing and contacts
    (and the contacts' phones and e-mails) from one query, where ``prefetch_related`` needs
    seven compiled ORM queries; the contacts and the users shared with are read (as
    ``prefetch_related`` reads them) only when there are any."""
    alias = customer._state.db or DEFAULT_DB_ALIAS
    with connections[alias].cursor() as cursor:
        cursor.execute(_related_rows_sql(alias), [customer.pk] * 9)
        rows = cursor.fetchall()
    phones: list[Phone] = []
    emails: list[Email] = []
    tags: list[Tag] = []
    has_contacts = has_shared = False
    for kind, pk, customer_id, contact_id, text, label, _sort_name in rows:
        if kind == "phone":
            phone_row = (pk, customer_id, contact_id, text, label)
            phones.append(Phone.from_db(alias, PHONE_COLUMNS, phone_row))
        elif kind == "email":
            email_row = (pk, customer_id, contact_id, text)
            emails.append(Email.from_db(alias, EMAIL_COLUMNS, email_row))
        elif kind == "tag":
            tags.append(Tag.from_db(alias, TAG_COLUMNS, (pk, text)))
        elif kind == "shared":
            has_shared = True
        else:
            has_contacts = True
    own_phones = [p for p in phones if p.customer_id == customer.pk]
    own_emails = [e for e in emails if e.customer_id == customer.pk]
    _set_phones_and_emails(customer, "customer", own_phones, own_emails)
    _set_prefetched(customer, "tags", tags)
    if has_shared:
        prefetch_related_objects([customer], "shared_with")
    else:
        _set_prefetched(customer, "shared_with", [])
    if has_contacts:
        prefetch_related_objects([customer], "contacts")
    else:
        _set_prefetched(customer, "contacts", [])
    for contact in customer.contacts.all():
        its_phones = [p for p in phones if p.contact_id == contact.pk]
        its_emails = [e for e in emails if e.contact_id == contact.pk]
        _set_phones_and_emails(contact, "contact", its_phones, its_emails)


def _set_phones_and_emails(
    owner: Customer | Contact, relation: str, phones: list[Phone], emails: list[Email]
) -> None:
    """Keep ``phones`` and ``emails`` as ``owner``'s, as a prefetch leaves them: each row knows
    the customer or contact (``relation``) it was read for."""
    for model, rows, name in ((Phone, phones, "phones"), (Email, emails, "emails")):
        for row in rows:
            getattr(model, relation).field.set_cached_value(row, owner)
        _set_prefetched(owner, name, rows)


# The columns a phone, an e-mail and a tag are built from (a tag's times stay deferred).
PHONE_COLUMNS = ["id", "customer_id", "contact_id", "number", "label"]
EMAIL_COLUMNS = ["id", "customer_id", "contact_id", "address"]
TAG_COLUMNS = ["id", "name"]


def _set_prefetched(instance: models.Model, name: str, rows: list[Any]) -> None:
    """Keep ``rows`` as the result of ``instance.<name>.all()``, as ``prefetch_related`` does:
    the cached queryset is the relation's own, so ``.filter()`` on it still asks the database."""
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[name] = queryset


def customer_can_change(*, user: User, customer: Customer) -> bool:
    """May ``user`` change ``customer``? Answered without a query where the policy alone (or
    the customer's owner) decides, as for most pages: every record, none, or the user's own."""
    scope = policy_for(user).change
    if scope is Scope.ALL:
        return True
    if scope is Scope.NONE:
        return False
    if customer.owner_id == user.pk:
        return True
    return customers_changeable_by(user).filter(pk=customer.pk).exists()


# The archive's own fields: only those who change the record set them.
ARCHIVE_GROUPS = frozenset({Group.ARCHIVE})


def fact_field_allowed(user: User, spec: FieldSpec) -> bool:
    """May ``user``, who records facts without changing the record, set this field? Not the
    archive's own fields, nor a sensitive field they may not reveal."""
    if spec.group in ARCHIVE_GROUPS:
        return False
    return spec.sensitive is None or can_reveal(user, spec.sensitive)


def customer_can_record_facts(*, user: User, customer: Customer) -> bool:
    """May ``user`` record facts on ``customer`` without the right to change it (a marketer or
    service agent with a customer they see; a merged or archived record takes none)?"""
    return (
        can_record_facts(user)
        and customer.status in (Customer.Status.ACTIVE, Customer.Status.PUBLIC_POOL)
        and customers_visible_to(user).filter(pk=customer.pk).exists()
    )


def require_customer_change(
    user: User | None, customer: Customer, message: str | Promise | None = None
) -> None:
    """Refuse (403) unless ``user`` may change ``customer``. ``None`` is the system (an import,
    a background job), which is not refused."""
    if user is not None:
        require(
            user,
            lambda u: customer_can_change(user=u, customer=customer),
            message or _("You may not change this customer."),
        )
