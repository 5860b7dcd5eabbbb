"""The home page per role: a composition of small cards, each one selector of a few queries.

A sales rep sees their day and pipeline; a team manager (a rep who manages a team) also the
team's; a service agent the queue; an archive administrator the archive's health; a marketer
the segments; a leader and an admin the headline figures.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Membership, Role, User
from kehu.core.access import Scope, managed_team_ids, policy_for
from kehu.core.pagination import CappedCount, capped_count, first_rows
from kehu.customers.models import Customer, Segment
from kehu.customers.segments import segments_visible_to
from kehu.customers.selectors import (
    customers_in_pool_visible_to,
    customers_visible_q,
    customers_visible_to,
)
from kehu.interactions.models import Interaction

# Counts on the home page stop here ("1,000+"): counting a million rows for a figure nobody
# reads to the last digit would cost more than the rest of the page.
COUNT_CAP = 1_000


# An important customer nobody contacted for this long needs attention.
ATTENTION_DAYS = 30
CARD_ROWS = 6


def home_role(user: User) -> str:
    """Which home ``user`` gets: rep, manager, agent, archivist, marketer or leader (kept on
    the user object: the top bar and the home page ask within one request)."""
    role: str | None = getattr(user, "_kehu_home_role", None)
    if role is not None:
        return role
    if user.is_superuser or user.role in (Role.ADMIN, Role.LEADER):
        role = "leader"
    elif user.role == Role.ARCHIVE_ADMIN:
        role = "archivist"
    elif user.role == Role.SERVICE_AGENT:
        role = "agent"
    elif user.role == Role.MARKETER:
        role = "marketer"
    else:
        role = "manager" if managed_team_ids(user) else "rep"
    user._kehu_home_role = role  # type: ignore[attr-defined]
    return role


def role_label(user: User, role: str) -> Any:
    """The role shown in the top bar and the greeting: a rep who manages a team is shown as
    team manager."""
    return _("Team manager") if role == "manager" else user.role_label


def _month_start(today: date) -> date:
    return today.replace(day=1)


# --- rep ----------------------------------------------------------------------------------


def card_today(user: User, today: date) -> Any:
    """Overdue, today's and the rest of the week's work (counted in SQL), the first few items."""
    from kehu.tasks.work import work_summary

    return work_summary(user=user, today=today, rows=CARD_ROWS)


def _open_opportunities() -> Any:
    from kehu.sales.models import Opportunity, PipelineStage

    return Opportunity.objects.filter(stage__outcome=PipelineStage.Outcome.OPEN)


def card_pipeline(user: User, today: date) -> dict[str, Any]:
    """My open opportunities: how many, their value, how many past their close date."""
    figures = (
        _open_opportunities()
        .filter(owner=user)
        .aggregate(
            count=Count("id"),
            value=Sum("amount"),
            late=Count("id", filter=Q(expected_close_on__lt=today)),
        )
    )
    return {**figures, "value": figures["value"] or Decimal(0)}


def card_month_sales(user: User, today: date) -> dict[str, Any]:
    from kehu.sales.models import SalesDaily

    figures = SalesDaily.objects.filter(owner=user, day__gte=_month_start(today)).aggregate(
        revenue=Sum("revenue"), orders=Sum("orders"), collected=Sum("collected")
    )
    return {k: v or 0 for k, v in figures.items()}


def card_attention(user: User, today: date) -> list[Customer]:
    """My important customers with no contact in ``ATTENTION_DAYS`` days."""
    since = timezone.now() - timedelta(days=ATTENTION_DAYS)
    recent = Interaction.objects.filter(customer=OuterRef("pk"), occurred_at__gte=since)
    return list(
        Customer.objects.filter(
            owner=user, status=Customer.Status.ACTIVE, grade=Customer.Grade.IMPORTANT
        )
        .filter(~Exists(recent))
        .order_by("name", "id")[:CARD_ROWS]
    )


# --- team manager -------------------------------------------------------------------------


def _members(user: User) -> list[User]:
    member_ids = Membership.objects.filter(team_id__in=managed_team_ids(user)).values("user_id")
    return list(
        User.objects.filter(pk__in=member_ids, is_active=True).exclude(pk=user.pk).order_by("pk")
    )


@dataclass(frozen=True)
class MemberRow:
    member: User
    overdue_follow_ups: int
    open_opportunities: int
    pipeline_value: Decimal
    logged_this_week: int


def card_team(user: User, today: date) -> list[MemberRow]:
    """Per team member: overdue follow-ups, open pipeline, contacts logged this week. Four
    queries, whatever the team's size."""
    members = _members(user)
    ids = [m.pk for m in members]
    monday = today - timedelta(days=today.weekday())
    week_start = timezone.make_aware(datetime.combine(monday, time.min))
    overdue = dict(
        Interaction.objects.filter(
            user_id__in=ids, follow_up_done_at__isnull=True, next_follow_up_on__lt=today
        )
        .values_list("user_id")
        .annotate(n=Count("id"))
    )
    logged = dict(
        Interaction.objects.filter(user_id__in=ids, occurred_at__gte=week_start)
        .values_list("user_id")
        .annotate(n=Count("id"))
    )
    pipeline = {
        row["owner_id"]: row
        for row in _open_opportunities()
        .filter(owner_id__in=ids)
        .values("owner_id")
        .annotate(n=Count("id"), value=Sum("amount"))
    }
    return [
        MemberRow(
            member=m,
            overdue_follow_ups=overdue.get(m.pk, 0),
            open_opportunities=pipeline.get(m.pk, {}).get("n", 0),
            pipeline_value=pipeline.get(m.pk, {}).get("value") or Decimal(0),
            logged_this_week=logged.get(m.pk, 0),
        )
        for m in members
    ]


def card_unassigned_leads(user: User, today: date) -> dict[str, Any]:
    """Leads nobody owns yet (web forms, unknown callers, returned to the pool)."""
    leads = customers_in_pool_visible_to(user).filter(lifecycle_stage=Customer.Stage.LEAD)
    return {
        "count": capped_count(leads, COUNT_CAP),
        "rows": list(leads.order_by("-id")[:CARD_ROWS]),
    }


# --- service agent ------------------------------------------------------------------------


def card_queue(user: User, today: date) -> Any:
    from kehu.service.selectors import case_queue, case_queue_counts

    counts = case_queue_counts(user=user)
    return {
        "mine": case_queue(user=user, scope="mine", limit=CARD_ROWS).rows,
        "mine_count": counts["mine"],
        "breached": counts["breached"],
        "at_risk": counts["at_risk"],
        "unassigned_count": counts["unassigned"],
    }


def card_ratings(user: User, today: date) -> list[Any]:
    from kehu.service.models import CaseRating

    # The newest ids first, then their rows: joined in one query, SQLite scanned every
    # customer to find the ratings (0.1 s at 100,000 customers).
    return first_rows(
        CaseRating.objects.filter(customers_visible_q(user, prefix="customer__")),
        ("-created_at", "-id"),
        CARD_ROWS,
        ("case", "customer"),
    )


# --- archive administrator ----------------------------------------------------------------


def card_archive(user: User, today: date) -> dict[str, Any]:
    from kehu.dedup.selectors import duplicates_pending_count
    from kehu.imports.selectors import import_batches
    from kehu.quality.selectors import quality_latest

    snapshot = quality_latest()
    return {
        "snapshot": snapshot,
        "metrics": snapshot.metrics if snapshot else {},
        "duplicates": duplicates_pending_count(),
        "imports": list(import_batches(user=user)[:CARD_ROWS]),
    }


# --- marketer -----------------------------------------------------------------------------


def card_campaigns(user: User, today: date) -> list[Any]:
    """The marketer's campaigns: running ones first, then their latest."""
    from kehu.marketing.selectors import campaigns_for_home

    return campaigns_for_home(user, CARD_ROWS)


def card_segments(user: User, today: date) -> list[Segment]:
    return list(segments_visible_to(user).order_by("-last_count", "name")[: CARD_ROWS * 2])


# --- leader and admin ---------------------------------------------------------------------


# The headline figures are the whole company's (the same for every leader and admin): computed
# at most once a minute, shared through the cache by every server process.
HEADLINE_SECONDS = 60


def card_headline(user: User, today: date) -> dict[str, Any]:
    key = f"home:headline:{today.isoformat()}"
    figures: dict[str, Any] | None = cache.get(key)
    if figures is None:
        figures = _headline_figures(today)
        cache.set(key, figures, HEADLINE_SECONDS)
    return figures


def _headline_figures(today: date) -> dict[str, Any]:
    from kehu.sales.models import SalesDaily
    from kehu.service.models import Case
    from kehu.service.selectors import OPEN_STATUSES, breached_q

    month = SalesDaily.objects.filter(day__gte=_month_start(today)).aggregate(
        revenue=Sum("revenue"), orders=Sum("orders"), new_customers=Sum("new_customers")
    )
    pipeline = _open_opportunities().aggregate(count=Count("id"), value=Sum("amount"))
    cases = Case.objects.filter(status__in=OPEN_STATUSES).aggregate(
        open=Count("id"), breached=Count("id", filter=breached_q(timezone.now()))
    )
    return {
        "customers": Customer.objects.filter(status=Customer.Status.ACTIVE).count(),
        "important": Customer.objects.filter(
            status=Customer.Status.ACTIVE, grade=Customer.Grade.IMPORTANT
        ).count(),
        "revenue": month["revenue"] or 0,
        "orders": month["orders"] or 0,
        "new_customers": month["new_customers"] or 0,
        "pipeline_count": pipeline["count"],
        "pipeline_value": pipeline["value"] or 0,
        "open_cases": cases["open"],
        "breached_cases": cases["breached"],
        "as_of": timezone.now(),
    }


@dataclass(frozen=True)
class RecentCustomers:
    visible: CappedCount
    owned: CappedCount
    recent: list[Customer]


def card_recent(user: User, today: date) -> RecentCustomers:
    """The recently added customers, with how many the user sees and owns (capped counts);
    archived and merged-away ones are left out."""
    live = (Customer.Status.ACTIVE, Customer.Status.PUBLIC_POOL)
    visible = customers_visible_to(user).filter(status__in=live)
    return RecentCustomers(
        visible=capped_count(visible, COUNT_CAP),
        owned=capped_count(Customer.objects.filter(owner=user, status__in=live), COUNT_CAP),
        recent=_newest_visible(user, Customer.objects.filter(status__in=live), RECENT_ROWS),
    )


RECENT_ROWS = 8


def _newest_visible(user: User, live: Any, n: int) -> list[Customer]:
    """The ``n`` newest customers ``user`` sees: for a scoped user the newest of each part of
    the scope (own, each team member's, each managed team's, shared), each read down its
    (column, -id) index and merged here. The scope's OR in one query made the database collect
    and sort every visible customer (a team manager's: a third of the archive)."""
    policy = policy_for(user)
    if policy.view is Scope.NONE:
        return []
    if policy.view is Scope.ALL:
        return list(live.select_related("owner").order_by("-id")[:n])
    teams = managed_team_ids(user)
    members = set(
        Membership.objects.filter(team_id__in=teams).values_list("user_id", flat=True)
    ) - {user.pk}
    parts = [Q(owner=user), Q(pk__in=_shared_with(user))]
    parts += [Q(owner_id=member) for member in sorted(members)]
    parts += [Q(team_id=team) for team in teams]
    found: dict[int, Customer] = {}
    for part in parts:
        for customer in live.filter(part).select_related("owner").order_by("-id")[:n]:
            found[customer.pk] = customer
    return [found[pk] for pk in sorted(found, reverse=True)[:n]]


def _shared_with(user: User) -> Any:
    return Customer.shared_with.through.objects.filter(user=user).values("customer_id")


def card_key_accounts(user: User, today: date) -> Any:
    """Customers at risk, open alerts and reviews due (kehu.oversight)."""
    from kehu.oversight.selectors import home_card

    return home_card(user=user, today=today, cap=COUNT_CAP)


CARDS = {
    "rep": ("today", "pipeline", "month_sales", "attention", "recent"),
    "manager": ("today", "team", "pipeline", "unassigned_leads", "attention"),
    "agent": ("queue", "today", "ratings"),
    "archivist": ("archive", "unassigned_leads", "recent"),
    "marketer": ("campaigns", "segments", "unassigned_leads", "recent"),
    "leader": ("headline", "key_accounts", "recent"),
}
CARD_FUNCTIONS: dict[str, Callable[[User, date], Any]] = {
    "today": card_today,
    "pipeline": card_pipeline,
    "month_sales": card_month_sales,
    "attention": card_attention,
    "team": card_team,
    "unassigned_leads": card_unassigned_leads,
    "queue": card_queue,
    "ratings": card_ratings,
    "archive": card_archive,
    "campaigns": card_campaigns,
    "segments": card_segments,
    "headline": card_headline,
    "recent": card_recent,
    "key_accounts": card_key_accounts,
}


def home_cards(*, user: User, today: date) -> tuple[str, dict[str, Any]]:
    """The user's home role and its cards' data, by card name."""
    role = home_role(user)
    return role, {name: CARD_FUNCTIONS[name](user, today) for name in CARDS[role]}
