"""Reads of the public pool: its policy, its customers, who is close to returning to it."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import DateTimeField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from kehu.accounts.models import User
from kehu.customers.models import Customer, CustomerChange
from kehu.customers.selectors import customers_in_pool_visible_to
from kehu.interactions.models import Interaction
from kehu.pool.models import PoolClaim, PoolPolicy


def pool_policy_get() -> PoolPolicy:
    """The pool's rules (the single row, made with the defaults on first use)."""
    policy = PoolPolicy.objects.order_by("pk").first()
    return policy if policy is not None else PoolPolicy.objects.create()


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def pool_claims_on(*, user: User, day: date) -> int:
    """How many customers ``user`` took from the pool on ``day`` (in the configured zone)."""
    start = _day_start(day)
    return PoolClaim.objects.filter(
        user=user, claimed_at__gte=start, claimed_at__lt=start + timedelta(days=1)
    ).count()


def _last_owner_change() -> Subquery:
    return Subquery(
        CustomerChange.objects.filter(customer=OuterRef("pk"), field="owner")
        .order_by("-changed_at", "-id")
        .values("changed_at")[:1],
        output_field=DateTimeField(),
    )


def _last_owner_interaction() -> Subquery:
    return Subquery(
        Interaction.objects.filter(customer=OuterRef("pk"), user=OuterRef("owner"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1],
        output_field=DateTimeField(),
    )


def customers_with_follow_up_time() -> QuerySet[Customer]:
    """Owned active customers, annotated with ``followed_up_at``: the owner's last interaction
    or, if later, when the owner got the customer (its creation if it never changed hands)."""
    owned_since = Coalesce(_last_owner_change(), F("created_at"))
    return (
        Customer.objects.filter(status=Customer.Status.ACTIVE, owner__isnull=False)
        .annotate(owned_since=owned_since)
        .annotate(
            followed_up_at=Greatest(
                Coalesce(_last_owner_interaction(), F("owned_since")), F("owned_since")
            )
        )
    )


def _older_than(policy: PoolPolicy, now: datetime, *, shift_days: int = 0) -> Q:
    """Customers not followed up for their grade's days (minus ``shift_days``)."""
    q = Q(pk__in=[])
    for grade in Customer.Grade.values:
        days = policy.days_for(grade)
        if days:
            deadline = now - timedelta(days=days - shift_days)
            q |= Q(grade=grade, followed_up_at__lt=deadline)
    return q


def pool_due(*, policy: PoolPolicy, now: datetime) -> QuerySet[Customer]:
    """Customers whose owner let the grade's days pass without a follow-up."""
    return customers_with_follow_up_time().filter(_older_than(policy, now))


def pool_warned(*, policy: PoolPolicy, now: datetime) -> QuerySet[Customer]:
    """Customers that return to the pool within ``warning_days`` unless followed up."""
    return (
        customers_with_follow_up_time()
        .filter(_older_than(policy, now, shift_days=policy.warning_days))
        .exclude(_older_than(policy, now))
    )


def pool_contactable(user: User) -> QuerySet[Customer]:
    """The pool customers ``user`` may browse and claim: those who have not withdrawn consent to
    marketing calls (taking someone from the pool means calling them; the consent register,
    ``kehu.privacy``, says who said no)."""
    from kehu.privacy.models import Purpose
    from kehu.privacy.selectors import customers_refusing

    refusing = customers_refusing(Purpose.MARKETING_PHONE).values("pk")
    return customers_in_pool_visible_to(user).exclude(pk__in=refusing)


def pool_list(*, user: User, q: str = "", grade: str = "") -> QuerySet[Customer]:
    """The pool as ``user`` may browse it, newest arrivals first."""
    queryset = pool_contactable(user)
    if q:
        queryset = queryset.filter(name__icontains=q)
    if grade:
        queryset = queryset.filter(grade=grade)
    return queryset.prefetch_related("phones").order_by("-updated_at", "-id")


def pool_customer_get(*, user: User, customer_id: int) -> Customer:
    """A pool customer ``user`` may claim; 404 if it is not (or no longer) in the pool."""
    from django.http import Http404

    customer = pool_contactable(user).filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    return customer


@dataclass(frozen=True)
class ClaimAllowance:
    limit: int
    used: int

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)


def claim_allowance(*, user: User, day: date) -> ClaimAllowance:
    policy = pool_policy_get()
    return ClaimAllowance(limit=policy.claim_limit, used=pool_claims_on(user=user, day=day))
