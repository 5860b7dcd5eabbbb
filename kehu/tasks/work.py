""" "My work": everything a user has to do, from every app, as one list of dated items — tasks
and planned calls and visits, follow-ups, care items (birthdays, pool warnings) and service
case deadlines. The list, the calendar and the iCalendar feed all read it. One query per source.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case as When_
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models import When as WhenClause
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kehu.accounts.models import User
from kehu.core.pagination import first_rows
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_q
from kehu.interactions.models import Interaction, Reminder
from kehu.service.models import Case
from kehu.service.selectors import OPEN_STATUSES
from kehu.tasks.models import Task

# How far ahead "later" reaches on the list.
LATER_DAYS = 30
# Care items of one kind listed on one day; the rest are counted in one item.
CARE_PER_DAY = 3


@dataclass(frozen=True)
class WorkItem:
    source: str  # task, follow_up, care, case
    label: str | Promise  # what kind of work, in words
    title: str
    day: date
    at: datetime | None  # the time of day, when the work has one
    url: str
    customer: Customer | None = None
    task: Task | None = None
    high: bool = False  # high priority, or an urgent case

    @property
    def uid(self) -> str:
        """Stable across feeds: the iCalendar UID."""
        key = self.task.pk if self.task else self.url
        return f"{self.source}-{key}-{self.day.isoformat()}@kehu"


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# Each source's work as a queryset (open, due before ``until``, the customers in ``visible``),
# with the field that dates it: "my work" lists it, the home card counts it in SQL.


def _task_rows(user: User, visible: Q, until: date) -> Any:
    # a task without a customer is always the assignee's
    return Task.objects.filter(
        (Q(customer__isnull=True) | visible) if visible else Q(),
        assignee=user,
        status=Task.Status.OPEN,
        due_at__lt=_start(until),
    )


def _follow_up_rows(user: User, visible: Q, until: date) -> Any:
    return Interaction.objects.filter(
        visible,
        user=user,
        follow_up_done_at__isnull=True,
        next_follow_up_on__isnull=False,
        next_follow_up_on__lt=until,
    )


def _care_rows(user: User, visible: Q, until: date, today: date) -> Any:
    return Reminder.objects.filter(
        visible,
        user=user,
        done_at__isnull=True,
        kind__in=[Reminder.Kind.BIRTHDAY, Reminder.Kind.POOL_WARNING],
        due_on__lt=until,
    ).exclude(kind=Reminder.Kind.BIRTHDAY, due_on__lt=today)  # a past birthday is not overdue


def _case_rows(user: User, visible: Q, until: date) -> Any:
    # The next deadline: the first response while there is none, else the resolution.
    due = Q(first_response_at__isnull=True, response_due_at__lt=_start(until)) | Q(
        first_response_at__isnull=False, resolution_due_at__lt=_start(until)
    )
    return Case.objects.filter(due, visible, assigned_to=user, status__in=OPEN_STATUSES).annotate(
        next_due_at=When_(
            WhenClause(first_response_at__isnull=True, then=F("response_due_at")),
            default=F("resolution_due_at"),
        )
    )


TASK_ITEM_FIELDS = ("id", "title", "kind", "priority", "status", "due_at", "customer")


def _tasks(
    user: User, visible: Q, since: date | None, until: date, limit: int | None = None
) -> list[WorkItem]:
    # Only what an item shows: a rep may have a thousand tasks in the month, and a customer's
    # whole row cost more to read and build than the rest of the item.
    rows = (
        _task_rows(user, visible, until)
        .select_related("customer")
        .only(*TASK_ITEM_FIELDS, "customer__id", "customer__name")
    )
    if since is not None:
        rows = rows.filter(due_at__gte=_start(since))
    # Each kind's label translated and the detail address resolved once, not once a task.
    labels = {kind: str(label) for kind, label in Task.Kind.choices}
    detail = reverse("tasks:detail", args=[0]).removesuffix("0/")
    zone = timezone.get_current_timezone()
    items = []
    for task in rows.order_by("due_at", "id")[:limit]:
        local = timezone.localtime(task.due_at, zone)
        items.append(
            WorkItem(
                source="task",
                label=labels.get(task.kind, task.kind),
                title=task.title,
                day=local.date(),
                at=local,
                url=f"{detail}{task.pk}/",
                customer=task.customer,
                task=task,
                high=task.priority == Task.Priority.HIGH,
            )
        )
    return items


def _follow_ups(
    user: User, visible: Q, since: date | None, until: date, limit: int | None = None
) -> list[WorkItem]:
    rows = _follow_up_rows(user, visible, until).select_related("customer")
    if since is not None:
        rows = rows.filter(next_follow_up_on__gte=since)
    return [
        WorkItem(
            source="follow_up",
            label=_("Follow-up"),
            title=row.next_follow_up_note or row.summary[:80],
            day=row.next_follow_up_on,
            at=None,
            url=row.customer.get_absolute_url(),
            customer=row.customer,
        )
        for row in rows.order_by("next_follow_up_on", "id")[:limit]
        if row.next_follow_up_on is not None
    ]


def _care(
    user: User,
    visible: Q,
    since: date | None,
    until: date,
    today: date,
    limit: int | None = None,
) -> list[WorkItem]:
    """Birthdays and pool warnings, at most ``CARE_PER_DAY`` of a kind on a day; the rest of
    that day's are one item ("and 12 more birthdays") linking to "my day". A rep with 30,000
    customers has ~80 birthdays a day: listing each made the month calendar build thousands of
    items, and nobody reads them there."""
    rows = _care_rows(user, visible, until, today)
    if since is not None:
        rows = rows.filter(due_on__gte=since)
    first = rows.annotate(
        place=Window(RowNumber(), partition_by=[F("kind"), F("due_on")], order_by=F("id").asc())
    ).filter(place__lte=CARE_PER_DAY)
    items = [
        WorkItem(
            source="care",
            label=row.get_kind_display(),
            title=row.text or row.customer.name,
            day=row.due_on,
            at=None,
            url=row.customer.get_absolute_url(),
            customer=row.customer,
        )
        for row in first.select_related("customer").order_by("due_on", "id")[:limit]
    ]
    crowded = (
        rows.values("kind", "due_on")
        .annotate(n=Count("pk"))
        .filter(n__gt=CARE_PER_DAY)
        .order_by("due_on", "kind")
    )
    my_day = reverse("interactions:my_day")
    for day in crowded[:limit]:
        more = day["n"] - CARE_PER_DAY
        kind = Reminder.Kind(day["kind"])
        title = (
            ngettext("and %(n)s more birthday", "and %(n)s more birthdays", more)
            if kind == Reminder.Kind.BIRTHDAY
            else ngettext(
                "and %(n)s more customer returning to the pool",
                "and %(n)s more customers returning to the pool",
                more,
            )
        ) % {"n": more}
        items.append(
            WorkItem(
                source="care",
                label=kind.label,
                title=title,
                day=day["due_on"],
                at=None,
                url=f"{my_day}#{kind.value}",  # the section of "my day" listing them
            )
        )
    return items


def _cases(
    user: User, visible: Q, since: date | None, until: date, limit: int | None = None
) -> list[WorkItem]:
    rows = _case_rows(user, visible, until)
    if since is not None:
        rows = rows.filter(next_due_at__gte=_start(since))
    items = []
    for case in first_rows(rows, ("next_due_at", "id"), limit, ("customer",)):
        responded = case.first_response_at is not None
        local = timezone.localtime(case.resolution_due_at if responded else case.response_due_at)
        items.append(
            WorkItem(
                source="case",
                label=_("Case: resolve by") if responded else _("Case: respond by"),
                title=case.subject,
                day=local.date(),
                at=local,
                url=case.get_absolute_url(),
                customer=case.customer,
                high=case.priority in ("urgent", "high"),
            )
        )
    return items


def _visible(user: User, viewer: User | None) -> Q:
    """The customers whose work the page shows: those ``user`` sees and, when another person
    (their team manager) looks, that person sees too; built once (it reads the teams) and
    checked row by row through each source's customer."""
    visible = customers_visible_q(user, prefix="customer__")
    if viewer is not None and viewer.pk != user.pk:
        visible &= customers_visible_q(viewer, prefix="customer__")
    return visible


def work_items(
    *,
    user: User,
    since: date | None,
    until: date,
    today: date | None = None,
    viewer: User | None = None,
) -> list[WorkItem]:
    """The user's open work due from ``since`` (None: however long overdue) until the day
    before ``until``, by day and time. A ``viewer`` other than the user (their team manager)
    sees only the items about customers both may see."""
    today = today or timezone.localdate()
    visible = _visible(user, viewer)
    items = (
        _tasks(user, visible, since, until)
        + _follow_ups(user, visible, since, until)
        + _care(user, visible, since, until, today)
        + _cases(user, visible, since, until)
    )
    return sorted(items, key=lambda i: (i.day, i.at is not None, i.at or _start(i.day)))


@dataclass
class MyWork:
    today: date
    overdue: list[WorkItem] = field(default_factory=list)
    due_today: list[WorkItem] = field(default_factory=list)
    this_week: list[WorkItem] = field(default_factory=list)
    later: list[WorkItem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.due_today or self.this_week or self.later)


def my_work(
    *, user: User, today: date, later_days: int = LATER_DAYS, viewer: User | None = None
) -> MyWork:
    """The user's open work: overdue, today, the rest of this week (to Sunday), and later
    (up to ``later_days`` ahead; 0: nothing after this week)."""
    week_end = today + timedelta(days=6 - today.weekday())
    until = max(today + timedelta(days=later_days), week_end) + timedelta(days=1)
    work = MyWork(today=today)
    for item in work_items(user=user, since=None, until=until, today=today, viewer=viewer):
        if item.day < today:
            work.overdue.append(item)
        elif item.day == today:
            work.due_today.append(item)
        elif item.day <= week_end:
            work.this_week.append(item)
        else:
            work.later.append(item)
    return work


@dataclass(frozen=True)
class WorkSummary:
    overdue: int
    today: int
    week: int  # the rest of this week, after today
    items: list[WorkItem]  # the first overdue and today's items


def work_summary(*, user: User, today: date, rows: int) -> WorkSummary:
    """What the home card shows: how much work is overdue, due today and due the rest of the
    week (counted in SQL, one query per source) and the first ``rows`` items due by today (at
    most ``rows`` read per source). The same work as ``my_work``, without building an item
    for every follow-up and birthday of a rep with thousands of customers."""
    tomorrow = today + timedelta(days=1)
    week_end = today + timedelta(days=6 - today.weekday())
    until = week_end + timedelta(days=1)
    visible = _visible(user, None)

    def buckets(queryset: Any, field: str, as_time: bool) -> dict[str, int]:
        def edge(day: date) -> date | datetime:
            return _start(day) if as_time else day

        figures: dict[str, int] = queryset.aggregate(
            overdue=Count("pk", filter=Q(**{f"{field}__lt": edge(today)})),
            today=Count(
                "pk", filter=Q(**{f"{field}__gte": edge(today), f"{field}__lt": edge(tomorrow)})
            ),
            week=Count("pk", filter=Q(**{f"{field}__gte": edge(tomorrow)})),
        )
        return figures

    counts = [
        buckets(_task_rows(user, visible, until), "due_at", True),
        buckets(_follow_up_rows(user, visible, until), "next_follow_up_on", False),
        buckets(_care_rows(user, visible, until, today), "due_on", False),
        buckets(_case_rows(user, visible, until), "next_due_at", True),
    ]
    items = sorted(
        _tasks(user, visible, None, tomorrow, rows)
        + _follow_ups(user, visible, None, tomorrow, rows)
        + _care(user, visible, None, tomorrow, today, rows)
        + _cases(user, visible, None, tomorrow, rows),
        key=lambda i: (i.day, i.at is not None, i.at or _start(i.day)),
    )
    return WorkSummary(
        overdue=sum(c["overdue"] for c in counts),
        today=sum(c["today"] for c in counts),
        week=sum(c["week"] for c in counts),
        items=items[:rows],
    )


def work_due_rows(user: User) -> QuerySet[Task, Any]:
    """Open tasks due today or overdue: the navigation badge counts them."""
    tomorrow = _start(timezone.localdate() + timedelta(days=1))
    return Task.objects.filter(assignee=user, status=Task.Status.OPEN, due_at__lt=tomorrow).values(
        "pk"
    )


@dataclass(frozen=True)
class CalendarDay:
    day: date
    items: list[WorkItem]
    in_month: bool = True
    more: int = 0  # items of the day not in ``items`` (a month's cell shows the first few)


def calendar_weeks(
    *,
    user: User,
    start: date,
    days: int,
    month: int | None = None,
    viewer: User | None = None,
    per_day: int | None = None,
) -> list[list[CalendarDay]]:
    """Weeks of days from ``start`` (a Monday), each with its work items (the first
    ``per_day`` of them, and how many more, when given)."""
    by_day: dict[date, list[WorkItem]] = {}
    items = work_items(user=user, since=start, until=start + timedelta(days=days), viewer=viewer)
    for item in items:
        by_day.setdefault(item.day, []).append(item)
    weeks: list[list[CalendarDay]] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if offset % 7 == 0:
            weeks.append([])
        items = by_day.get(day, [])
        more = max(0, len(items) - per_day) if per_day is not None else 0
        weeks[-1].append(
            CalendarDay(
                day,
                items[: len(items) - more],
                in_month=month is None or day.month == month,
                more=more,
            )
        )
    return weeks
