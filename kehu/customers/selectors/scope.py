"""Which customers a user may see and change (the record scope as querysets and conditions)."""

from django.db.models import Prefetch, Q
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
)


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
    shared = Customer.shared_with.through.objects.filter(user=user).values("customer_id")
    return q | Q(**{f"{prefix}pk__in": shared})


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
    shared = Customer.shared_with.through.objects.filter(user=user).values("customer_id")
    return q | Q(**{f"{prefix}pk__in": shared})


def customer_get_for_user(*, user: User, customer_id: int) -> Customer:
    """The customer with what its page needs, if ``user`` may see it; else 404 (never 403)."""
    customer = (
        customers_visible_to(user)
        .select_related("owner", "team", "source_channel", "person", "organization")
        .prefetch_related(
            "tags",
            "phones",
            "emails",
            "shared_with",
            Prefetch("contacts", queryset=Contact.objects.prefetch_related("phones", "emails")),
        )
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise Http404
    return customer


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
