"""Attribution and results on a known-answer fixture: every figure below is worked out by hand."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine

from kehu.marketing import selectors, services
from kehu.marketing.models import Campaign, CampaignMember, Send
from kehu.sales.models import Order

from .conftest import SH, order, person


def test_roi_and_lift_on_a_known_answer(finished):
    results = selectors.campaign_results(finished, today=date(2026, 5, 1))
    total = results.total
    assert (total.reached, total.responded, total.converted, total.orders) == (4, 2, 2, 3)
    assert total.revenue == Decimal("1000")  # 600 + 200 + 200
    assert total.cost == Decimal("500")
    assert total.cost_per_response == Decimal("250.00")
    assert total.roi == Decimal("1.0000")  # (1000 - 500) / 500
    # bought in the period: targets 3 of 4 (王芳, 李强, 赵磊), control 1 of 2
    assert results.target_buy_rate == 0.75
    assert results.control_buy_rate == 0.5
    assert results.lift == pytest.approx(0.5)
    email = results.channels["email"]
    assert (email.reached, email.converted, email.revenue, email.cost) == (
        4,
        2,
        Decimal("1000"),
        Decimal("300"),
    )
    assert email.roi == Decimal("2.3333")  # (1000 - 300) / 300
    assert results.responses["unsubscribed"] == 1


def test_the_attribution_window_is_the_campaigns(finished):
    finished.attribution_days = 40
    finished.save()
    results = selectors.campaign_results(finished, today=date(2026, 5, 1))
    assert results.total.revenue == Decimal("2000")  # 李强's order on day 39 now counts


def running(marketer, name, channels, launched=datetime(2026, 3, 1, tzinfo=SH), **fields):
    """A campaign in March 2026, running since ``launched`` (without a launch's members)."""
    fields = {"starts_on": date(2026, 3, 1), "ends_on": date(2026, 3, 31), **fields}
    c = services.campaign_create(user=marketer, name=name, channels=channels, **fields)
    Campaign.objects.filter(pk=c.pk).update(status="running", launched_at=launched)
    c.refresh_from_db()
    return c


def touch(campaign, customer, when, channel="email"):
    member, _ = CampaignMember.objects.get_or_create(
        campaign=campaign,
        customer=customer,
        defaults={"group": "target", "added_at": when},
    )
    return Send.objects.create(
        campaign=campaign, member=member, channel=channel, status="sent", sent_at=when
    )


def test_last_touch_by_default_first_touch_as_an_option(marketer, people):
    wang = people["王芳"]
    made = []
    for name, day in (("A", 2), ("B", 10)):
        c = running(marketer, name, ["email", "phone"])
        touch(c, wang, datetime(2026, 3, day, 9, tzinfo=SH), "email" if name == "A" else "phone")
        made.append(c)
    a, b = made
    order(wang, date(2026, 3, 12), "800")
    today = date(2026, 5, 1)
    assert selectors.attributed_orders(a, today) == []
    assert [o["channel"] for o in selectors.attributed_orders(b, today)] == ["phone"]
    a.attribution = Campaign.Attribution.FIRST_TOUCH
    a.save()
    assert [o["amount"] for o in selectors.attributed_orders(a, today)] == [Decimal("800")]


def test_members_reached_on_several_days_and_channels_count_once(marketer, people):
    """Reach and responses count members, the daily series counts contacts and responses:
    王芳 is e-mailed on two days and replies (and opens, no response to the offer), 李强 is
    e-mailed and called and calls back, 张敏's e-mail failed."""
    c = running(marketer, "R", ["email", "phone"])
    touch(c, people["王芳"], datetime(2026, 3, 2, 9, tzinfo=SH))
    touch(c, people["王芳"], datetime(2026, 3, 3, 9, tzinfo=SH))
    touch(c, people["李强"], datetime(2026, 3, 3, 23, 30, tzinfo=SH))  # 15:30 UTC, local 3rd
    touch(c, people["李强"], datetime(2026, 3, 4, 9, tzinfo=SH), "phone")
    failed = touch(c, people["张敏"], datetime(2026, 3, 4, 9, tzinfo=SH))
    Send.objects.filter(pk=failed.pk).update(status="failed")
    member = {m.customer.name: m for m in CampaignMember.objects.filter(campaign=c)}
    with time_machine.travel(datetime(2026, 3, 9, tzinfo=SH), tick=False):
        for name, kind, channel, day in (
            ("王芳", "replied", "email", 3),
            ("王芳", "opened", "email", 3),
            ("李强", "called_back", "phone", 4),
        ):
            services.response_record(
                user=marketer, member=member[name], kind=kind, channel=channel,
                at=datetime(2026, 3, day, 12, tzinfo=SH),
            )  # fmt: skip

    results = selectors.campaign_results(c, today=date(2026, 3, 10))

    assert results.total.reached == 2
    assert (results.channels["email"].reached, results.channels["phone"].reached) == (2, 1)
    assert results.total.responded == 2
    assert (results.channels["email"].responded, results.channels["phone"].responded) == (1, 1)
    assert (results.responses["replied"], results.responses["opened"]) == (1, 1)
    assert results.daily == [("2026-03-02", 1, 0), ("2026-03-03", 2, 2), ("2026-03-04", 1, 1)]


def test_one_channel_on_one_day_gives_the_reach_from_the_daily_counts(marketer, people):
    c = running(marketer, "S", ["sms"])
    for name in ("王芳", "李强"):
        touch(c, people[name], datetime(2026, 3, 2, 9, tzinfo=SH), "sms")
    touch(c, people["王芳"], datetime(2026, 3, 2, 15, tzinfo=SH), "sms")  # twice that day

    results = selectors.campaign_results(c, today=date(2026, 3, 10))

    assert (results.total.reached, results.channels["sms"].reached) == (2, 2)
    assert results.daily == [("2026-03-02", 3, 0)]


def test_channel_comparison_sums_campaigns(finished, marketer, leader, rep):
    rows = {r.label: r for r in selectors.channel_comparison(user=marketer)}
    assert rows["E-mail"].revenue >= 0
    assert selectors.channel_comparison(user=leader)
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.channel_comparison(user=rep)


def _attributed_by_python(campaign, today):
    """The attribution as it was first written (a Python loop over every touch and order),
    kept as the reference the SQL attribution must match."""
    from collections import defaultdict
    from datetime import timedelta

    from django.utils import timezone

    start, end = selectors._period(campaign, today)
    targets = CampaignMember.objects.filter(campaign=campaign, group="target").values("customer_id")
    windows = dict(Campaign.objects.values_list("pk", "attribution_days"))
    touches = defaultdict(list)
    for customer_id, campaign_id, channel, sent_at in Send.objects.filter(
        status__in=selectors.REACHED, member__customer_id__in=targets
    ).values_list("member__customer_id", "campaign_id", "channel", "sent_at"):
        touches[customer_id].append((timezone.localdate(sent_at), campaign_id, channel))
    found = []
    orders = (
        Order.objects.filter(customer_id__in=targets, ordered_on__gte=start, ordered_on__lte=end)
        .exclude(status=Order.Status.CANCELLED)
        .order_by("pk")
        .values_list("pk", "customer_id", "ordered_on", "total_amount")
    )
    last = campaign.attribution == Campaign.Attribution.LAST_TOUCH
    for order_id, customer_id, ordered_on, amount in orders:
        candidates = [
            t
            for t in touches.get(customer_id, ())
            if t[0] <= ordered_on <= t[0] + timedelta(days=windows[t[1]])
        ]
        if not candidates:
            continue
        winner = max(candidates) if last else min(candidates)
        if winner[1] == campaign.pk:
            found.append(
                {
                    "order_id": order_id,
                    "customer_id": customer_id,
                    "ordered_on": ordered_on,
                    "amount": amount,
                    "channel": winner[2],
                }
            )
    return found


def test_sql_attribution_matches_the_python_reference(marketer, rep, data_dir):
    """Four campaigns with different windows over twelve customers: overlapping touches (on
    the same day too, and near midnight, where the local day differs from UTC's), contacts
    not reached, control members, cancelled orders and orders outside the periods. Both rules,
    every campaign: the SQL attribution finds exactly what the reference loop finds."""
    import random
    from datetime import timedelta

    rnd = random.Random(20)
    customers = [person(rep, f"客户{i}", "杭州") for i in range(12)]
    campaigns = []
    for i, days in enumerate((3, 10, 30, 10)):
        c = running(
            marketer,
            f"C{i}",
            ["email", "sms", "phone"],
            launched=datetime(2026, 3, 1 + i, 8, tzinfo=SH),
            ends_on=date(2026, 3, 20 + i),
            attribution_days=days,
        )
        campaigns.append(c)
    for c in campaigns:
        for customer in rnd.sample(customers, 9):
            group = "control" if rnd.random() < 0.2 else "target"
            member = CampaignMember.objects.create(
                campaign=c, customer=customer, group=group, added_at=datetime(2026, 3, 1, tzinfo=SH)
            )
            if group == "control":
                continue
            for _ in range(rnd.randint(0, 3)):
                when = datetime(2026, 3, rnd.randint(1, 25), rnd.choice((0, 9, 23)), 30, tzinfo=SH)
                Send.objects.create(
                    campaign=c,
                    member=member,
                    channel=rnd.choice(("email", "sms", "phone")),
                    status=rnd.choice(("sent", "sent", "delivered", "failed", "queued")),
                    sent_at=when,
                )
    for customer in customers:
        for _ in range(rnd.randint(1, 5)):
            status = rnd.choice(
                (Order.Status.DELIVERED, Order.Status.DELIVERED, Order.Status.CANCELLED)
            )
            day = date(2026, 2, 25) + timedelta(days=rnd.randint(0, 70))
            order(customer, day, str(rnd.randint(1, 900)), status)
    today = date(2026, 4, 20)
    found = 0
    for c in campaigns:
        for rule in Campaign.Attribution.values:
            c.attribution = rule
            c.save()
            expected = _attributed_by_python(c, today)
            assert selectors.attributed_orders(c, today) == expected, (c.name, rule)
            summed = selectors.attributed_totals(c, today)
            channels = {o["channel"] for o in expected}
            assert summed.channels == {
                ch: (
                    sum(1 for o in expected if o["channel"] == ch),
                    sum((o["amount"] for o in expected if o["channel"] == ch), Decimal(0)),
                    len({o["customer_id"] for o in expected if o["channel"] == ch}),
                )
                for ch in channels
            }, (c.name, rule)
            assert summed.customers == len({o["customer_id"] for o in expected})
            found += len(expected)
    assert found > 10  # the fixture attributes enough orders to mean something
