"""``record_scope_sql`` (raw SQL, the search index's) answers as ``record_scope_q`` (the ORM)."""

import pytest
from django.db import connection

from kehu.accounts.models import Role
from kehu.accounts.tests.factories import MembershipFactory, TeamFactory
from kehu.core.access import record_scope_sql
from kehu.customers.models import Customer, Tag
from kehu.customers.selectors import (
    customers_changeable_by,
    customers_changeable_q,
    customers_visible_q,
    customers_visible_to,
)
from kehu.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def in_sql_scope(user, *, for_change=False):
    condition, params = record_scope_sql(
        user,
        for_change=for_change,
        shared_table=Customer.shared_with.through._meta.db_table,
    )
    table = connection.ops.quote_name(Customer._meta.db_table)
    where = f" WHERE {condition}" if condition else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table}{where}", params)  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def archive(rep, other_rep, make_user):
    """Customers of two reps (one shared), of a team, of an outsider, and one in the pool."""
    team = TeamFactory(name="华北销售部")
    MembershipFactory(user=other_rep, team=team)
    outsider = make_user(username="rep3")
    shared = CustomerFactory.create(owner=other_rep)
    shared.shared_with.add(rep)
    for owner in (rep, other_rep, outsider, None):
        CustomerFactory.create(owner=owner)
    CustomerFactory.create(owner=outsider, team=team)
    return team


@pytest.fixture
def user_of(rep, leader, archivist, make_user, archive):
    """The user a test is parametrized with: the rep (one customer shared with them), the
    manager of the archive's team, a leader, the archivist, or an inactive rep."""

    def user(who):
        if who == "manager":
            manager = make_user(username="teamlead")
            MembershipFactory(user=manager, team=archive, is_manager=True)
            return manager
        if who == "inactive":
            return make_user(Role.SALES_REP, username="gone", is_active=False)
        return {"rep": rep, "leader": leader, "archivist": archivist}[who]

    return user


@pytest.mark.parametrize("who", ["rep", "manager", "leader", "archivist", "inactive"])
def test_the_sql_scope_is_the_orm_scope(who, user_of):
    user = user_of(who)
    visible = set(customers_visible_to(user).values_list("pk", flat=True))
    changeable = set(customers_changeable_by(user).values_list("pk", flat=True))
    assert in_sql_scope(user) == visible
    assert in_sql_scope(user, for_change=True) == changeable
    # real narrowings, not everything or nothing: the rep's own and shared customer; the
    # manager's member's two and the team's one
    assert len(visible) == {"rep": 2, "manager": 3, "inactive": 0}.get(who, 6)


@pytest.mark.parametrize("who", ["rep", "manager", "leader", "inactive"])
def test_the_scope_through_a_related_customer_is_the_customers_scope(who, rep, user_of):
    """``customers_visible_q`` / ``customers_changeable_q`` (records of a customer: reminders,
    tasks, cases) keep the rows of exactly the customers the user sees or changes, the shared
    one included."""
    user = user_of(who)
    tagged = Customer.tags.through.objects  # a table of rows with a customer: one per customer
    tag = Tag.objects.create(name="每个")
    tagged.bulk_create([tagged.model(customer=c, tag=tag) for c in Customer.objects.all()])

    def customers_of(q):
        return set(tagged.filter(q).values_list("customer_id", flat=True))

    visible = set(customers_visible_to(user).values_list("pk", flat=True))
    changeable = set(customers_changeable_by(user).values_list("pk", flat=True))
    assert customers_of(customers_visible_q(user, prefix="customer__")) == visible
    assert customers_of(customers_changeable_q(user, prefix="customer__")) == changeable
    if who == "rep":
        assert Customer.objects.get(shared_with=rep).pk in customers_of(
            customers_visible_q(user, prefix="customer__")
        )
