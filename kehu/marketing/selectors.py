"""Reads of campaigns: the lists (scoped: marketers, leaders and admins see campaigns, a rep
or agent only the members assigned to them), sending progress, and the results — reached,
responded, converted, revenue, cost, ROI and lift against the control group, per campaign and
per channel.

Attribution: an order (not cancelled) by a member counts for a campaign when it falls within
the attribution window (days) after one of the campaign's contacts with that customer. When
several campaigns' contacts qualify, the campaign's rule decides: the last touch before the
order (default) or the first touch in the window.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.access import can_manage_campaigns, can_view_campaigns
from kehu.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignCost,
    CampaignMember,
    Response,
    Send,
)

REACHED = (Send.Status.SENT, Send.Status.DELIVERED)
# Results are cached until the campaign changes (a send, response, cost or contact touches
# it), at most this long: new orders in the window show within ten minutes.
RESULTS_SECONDS = 600


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    """Every campaign for marketers, leaders and admins; for anyone else the campaigns with
    members assigned to them (their call lists)."""
    rows = Campaign.objects.select_related("owner")
    if can_view_campaigns(user):
        return rows
    if not (user.is_authenticated and user.is_active):
        return rows.none()
    return rows.filter(pk__in=CampaignMember.objects.filter(assigned_to=user).values("campaign_id"))


def campaign_get_for_user(*, user: User, campaign_id: int) -> Campaign:
    campaign = campaigns_visible_to(user).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return campaign


def campaign_get_to_manage(*, user: User, campaign_id: int) -> Campaign:
    """A campaign ``user`` may change: 404 for who does not see it, 403 for a reader."""
    from kehu.core.access import require
    from kehu.marketing.services import REFUSED

    campaign = campaign_get_for_user(user=user, campaign_id=campaign_id)
    require(user, can_manage_campaigns, REFUSED)
    return campaign


def members_for_user(
    *, user: User, campaign: Campaign, group: str = "", assigned_only: bool = False
) -> QuerySet[CampaignMember]:
    """A campaign's members: all of them for marketers, leaders and admins (``assigned_only``:
    those assigned to ``user``), only the ones assigned to ``user`` for anyone else."""
    rows = CampaignMember.objects.filter(campaign=campaign).select_related(
        "customer", "assigned_to"
    )
    if assigned_only or not can_view_campaigns(user):
        rows = rows.filter(assigned_to=user)
    if group:
        rows = rows.filter(group=group)
    return rows.order_by("id")


def member_get_for_user(*, user: User, member_id: int) -> CampaignMember:
    rows = CampaignMember.objects.select_related("campaign", "customer", "assigned_to")
    if not can_view_campaigns(user):
        rows = rows.filter(assigned_to=user)
    member = rows.filter(pk=member_id).first()
    if member is None:
        raise Http404
    return member


def my_call_lists(user: User) -> list[dict[str, Any]]:
    """The running campaigns with members assigned to ``user``, with how many are left to
    contact."""
    rows = (
        CampaignMember.objects.filter(assigned_to=user, campaign__status=Campaign.Status.RUNNING)
        .values("campaign_id", "campaign__name")
        .annotate(
            total=Count("id", distinct=True),
            contacted=Count("sends__member_id", distinct=True),
        )
        .order_by("campaign_id")
    )
    return [
        {
            "id": r["campaign_id"],
            "name": r["campaign__name"],
            "total": r["total"],
            "left": r["total"] - r["contacted"],
        }
        for r in rows
    ]


@dataclass
class Progress:
    total: int
    queued: int
    sent: int
    failed: int
    skipped: int

    @property
    def percent(self) -> int:
        if not self.total:
            return 100
        return round(100 * (self.total - self.queued) / self.total)


def send_progress(campaign: Campaign, channel: str = "") -> Progress:
    rows = Send.objects.filter(campaign=campaign)
    if channel:
        rows = rows.filter(channel=channel)
    counts = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
    return Progress(
        total=sum(counts.values()),
        queued=counts.get(Send.Status.QUEUED, 0),
        sent=counts.get(Send.Status.SENT, 0) + counts.get(Send.Status.DELIVERED, 0),
        failed=counts.get(Send.Status.FAILED, 0),
        skipped=counts.get(Send.Status.SKIPPED, 0),
    )


# --- results ----------------------------------------------------------------------------------


@dataclass
class Figures:
    """One row of results: a campaign, or a channel (within a campaign or across them)."""

    label: str = ""
    members: int = 0
    reached: int = 0
    responded: int = 0
    converted: int = 0
    orders: int = 0
    revenue: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.reached if self.reached else None

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.reached if self.reached else None

    @property
    def cost_per_response(self) -> Decimal | None:
        if not self.responded:
            return None
        return (self.cost / self.responded).quantize(Decimal("0.01"))

    @property
    def roi(self) -> Decimal | None:
        """(revenue − cost) / cost; None without a cost."""
        if not self.cost:
            return None
        return ((self.revenue - self.cost) / self.cost).quantize(Decimal("0.0001"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "members": self.members,
            "reached": self.reached,
            "responded": self.responded,
            "converted": self.converted,
            "orders": self.orders,
            "revenue": self.revenue,
            "cost": self.cost,
            "response_rate": self.response_rate,
            "conversion_rate": self.conversion_rate,
            "cost_per_response": self.cost_per_response,
            "roi": self.roi,
        }


@dataclass
class Results:
    campaign: Campaign
    total: Figures
    channels: dict[str, Figures] = field(default_factory=dict)
    responses: dict[str, int] = field(default_factory=dict)
    target_buy_rate: float | None = None
    control_buy_rate: float | None = None
    control_members: int = 0
    bounced: int = 0  # e-mails and SMS the provider reported undeliverable
    web_submissions: int = 0  # web forms sent through a link with the campaign's code
    web_leads: int = 0  # of them, new leads
    daily: list[tuple[str, int, int]] = field(default_factory=list)  # day, contacts, responses

    @property
    def lift(self) -> float | None:
        """How much more often targets bought than the control group, in the same period:
        (target rate − control rate) / control rate."""
        if self.target_buy_rate is None or not self.control_buy_rate:
            return None
        return (self.target_buy_rate - self.control_buy_rate) / self.control_buy_rate


def _period(campaign: Campaign, today: date) -> tuple[date, date]:
    start = campaign.launched_at.date() if campaign.launched_at else campaign.starts_on
    end = min(today, campaign.ends_on + timedelta(days=campaign.attribution_days))
    return start, max(start, end)


def _day_number(column: str) -> str:
    """SQL for a date column as a whole number of days, so date gaps compare with an integer
    (the touch's campaign's window) on SQLite and PostgreSQL alike."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def _as_date(value: Any) -> date:
    """A date from a raw row (SQLite gives the ISO text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _as_amount(value: Any) -> Decimal:
    """An amount from a raw row (SQLite may give a float), to the cent as the ORM reads it."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _attributed_sql(campaign: Campaign, today: date) -> tuple[str, list[Any]]:
    """The query of the orders attributed to ``campaign`` (columns order_id, customer_id,
    ordered_on, total_amount, channel).

    Every order (not cancelled) of a target member in the period is joined with the customer's
    contacts of every campaign (sent or delivered) on or before the order day and within the
    window of the contact's own campaign; per order the winning touch is the last (or, under
    the first-touch rule, the first) by local day (``Send.sent_on``), then campaign id, then
    channel; the order is the campaign's when that touch is."""
    from kehu.sales.models import Order

    start, end = _period(campaign, today)
    way = "DESC" if campaign.attribution == Campaign.Attribution.LAST_TOUCH else "ASC"
    gap = f"{_day_number('o.ordered_on')} - {_day_number('s.sent_on')}"
    sql = f"""
        SELECT order_id, customer_id, ordered_on, total_amount, channel FROM (
            SELECT o.id AS order_id, o.customer_id, o.ordered_on, o.total_amount,
                   s.campaign_id, s.channel,
                   ROW_NUMBER() OVER (
                       PARTITION BY o.id
                       ORDER BY s.sent_on {way}, s.campaign_id {way}, s.channel {way}
                   ) AS pick
            FROM {_table(CampaignMember)} t
            JOIN {_table(Order)} o ON o.customer_id = t.customer_id
            JOIN {_table(CampaignMember)} m ON m.customer_id = t.customer_id
            JOIN {_table(Send)} s ON s.member_id = m.id
            JOIN {_table(Campaign)} c ON c.id = s.campaign_id
            WHERE t.campaign_id = %s AND t."group" = %s
              AND o.ordered_on >= %s AND o.ordered_on <= %s AND o.status <> %s
              AND s.status IN (%s, %s) AND s.sent_on <= o.ordered_on
              AND {gap} <= c.attribution_days
        ) w
        WHERE pick = 1 AND campaign_id = %s"""  # noqa: S608 (table names from the models)
    params: list[Any] = [
        campaign.pk,
        CampaignMember.Group.TARGET.value,
        start,
        end,
        Order.Status.CANCELLED.value,
        *(s.value for s in REACHED),
        campaign.pk,
    ]
    return sql, params


def attributed_orders(campaign: Campaign, today: date | None = None) -> list[dict[str, Any]]:
    """The orders attributed to ``campaign`` (one query, see ``_attributed_sql``): id,
    customer, date, amount and the channel of the winning touch."""
    sql, params = _attributed_sql(campaign, today or timezone.localdate())
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY order_id", params)
        rows = cursor.fetchall()
    return [
        {
            "order_id": order_id,
            "customer_id": customer_id,
            "ordered_on": _as_date(ordered_on),
            "amount": _as_amount(amount),
            "channel": channel,
        }
        for order_id, customer_id, ordered_on, amount, channel in rows
    ]


@dataclass
class Attributed:
    """The attributed orders summed: per channel orders, revenue and buyers; buyers overall
    (a customer converted through two channels counts once)."""

    channels: dict[str, tuple[int, Decimal, int]]
    customers: int


def attributed_totals(campaign: Campaign, today: date | None = None) -> Attributed:
    """``attributed_orders`` summed in the database (what the results page needs), without
    reading every order: per channel, and the distinct buyers overall — each buyer counted
    under the first of their channels, so the per-channel first counts add up to it."""
    sql, params = _attributed_sql(campaign, today or timezone.localdate())
    summed = f"""
        SELECT channel, COUNT(*), SUM(total_amount), COUNT(DISTINCT customer_id),
               COUNT(DISTINCT CASE WHEN channel = first_channel THEN customer_id END)
        FROM (
            SELECT a.channel, a.customer_id, a.total_amount,
                   MIN(a.channel) OVER (PARTITION BY a.customer_id) AS first_channel
            FROM ({sql}) a
        ) b
        GROUP BY channel"""  # noqa: S608 (built from _attributed_sql)
    with connection.cursor() as cursor:
        cursor.execute(summed, params)
        rows = cursor.fetchall()
    return Attributed(
        channels={
            channel: (int(orders), _as_amount(revenue or 0), int(buyers))
            for channel, orders, revenue, buyers, _first in rows
        },
        customers=sum(int(first) for *_rest, first in rows),
    )


def _web_form_counts(campaign: Campaign) -> dict[str, int]:
    """Web-form submissions that came through a link with the campaign's code
    (``?campaign=CODE``), and how many of them were new leads."""
    from kehu.intake.models import WebFormSubmission

    return WebFormSubmission.objects.filter(campaign_code=campaign.code).aggregate(
        submissions=Count("id"), leads=Count("id", filter=Q(created_lead=True))
    )


def _buy_rate(campaign: Campaign, group: str, start: date, end: date) -> tuple[float | None, int]:
    from kehu.sales.models import Order

    members = CampaignMember.objects.filter(campaign=campaign, group=group)
    size = members.count()
    if not size:
        return None, 0
    buyers = (
        Order.objects.filter(
            customer_id__in=members.values("customer_id"),
            ordered_on__gte=start,
            ordered_on__lte=end,
        )
        .exclude(status=Order.Status.CANCELLED)
        .values("customer_id")
        .distinct()
        .count()
    )
    return buyers / size, size


def campaign_results(campaign: Campaign, today: date | None = None) -> Results:
    """The campaign's figures, cached until the campaign changes (at most ten minutes)."""
    today = today or timezone.localdate()
    key = f"marketing:results:{campaign.pk}:{campaign.updated_at.timestamp()}:{today}"
    cached: Results | None = cache.get(key)
    if cached is not None:
        return cached
    results = _campaign_results(campaign, today)
    cache.set(key, results, RESULTS_SECONDS)
    return results


def _campaign_results(campaign: Campaign, today: date) -> Results:
    channels: dict[str, Figures] = {
        c: Figures(label=str(CampaignChannel(c).label)) for c in campaign.channels
    }

    def row(channel: str) -> Figures:
        if channel not in channels:
            channels[channel] = Figures(
                label=str(CampaignChannel(channel).label) if channel else ""
            )
        return channels[channel]

    total = Figures(label=campaign.name, members=campaign.member_count)
    bounced = Send.objects.filter(campaign=campaign, status=Send.Status.BOUNCED).count()
    web = _web_form_counts(campaign)
    sends = Send.objects.filter(campaign=campaign, status__in=REACHED)
    total.reached = sends.values("member_id").distinct().count()
    for channel, n in (
        sends.values_list("channel").annotate(n=Count("member_id", distinct=True)).order_by()
    ):
        row(channel).reached = n
    responses = Response.objects.filter(member__campaign=campaign)
    # An unsubscribe is no response to the offer, nor is an open (a pixel loaded).
    positive = responses.exclude(kind__in=[Response.Kind.UNSUBSCRIBED, Response.Kind.OPENED])
    total.responded = positive.values("member_id").distinct().count()
    for channel, n in (
        positive.values_list("channel").annotate(n=Count("member_id", distinct=True)).order_by()
    ):
        if channel:
            row(channel).responded = n
    by_kind = dict(responses.values_list("kind").annotate(n=Count("id")).order_by())
    attributed = attributed_totals(campaign, today)
    for channel, (n, revenue, buyers) in attributed.channels.items():
        total.orders += n
        total.revenue += revenue
        figures = row(channel)
        figures.orders, figures.revenue, figures.converted = n, revenue, buyers
    total.converted = attributed.customers
    costs = CampaignCost.objects.filter(campaign=campaign)
    total.cost = costs.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    for channel, amount in (
        costs.exclude(channel="").values_list("channel").annotate(s=Sum("amount")).order_by()
    ):
        row(channel).cost = amount
    start, end = _period(campaign, today)
    target_rate, _n = _buy_rate(campaign, CampaignMember.Group.TARGET, start, end)
    control_rate, control_n = _buy_rate(campaign, CampaignMember.Group.CONTROL, start, end)
    daily_contacts = dict(
        sends.filter(sent_on__isnull=False)
        .values_list("sent_on")
        .annotate(n=Count("id"))
        .order_by()
    )
    daily_responses = dict(responses.values_list("at__date").annotate(n=Count("id")).order_by())
    days = sorted(set(daily_contacts) | set(daily_responses))
    return Results(
        campaign=campaign,
        total=total,
        channels=channels,
        responses={k: by_kind.get(k, 0) for k in Response.Kind.values},
        target_buy_rate=target_rate,
        control_buy_rate=control_rate,
        control_members=control_n,
        bounced=bounced,
        web_submissions=web["submissions"],
        web_leads=web["leads"],
        daily=[(d.isoformat(), daily_contacts.get(d, 0), daily_responses.get(d, 0)) for d in days],
    )


def channel_comparison(*, user: User, today: date | None = None) -> list[Figures]:
    """Per channel, the sum over every launched campaign ``user`` sees: reached, responded,
    converted, revenue, cost (costs booked to the channel), ROI."""
    if not can_view_campaigns(user):
        raise Http404
    rows: dict[str, Figures] = {
        c: Figures(label=str(label)) for c, label in CampaignChannel.choices
    }
    for campaign in Campaign.objects.filter(launched_at__isnull=False):
        results = campaign_results(campaign, today)
        for channel, figures in results.channels.items():
            if channel not in rows:
                continue
            target = rows[channel]
            target.reached += figures.reached
            target.responded += figures.responded
            target.converted += figures.converted
            target.orders += figures.orders
            target.revenue += figures.revenue
            target.cost += figures.cost
    return [f for f in rows.values() if f.reached or f.cost]


def campaigns_for_home(user: User, limit: int = 6) -> list[Campaign]:
    """The marketer's home card: their running and scheduled campaigns, then the latest."""
    return list(
        campaigns_visible_to(user)
        .filter(Q(owner=user) | Q(status=Campaign.Status.RUNNING))
        .order_by("status", "-starts_on", "-id")[:limit]
    )


def _masked(text: str) -> str:
    """A sensitive value as people without the right to reveal it see it (as
    ``customers.values.mask_text`` masks an address)."""
    return text[: min(len(text) // 3, 6)] + "****" if text else ""


def mailing_labels(*, user: User, campaign: Campaign) -> tuple[list[dict[str, str]], bool]:
    """Address labels of the campaign's target members (direct mail): name, company and
    postal address — the customer's address, else a person's home address, which is sensitive:
    in clear only for who may reveal home addresses, masked for anyone else. Returns the
    labels and whether any home address was shown in clear (to be audited)."""
    from kehu.core.access import SensitiveGroup, can_reveal, require
    from kehu.marketing.services import REFUSED

    require(user, can_manage_campaigns, REFUSED)
    reveal = can_reveal(user, SensitiveGroup.ADDRESS)
    revealed = False
    labels = []
    rows = (
        CampaignMember.objects.filter(campaign=campaign, group=CampaignMember.Group.TARGET)
        .select_related("customer__person")
        .order_by("id")
    )
    for member in rows.iterator(chunk_size=2000):
        customer = member.customer
        person = getattr(customer, "person", None) if customer.kind == "person" else None
        address = customer.address
        if not address and person is not None and person.home_address:
            address = person.home_address if reveal else _masked(person.home_address)
            revealed = revealed or reveal
        company = customer.name if customer.kind == "organization" else ""
        if person is not None:
            company = person.employer
        labels.append(
            {
                "name": customer.name,
                "company": company,
                "province": customer.province,
                "city": customer.city,
                "district": customer.district,
                "address": address,
            }
        )
    return labels, revealed
