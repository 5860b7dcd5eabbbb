"""Demo service data for the demo archive: cases with their SLA history, satisfaction ratings
and customer feedback, generated with NumPy a batch of customers at a time and written with the
raw batch writer of ``kehu.demo.customers_load`` (``executemany`` on SQLite, ``COPY`` on
PostgreSQL), so it scales with the archive.

What makes it look like a service desk's year:
- about one customer in twelve opened a case in the last year (leads rarely do), a few several;
  after-sales requests are half of them, questions under a third, complaints a fifth;
- deadlines come from the configured SLA in business hours, as ``case_open`` computes them;
- older cases are mostly closed or resolved; recent ones are spread over every status; some
  were answered or resolved late, and some open ones are past their deadline (escalated, as
  the escalation job would have done);
- two thirds of resolved cases were rated, complaints lower than the rest;
- feedback: product comments, questions and market comments from one customer in sixteen.

Case ids are assigned here from ``MAX(id)``: nobody else may write cases while it runs.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.bulk import bulk_insert
from kehu.customers.models import Channel
from kehu.demo.sales_load import _customer_batches
from kehu.sales.models import Product
from kehu.service.business_hours import BusinessHours, add_business_minutes
from kehu.service.models import Case, CaseEvent, CaseRating, CaseType, Feedback, Priority
from kehu.service.selectors import business_hours_get, sla_policies_get

CASE_RATE = 0.085  # cases per customer and year (Poisson), before the stage weight
FEEDBACK_RATE = 0.065
STAGE_WEIGHT = {"lead": 0.15, "prospect": 0.5, "customer": 1.0, "lost": 0.8}
TYPES = np.array([CaseType.AFTER_SALES.value, CaseType.QUESTION.value, CaseType.COMPLAINT.value])
TYPE_SHARE = np.array([0.5, 0.3, 0.2])
PRIORITIES = np.array(
    [Priority.URGENT.value, Priority.HIGH.value, Priority.NORMAL.value, Priority.LOW.value]
)
PRIORITY_SHARE = np.array([0.07, 0.2, 0.56, 0.17])
HISTORY_DAYS = 365
RATED_SHARE = 0.65
SCORE_SHARE = {  # 1 … 5
    "complaint": np.array([0.12, 0.16, 0.26, 0.27, 0.19]),
    "other": np.array([0.02, 0.04, 0.14, 0.38, 0.42]),
}
CHANNEL_CODES = ("phone", "call_center", "wechat", "email", "store", "website", "visit")

SUBJECTS = {
    "after_sales": ["产品故障报修", "申请退换货", "上门安装预约", "配件更换", "保修期内维修"],
    "question": ["咨询使用方法", "咨询发票开具", "咨询物流进度", "咨询会员积分", "咨询产品参数"],
    "complaint": ["投诉送货延误", "投诉服务态度", "投诉产品质量", "投诉重复扣款", "投诉安装不规范"],
}
DESCRIPTIONS = {
    "after_sales": "客户来电称{p}使用中出现问题，要求尽快处理。",
    "question": "客户询问{p}的相关问题，希望得到书面答复。",
    "complaint": "客户对{p}的购买和服务体验不满意，情绪较为激动，要求给出说法。",
}
RESOLUTIONS = [
    "已安排工程师上门处理，客户确认问题解决。",
    "已为客户办理退换货，新品已签收。",
    "已电话答复客户并发送说明资料。",
    "已向客户致歉并给予优惠券补偿，客户表示接受。",
    "已协调物流加急配送，客户已收货。",
]
RATING_COMMENTS = {
    1: ["处理太慢，很不满意", "问题没有解决"],
    2: ["态度一般，效率有待提高", "等了很久才有人联系"],
    3: ["还可以", "基本解决了"],
    4: ["处理及时，比较满意", "服务不错"],
    5: ["非常满意，工程师很专业", "响应迅速，点赞", ""],
}
FEEDBACK_KINDS = np.array(
    [Feedback.Kind.PRODUCT_COMMENT.value, Feedback.Kind.QUESTION.value,
     Feedback.Kind.MARKET_COMMENT.value]
)  # fmt: skip
FEEDBACK_SHARE = np.array([0.5, 0.3, 0.2])
PRODUCT_OPINIONS = ["包装很精致，送礼有面子", "性价比高，会回购", "质量一般，价格偏高",
                    "功能齐全但说明书不够清楚", "物流快，品质稳定"]  # fmt: skip
PREFERENCES = ["偏好礼盒装", "希望有小规格包装", "更看重售后服务", "喜欢线上下单", ""]
QUESTIONS = [
    ("product_service", "保修期从哪天开始计算？", "自签收之日起计算，详见保修卡。"),
    ("product_service", "能否开具增值税专用发票？", "可以，请提供开票信息。"),
    ("market", "明年价格会不会上涨？", "已转告销售，会提前通知价格调整。"),
    ("company_affairs", "贵公司在本地有没有门店？", "已告知最近门店地址。"),
]
MARKET_COMMENTS = [
    ("礼品市场", "今年企业采购礼品预算普遍收紧"),
    ("家电市场", "以旧换新补贴带动了换购需求"),
    ("线上零售", "直播渠道价格更低，客户会比价"),
    ("原材料市场", "钢材价格波动大，采购倾向分批下单"),
]
LIFECYCLE = np.array(["introduction", "growth", "maturity", "maturity", "decline"])
CASE_FIELDS = (
    "id", "created_at", "updated_at", "customer", "contact", "type", "priority", "channel",
    "subject", "description", "product", "product_code", "product_name", "status",
    "assigned_to", "opened_by", "resolution", "response_due_at", "resolution_due_at",
    "first_response_at", "waiting_since", "resolved_at", "closed_at", "escalated_at",
    "rating_nonce",
)  # fmt: skip
EVENT_FIELDS = ("case", "customer", "kind", "at", "by", "from_status", "to_status", "note", "key")
RATING_FIELDS = (
    "created_at", "updated_at", "case", "customer", "score", "comment", "source", "rated_by",
)  # fmt: skip
FEEDBACK_FIELDS = (
    "created_at", "updated_at", "customer", "kind", "case", "product", "product_code",
    "product_name", "satisfaction", "lifecycle_opinion", "understands_product", "preferences",
    "market_type", "question_type", "content", "solution", "recorded_by",
)  # fmt: skip


@dataclass(frozen=True)
class _Context:
    now: datetime
    hours: BusinessHours
    sla: dict[tuple[str, str], tuple[int, int]]
    agent: int | None
    channels: list[int]
    products: list[tuple[int, str, str]]  # id, code, name


def _text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class _Rows:
    cases: list[tuple[object, ...]]
    events: list[tuple[object, ...]]
    ratings: list[tuple[object, ...]]
    feedback: list[tuple[object, ...]]


def _case_rows(
    customer: int, created_day: int, *, pk: int, ctx: _Context, rng: np.random.Generator,
    rows: _Rows,
) -> None:  # fmt: skip
    zone = ctx.hours.zone
    today = ctx.now.astimezone(zone).date()
    first_day = max(date(1970, 1, 1) + timedelta(days=created_day), today - timedelta(HISTORY_DAYS))
    span = max((today - first_day).days, 0)
    day = first_day + timedelta(days=int(rng.integers(0, span + 1)))
    # most cases come in during business hours, some in the evening or at weekends
    hour = int(rng.integers(9, 18)) if rng.random() < 0.85 else int(rng.integers(18, 23))
    opened = datetime(day.year, day.month, day.day, hour, int(rng.integers(0, 60)), tzinfo=zone)
    if opened >= ctx.now:
        opened = ctx.now - timedelta(minutes=int(rng.integers(5, 300)))
    kind = str(TYPES[rng.choice(3, p=TYPE_SHARE)])
    priority = str(PRIORITIES[rng.choice(4, p=PRIORITY_SHARE)])
    response_minutes, resolution_minutes = ctx.sla[(kind, priority)]
    response_due = add_business_minutes(ctx.hours, opened, response_minutes)
    resolution_due = add_business_minutes(ctx.hours, opened, resolution_minutes)
    product = None
    if ctx.products and rng.random() < (0.3 if kind == "question" else 0.75):
        product = ctx.products[int(rng.integers(0, len(ctx.products)))]
    about = product[2] if product else "所购产品"
    # how it went: late answers and late resolutions happen (factor > 1)
    responded = add_business_minutes(
        ctx.hours, opened, max(1, int(response_minutes * rng.lognormal(-0.9, 0.8)))
    )
    resolved = add_business_minutes(
        ctx.hours, opened, max(30, int(resolution_minutes * rng.lognormal(-0.7, 0.6)))
    )
    closed = resolved + timedelta(days=3)
    age = (ctx.now - opened).days
    if age > 30:
        status = str(rng.choice(["closed", "resolved", "in_progress", "waiting", "new"],
                                p=[0.7, 0.24, 0.03, 0.01, 0.02]))  # fmt: skip
    else:
        status = str(rng.choice(["new", "in_progress", "waiting", "resolved", "closed"],
                                p=[0.15, 0.3, 0.1, 0.25, 0.2]))  # fmt: skip
    if status in ("resolved", "closed") and resolved > ctx.now:
        status = "in_progress"  # not done yet
    if status == "closed" and closed > ctx.now:
        status = "resolved"
    if status != "new" and responded > ctx.now:
        status = "new"
    if status == "new":
        first_response = None
    else:
        first_response = min(responded, resolved) if status in ("resolved", "closed") else responded
    waiting_since = None
    if status == "waiting":
        assert first_response is not None  # noqa: S101 (not new)
        waiting_since = first_response + (ctx.now - first_response) * float(rng.uniform(0.2, 0.9))
    resolved_at = resolved if status in ("resolved", "closed") else None
    closed_at = closed if status == "closed" else None
    running = status in ("new", "in_progress")
    missed = ""
    if running and first_response is None and response_due < ctx.now:
        missed = "response"
    elif running and resolution_due < ctx.now:
        missed = "resolution"
    escalated_at = None
    if missed:
        escalated_at = (response_due if missed == "response" else resolution_due) + timedelta(
            minutes=10
        )
    assigned = ctx.agent if status != "new" or rng.random() < 0.5 else None
    channel = ctx.channels[int(rng.integers(0, len(ctx.channels)))] if ctx.channels else None
    resolution = RESOLUTIONS[int(rng.integers(0, len(RESOLUTIONS)))] if resolved_at else ""
    updated = max(m for m in (opened, first_response, waiting_since, resolved_at, closed_at,
                              escalated_at) if m is not None)  # fmt: skip
    subject = SUBJECTS[kind][int(rng.integers(0, len(SUBJECTS[kind])))]
    rows.cases.append(
        (pk, _text(opened), _text(updated), customer, None, kind, priority, channel, subject,
         DESCRIPTIONS[kind].format(p=about), product[0] if product else None,
         product[1] if product else "", product[2] if product else "", status, assigned,
         ctx.agent, resolution, _text(response_due), _text(resolution_due),
         _text(first_response), _text(waiting_since), _text(resolved_at), _text(closed_at),
         _text(escalated_at), "")
    )  # fmt: skip
    agent = ctx.agent

    def event(kind: str, at: datetime, old: str = "", new: str = "", note: str = "",
              key: str = "", by: int | None = agent) -> None:  # fmt: skip
        rows.events.append((pk, customer, kind, _text(at), by, old, new, note, key))

    event(CaseEvent.Kind.OPENED, opened, new="new")
    if first_response is not None:
        event(CaseEvent.Kind.STATUS, first_response, "new", "in_progress")
    if waiting_since is not None:
        event(CaseEvent.Kind.STATUS, waiting_since, "in_progress", "waiting")
    if resolved_at is not None:
        event(CaseEvent.Kind.STATUS, resolved_at, "in_progress", "resolved", note=resolution)
    if closed_at is not None:
        event(CaseEvent.Kind.STATUS, closed_at, "resolved", "closed")
    if escalated_at is not None:
        event(CaseEvent.Kind.ESCALATED, escalated_at, key=f"sla:{missed}", by=None)
    if resolved_at is not None and rng.random() < RATED_SHARE:
        shares = SCORE_SHARE["complaint" if kind == "complaint" else "other"]
        score = int(rng.choice(5, p=shares)) + 1
        comments = RATING_COMMENTS[score]
        comment = comments[int(rng.integers(0, len(comments)))]
        by_customer = rng.random() < 0.6
        rated = min(resolved_at + timedelta(hours=float(rng.uniform(1, 72))), ctx.now)
        rows.ratings.append(
            (_text(rated), _text(rated), pk, customer, score, comment,
             CaseRating.Source.CUSTOMER if by_customer else CaseRating.Source.AGENT,
             None if by_customer else agent)
        )  # fmt: skip
        event(CaseEvent.Kind.RATED, rated, note=f"{score}/5 {comment}".strip(),
              by=None if by_customer else agent)  # fmt: skip


def _feedback_row(
    customer: int, created_day: int, *, ctx: _Context, rng: np.random.Generator, rows: _Rows
) -> None:
    start = max(created_day, (ctx.now.date() - date(1970, 1, 1)).days - 2 * HISTORY_DAYS)
    end = (ctx.now.date() - date(1970, 1, 1)).days
    day = date(1970, 1, 1) + timedelta(days=int(rng.integers(start, max(end, start + 1))))
    at = _text(datetime(day.year, day.month, day.day, 3, int(rng.integers(0, 60)), tzinfo=UTC))
    kind = str(FEEDBACK_KINDS[rng.choice(3, p=FEEDBACK_SHARE)])
    product = None
    if kind == Feedback.Kind.PRODUCT_COMMENT and ctx.products:
        product = ctx.products[int(rng.integers(0, len(ctx.products)))]
    elif kind == Feedback.Kind.PRODUCT_COMMENT:
        kind = Feedback.Kind.MARKET_COMMENT.value
    empty = ("", "")
    satisfaction = lifecycle = understands = None
    preferences = market_type = question_type = solution = ""
    if product is not None:
        satisfaction = int(rng.choice(5, p=SCORE_SHARE["other"])) + 1
        lifecycle = str(LIFECYCLE[int(rng.integers(0, len(LIFECYCLE)))])
        understands = bool(rng.random() < 0.8)
        preferences = PREFERENCES[int(rng.integers(0, len(PREFERENCES)))]
        content = PRODUCT_OPINIONS[int(rng.integers(0, len(PRODUCT_OPINIONS)))]
    elif kind == Feedback.Kind.QUESTION:
        question_type, content, solution = QUESTIONS[int(rng.integers(0, len(QUESTIONS)))]
    else:
        market_type, content = MARKET_COMMENTS[int(rng.integers(0, len(MARKET_COMMENTS)))]
    code, name = (product[1], product[2]) if product else empty
    rows.feedback.append(
        (at, at, customer, kind, None, product[0] if product else None, code, name,
         satisfaction, lifecycle or "", understands, preferences, market_type, question_type,
         content, solution, ctx.agent)
    )  # fmt: skip


def _context(now: datetime, agent: str | None) -> _Context:
    policies = sla_policies_get()
    channels = dict(Channel.objects.filter(code__in=CHANNEL_CODES).values_list("code", "id"))
    return _Context(
        now=now,
        hours=business_hours_get(since=now.date() - timedelta(days=HISTORY_DAYS + 31)),
        sla={k: (p.response_minutes, p.resolution_minutes) for k, p in policies.items()},
        agent=User.objects.filter(username=agent).values_list("pk", flat=True).first()
        if agent
        else None,
        channels=[channels[c] for c in CHANNEL_CODES if c in channels],
        products=list(Product.objects.order_by("id").values_list("id", "code", "name")),
    )


def demo_service_load(
    *,
    seed: int,
    agent: str | None,
    now: datetime | None = None,
    scale: float = 1.0,
    batch_size: int = 20_000,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int, int]:
    """Cases (with events and ratings) and feedback over every customer there is, about
    ``scale`` × the default rates; returns the numbers of cases, ratings and feedback written.
    ``progress(customers_done, cases_written)``."""
    now = now or timezone.now()
    if scale <= 0:
        return (0, 0, 0)
    ctx = _context(now.astimezone(ZoneInfo(settings.TIME_ZONE)), agent)
    rng = np.random.default_rng(seed + 7)
    next_case = (Case.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    cases = ratings = feedback = done = 0
    for batch in _customer_batches(batch_size):
        weight = np.array([STAGE_WEIGHT.get(s, 1.0) for s in batch.stage]) * scale
        n_cases = rng.poisson(CASE_RATE * weight)
        n_feedback = rng.poisson(FEEDBACK_RATE * weight)
        rows = _Rows([], [], [], [])
        ids, created = batch.ids.tolist(), batch.created.tolist()
        for i in np.flatnonzero(n_cases).tolist():
            for _ in range(int(n_cases[i])):
                _case_rows(ids[i], created[i], pk=next_case, ctx=ctx, rng=rng, rows=rows)
                next_case += 1
        for i in np.flatnonzero(n_feedback).tolist():
            for _ in range(int(n_feedback[i])):
                _feedback_row(ids[i], created[i], ctx=ctx, rng=rng, rows=rows)
        with transaction.atomic(), connection.cursor() as cursor:
            bulk_insert(cursor, Case, CASE_FIELDS, rows.cases)
            bulk_insert(cursor, CaseEvent, EVENT_FIELDS, rows.events)
            bulk_insert(cursor, CaseRating, RATING_FIELDS, rows.ratings)
            bulk_insert(cursor, Feedback, FEEDBACK_FIELDS, rows.feedback)
        cases, ratings, feedback = (
            cases + len(rows.cases), ratings + len(rows.ratings), feedback + len(rows.feedback)
        )  # fmt: skip
        done += len(ids)
        if progress is not None:
            progress(done, cases)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Case]):
            cursor.execute(sql)
    return cases, ratings, feedback


def demo_service_report(
    *, seed: int, agent: str | None, scale: float, write: Callable[[str], None]
) -> None:
    """``kehu demo``'s service step: load, print progress every 2 s and the time taken."""
    import time

    started = time.monotonic()
    shown = [started]

    def progress(customers: int, cases: int) -> None:
        now = time.monotonic()
        if now - shown[0] >= 2:
            shown[0] = now
            write(f"  {customers:>12,} customers, {cases:,} cases")

    cases, ratings, feedback = demo_service_load(
        seed=seed, agent=agent, scale=scale, progress=progress
    )
    write(
        f"Demo service: {cases:,} cases, {ratings:,} ratings, {feedback:,} feedback "
        f"in {time.monotonic() - started:.1f} s"
    )
