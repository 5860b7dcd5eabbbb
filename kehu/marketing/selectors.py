"""Reads of campaigns: the lists (scoped: marketers, leaders and admins see campaigns, a rep
or agent only the members assigned to them), sending progress, and the results — reached,
responded, converted, revenue, cost, ROI and lift against the control group, per campaign and
per channel.

Attribution: an order (not cancelled) by a member counts for a campaign when it falls within
the attribution window (days) after one of the campaign's contacts with that customer. When
several campaigns' contacts qualify, the campaign's rule decides: the last touch before the
order (default) or the first touch in the window.
"""

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.access import can_manage_campaigns, can_view_campaigns
from kehu.core.kept import queue_once, queued_started
from kehu.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignCost,
    CampaignMember,
    KeptResults,
    Response,
    Send,
)

REACHED = (Send.Status.SENT, Send.Status.DELIVERED)
# Results are kept (``KeptResults``) and computed again in the background when the campaign
# has changed since (a send, response, cost or contact touches it) or they are older than
# this: new orders in the window show within ten minutes of someone looking.
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

    @classmethod
    def from_kept(cls, kept: dict[str, Any]) -> "Figures":
        return cls(**{**kept, "revenue": Decimal(kept["revenue"]), "cost": Decimal(kept["cost"])})


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
    computed_at: datetime | None = None
    stale: bool = False  # changed since, or over RESULTS_SECONDS old: newer ones are coming

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


def _attribution_sql(campaign: Campaign, today: date) -> tuple[str, list[Any]]:
    """The common table expressions of the attribution: ``bought``, the orders (not
    cancelled) in the period of the campaign's target and control members (member_id,
    member_group, order_id, customer_id, ordered_on, total_amount), and ``won``, those of
    them attributed to ``campaign`` (order_id, customer_id, ordered_on, total_amount,
    channel).

    Per order the winning touch among the customer's contacts of every campaign (sent or
    delivered, on or before the order day, within the window of the contact's own campaign)
    is the last (or, under the first-touch rule, the first) by local day (``Send.sent_on``),
    then campaign id, then channel (then send id, which only separates equal touches); the
    order is the campaign's when that touch is. So the query starts from the campaign's own
    touches of its target members' orders and keeps the one no qualifying touch of the
    customer beats: its work follows the campaign's members, not every campaign's sends, and
    it needs no window function (SQLite sorts for one). A send's campaign is its member's.

    The joins are CROSS JOINs with their conditions in WHERE, which fixes their order on
    SQLite (whose planner may otherwise drive the query from every campaign's sent rows
    through the status index) and leaves PostgreSQL's planner free; ``LIMIT 1 OFFSET 0``
    keeps PostgreSQL from turning the NOT EXISTS into an anti-join over every campaign's
    sends, so it stays a lookup through the customer's members."""
    from kehu.sales.models import Order

    start, end = _period(campaign, today)
    beats = ">" if campaign.attribution == Campaign.Attribution.LAST_TOUCH else "<"
    own_gap = f"{_day_number('b.ordered_on')} - {_day_number('s.sent_on')}"
    other_gap = f"{_day_number('w.ordered_on')} - {_day_number('x.sent_on')}"
    member, send = _table(CampaignMember), _table(Send)
    sql = f"""
        WITH bought AS (
            SELECT t.id AS member_id, t."group" AS member_group, o.id AS order_id,
                   o.customer_id, o.ordered_on, o.total_amount
            FROM {member} t CROSS JOIN {_table(Order)} o
            WHERE t.campaign_id = %s AND t."group" IN (%s, %s)
              AND o.customer_id = t.customer_id
              AND o.ordered_on >= %s AND o.ordered_on <= %s AND o.status <> %s
        ), own AS (
            SELECT b.order_id, b.customer_id, b.ordered_on, b.total_amount, s.id AS send_id,
                   s.sent_on, s.channel
            FROM bought b CROSS JOIN {send} s
            WHERE b.member_group = %s AND s.member_id = b.member_id
              AND s.status IN (%s, %s) AND s.sent_on <= b.ordered_on AND {own_gap} <= %s
        ), won AS (
            SELECT w.order_id, w.customer_id, w.ordered_on, w.total_amount, w.channel
            FROM own w
            WHERE NOT EXISTS (
                SELECT 1
                FROM {member} m CROSS JOIN {send} x CROSS JOIN {_table(Campaign)} c
                WHERE m.customer_id = w.customer_id AND x.member_id = m.id
                  AND c.id = x.campaign_id AND x.status IN (%s, %s)
                  AND x.sent_on <= w.ordered_on AND {other_gap} <= c.attribution_days
                  AND (x.sent_on, x.campaign_id, x.channel, x.id)
                      {beats} (w.sent_on, %s, w.channel, w.send_id)
                LIMIT 1 OFFSET 0
            )
        )"""  # noqa: S608 (table names from the models)
    reached = [s.value for s in REACHED]
    params: list[Any] = [
        campaign.pk,
        CampaignMember.Group.TARGET.value,
        CampaignMember.Group.CONTROL.value,
        start,
        end,
        Order.Status.CANCELLED.value,
        CampaignMember.Group.TARGET.value,
        *reached,
        campaign.attribution_days,
        *reached,
        campaign.pk,
    ]
    return sql, params


def attributed_orders(campaign: Campaign, today: date | None = None) -> list[dict[str, Any]]:
    """The orders attributed to ``campaign`` (one query, see ``_attribution_sql``): id,
    customer, date, amount and the channel of the winning touch."""
    sql, params = _attribution_sql(campaign, today or timezone.localdate())
    listed = "SELECT order_id, customer_id, ordered_on, total_amount, channel FROM won"
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} {listed} ORDER BY order_id", params)
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
    (a customer converted through two channels counts once); and per member group (target,
    control) how many bought in the period, attributed or not."""

    channels: dict[str, tuple[int, Decimal, int]]
    customers: int
    buyers: dict[str, int] = field(default_factory=dict)


def attributed_totals(campaign: Campaign, today: date | None = None) -> Attributed:
    """``attributed_orders`` summed in the database (what the results page needs), without
    reading every order, in one query with the buyers per group: per channel, and the
    distinct buyers overall."""
    sql, params = _attribution_sql(campaign, today or timezone.localdate())
    summed = f"""{sql}
        SELECT 'channel', channel, COUNT(*), SUM(total_amount), COUNT(DISTINCT customer_id)
        FROM won
        GROUP BY channel
        UNION ALL
        SELECT 'all', '', COUNT(DISTINCT customer_id), NULL, NULL FROM won
        UNION ALL
        SELECT 'group', member_group, COUNT(DISTINCT customer_id), NULL, NULL
        FROM bought
        GROUP BY member_group"""  # noqa: S608 (built from _attribution_sql)
    with connection.cursor() as cursor:
        cursor.execute(summed, params)
        rows = cursor.fetchall()
    return Attributed(
        channels={
            channel: (int(orders), _as_amount(revenue or 0), int(buyers))
            for kind, channel, orders, revenue, buyers in rows
            if kind == "channel"
        },
        customers=sum(int(n) for kind, _c, n, *_rest in rows if kind == "all"),
        buyers={group: int(n) for kind, group, n, *_rest in rows if kind == "group"},
    )


def _web_form_counts(campaign: Campaign) -> dict[str, int]:
    """Web-form submissions that came through a link with the campaign's code
    (``?campaign=CODE``), and how many of them were new leads."""
    from kehu.intake.models import WebFormSubmission

    return WebFormSubmission.objects.filter(campaign_code=campaign.code).aggregate(
        submissions=Count("id"), leads=Count("id", filter=Q(created_lead=True))
    )


def _members_overall(per_channel: dict[str, int], rows: QuerySet[Any]) -> int:
    """The distinct members of ``rows`` (sends or responses) over all channels, given their
    count per channel: that count when one channel has them all (the usual case), else
    counted."""
    if len(per_channel) == 1:
        return next(iter(per_channel.values()))
    return rows.values("member_id").distinct().count() if per_channel else 0


def campaign_results(campaign: Campaign, today: date | None = None) -> Results:
    """The campaign's figures as kept: computed now only if none were ever kept; when the
    campaign changed since, they are older than RESULTS_SECONDS or were kept for another day,
    the kept figures (marked stale) while new ones are computed in the background."""
    today = today or timezone.localdate()
    kept = KeptResults.objects.filter(campaign=campaign).first()
    if kept is None:
        kept = campaign_results_keep(campaign, today)
    elif not _current(kept, campaign, today):
        campaign_results_queue(campaign.pk, today)
        # With tasks run at once (tests, KEHU_TASKS_IMMEDIATE) the new figures are kept now.
        kept = KeptResults.objects.filter(campaign=campaign).first() or kept
    return _results_from_kept(campaign, kept, today)


def _current(kept: KeptResults, campaign: Campaign, today: date) -> bool:
    age = (timezone.now() - kept.computed_at).total_seconds()
    return kept.on == today and kept.version >= campaign.updated_at and age <= RESULTS_SECONDS


def campaign_results_queue(campaign_id: int, today: date | None = None) -> None:
    """Compute the campaign's figures in the background, unless that is queued already."""
    from kehu.marketing import tasks

    today = today or timezone.localdate()
    key = _queued_key(campaign_id, today)
    queue_once(key, RESULTS_SECONDS, tasks.keep_results, campaign_id, today.isoformat())


def _queued_key(campaign_id: int, today: date) -> str:
    return f"marketing-results:{campaign_id}:{today}"


def campaign_results_keep(campaign: Campaign, today: date) -> KeptResults:
    """Compute the campaign's figures for ``today`` and keep them (the background task)."""
    queued_started(_queued_key(campaign.pk, today))
    results = _campaign_results(campaign, today)
    figures = {
        **{name: getattr(results, name) for name in KEPT_FIELDS},
        "total": asdict(results.total),
        "channels": {code: asdict(f) for code, f in results.channels.items()},
    }
    kept, _created = KeptResults.objects.update_or_create(
        campaign=campaign,
        defaults={
            "on": today,
            "version": campaign.updated_at,
            "computed_at": timezone.now(),
            "figures": json.loads(json.dumps(figures, cls=DjangoJSONEncoder)),
        },
    )
    return kept


KEPT_FIELDS = (
    "responses",
    "target_buy_rate",
    "control_buy_rate",
    "control_members",
    "bounced",
    "web_submissions",
    "web_leads",
    "daily",
)


def _results_from_kept(campaign: Campaign, kept: KeptResults, today: date) -> Results:
    """The kept figures, labelled in the reader's language."""
    figures = kept.figures
    channels = {
        code: replace(Figures.from_kept(f), label=str(CampaignChannel(code).label) if code else "")
        for code, f in figures["channels"].items()
    }
    return Results(
        campaign=campaign,
        total=replace(Figures.from_kept(figures["total"]), label=campaign.name),
        channels=channels,
        **{name: figures[name] for name in KEPT_FIELDS if name != "daily"},
        daily=[tuple(day) for day in figures["daily"]],
        computed_at=kept.computed_at,
        stale=not _current(kept, campaign, today),
    )


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
    # Contacts and members reached per channel and day: the daily series, and the members
    # reached per channel when each channel reached them on one day (the usual case; else a
    # member reached on two days would count twice, so they are counted again).
    by_day = list(
        sends.values_list("channel", "sent_on")
        .annotate(n=Count("id"), members=Count("member_id", distinct=True))
        .order_by()
    )
    daily_contacts: dict[date, int] = {}
    for _channel, day, n, _members in by_day:
        if day is not None:
            daily_contacts[day] = daily_contacts.get(day, 0) + n
    reached = {channel: members for channel, _day, _n, members in by_day}
    if len(reached) < len(by_day):
        reached = dict(
            sends.values_list("channel").annotate(n=Count("member_id", distinct=True)).order_by()
        )
    for channel, n in reached.items():
        row(channel).reached = n
    total.reached = _members_overall(reached, sends)
    responses = Response.objects.filter(member__campaign=campaign)
    by_kind: dict[str, int] = {}
    daily_responses: dict[date, int] = {}
    for kind, day, n in (
        responses.values_list("kind", "at__date").annotate(n=Count("id")).order_by()
    ):
        by_kind[kind] = by_kind.get(kind, 0) + n
        daily_responses[day] = daily_responses.get(day, 0) + n
    # An unsubscribe is no response to the offer, nor is an open (a pixel loaded).
    positive = responses.exclude(kind__in=[Response.Kind.UNSUBSCRIBED, Response.Kind.OPENED])
    responded = dict(
        positive.values_list("channel").annotate(n=Count("member_id", distinct=True)).order_by()
    )
    for channel, n in responded.items():
        if channel:
            row(channel).responded = n
    total.responded = _members_overall(responded, positive)
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
    sizes = dict(
        CampaignMember.objects.filter(campaign=campaign)
        .values_list("group")
        .annotate(n=Count("id"))
        .order_by()
    )

    def buy_rate(group: str) -> float | None:
        size = sizes.get(group, 0)
        return attributed.buyers.get(group, 0) / size if size else None

    control_n = sizes.get(CampaignMember.Group.CONTROL, 0)
    days = sorted(set(daily_contacts) | set(daily_responses))
    return Results(
        campaign=campaign,
        total=total,
        channels=channels,
        responses={k: by_kind.get(k, 0) for k in Response.Kind.values},
        target_buy_rate=buy_rate(CampaignMember.Group.TARGET),
        control_buy_rate=buy_rate(CampaignMember.Group.CONTROL),
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
