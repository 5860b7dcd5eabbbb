"""Tasks, "my work" and the calendar in the browser. Tasks come through ``task_get_for_user``
(404 outside the user's scope), customers through the scoped customer selector; writes go
through ``kehu.tasks.services``."""

import calendar as calendar_module
import json
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts.models import User
from kehu.core.http import AuthenticatedRequest, next_url
from kehu.customers.forms import apply_service_errors
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get_for_user
from kehu.customers.views import INVALID, is_htmx
from kehu.tasks import ical, services
from kehu.tasks.forms import TaskForm
from kehu.tasks.selectors import assignable_users, task_get_for_user
from kehu.tasks.work import calendar_weeks, my_work


def _work_of(request: AuthenticatedRequest) -> tuple[User, list[User]]:
    """Whose work the page shows: the user's, or (``?member=<id>``) a member of a team the user
    manages (404 for anyone else); and the people the user may pick from."""
    people = list(assignable_users(request.user))
    raw = request.GET.get("member", "")
    if not raw or raw == str(request.user.pk):
        return request.user, people
    member = next((p for p in people if str(p.pk) == raw), None)
    if member is None:
        raise Http404
    return member, people


# "My work" shows this many items a section unless asked for all (a section says how many more);
# a month's day cell this many (and "+N", to the day's week, which shows every item).
WORK_ROWS = 50
MONTH_CELL_ITEMS = 4


@require_GET
def my_work_view(request: AuthenticatedRequest) -> HttpResponse:
    member, people = _work_of(request)
    work = my_work(user=member, today=timezone.localdate(), viewer=request.user)
    limit = None if request.GET.get("all") else WORK_ROWS
    sections = ("overdue", "due_today", "this_week", "later")
    return render(
        request,
        "tasks/my_work.html",
        {
            "work": work,
            "member": member,
            "people": people,
            "shown": {name: getattr(work, name)[:limit] for name in sections},
            "more": {
                name: len(getattr(work, name)) - len(getattr(work, name)[:limit])
                for name in sections
            },
            "member_q": f"&member={member.pk}" if member.pk != request.user.pk else "",
        },
    )


# The calendar shows these years; a day outside them (or no day) shows today.
CALENDAR_YEARS = range(1900, 3000)


def _parse_day(raw: str, default: date) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return default
    return day if day.year in CALENDAR_YEARS else default


@require_GET
def calendar_view(request: AuthenticatedRequest) -> HttpResponse:
    """A week (Monday to Sunday) or a month (whole weeks) of the user's work (or, for a team
    manager, a member's)."""
    member, people = _work_of(request)
    today = timezone.localdate()
    day = _parse_day(request.GET.get("date", ""), today)
    mode = "month" if request.GET.get("view") == "month" else "week"
    if mode == "month":
        first = day.replace(day=1)
        start = first - timedelta(days=first.weekday())
        last = first.replace(day=calendar_module.monthrange(first.year, first.month)[1])
        days = ((last - start).days // 7 + 1) * 7
        weeks = calendar_weeks(
            user=member,
            start=start,
            days=days,
            month=first.month,
            viewer=request.user,
            per_day=MONTH_CELL_ITEMS,
        )
        previous = (first - timedelta(days=1)).replace(day=1)
        following = last + timedelta(days=1)
    else:
        start = day - timedelta(days=day.weekday())
        weeks = calendar_weeks(user=member, start=start, days=7, viewer=request.user)
        previous, following = start - timedelta(days=7), start + timedelta(days=7)
    return render(
        request,
        "tasks/calendar.html",
        {
            "weeks": weeks,
            "mode": mode,
            "day": day,
            "today": today,
            "start": start,
            "end": start + timedelta(days=len(weeks) * 7 - 1),
            "previous": previous,
            "following": following,
            "member": member,
            "people": people,
            "member_q": f"&member={member.pk}" if member.pk != request.user.pk else "",
            "feed_url": request.build_absolute_uri(
                reverse("tasks:ical", args=[ical.feed_token(request.user)])
            ),
        },
    )


@require_GET
def task_detail(request: AuthenticatedRequest, task_id: int) -> HttpResponse:
    task = task_get_for_user(user=request.user, task_id=task_id)
    return render(request, "tasks/task_detail.html", {"task": task})


def _customer_from(request: AuthenticatedRequest) -> Customer | None:
    raw = request.POST.get("customer") or request.GET.get("customer") or ""
    if not raw.isdigit():
        return None
    return customer_get_for_user(user=request.user, customer_id=int(raw))


def _saved(request: AuthenticatedRequest, text: str, url: str) -> HttpResponse:
    """After a save: in the dialog, close it and say so; else go to ``url``."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Trigger"] = json.dumps({"kehu:saved": {"message": text}})
        return response
    messages.success(request, text)
    return redirect(url)


@require_http_methods(["GET", "POST"])
def task_create(request: AuthenticatedRequest) -> HttpResponse:
    customer = _customer_from(request)
    initial: dict[str, Any] = {
        "due_at": timezone.localtime().replace(minute=0) + timedelta(hours=1)
    }
    form = TaskForm(request.POST or None, user=request.user, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = services.task_create(user=request.user, customer=customer, **data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return _saved(request, _("Task added."), reverse("tasks:detail", args=[task.pk]))
        status = INVALID if is_htmx(request) else 200
    context = {"form": form, "customer": customer, "task": None, "in_dialog": is_htmx(request)}
    template = "tasks/partials/task_form.html" if is_htmx(request) else "tasks/task_form.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def task_edit(request: AuthenticatedRequest, task_id: int) -> HttpResponse:
    task = task_get_for_user(user=request.user, task_id=task_id)
    initial = {
        "title": task.title,
        "kind": task.kind,
        "due_at": timezone.localtime(task.due_at),
        "priority": task.priority,
        "assignee": task.assignee_id,
        "remind_minutes_before": task.remind_minutes_before,
        "notes": task.notes,
    }
    form = TaskForm(
        request.POST or None, user=request.user, initial=initial, current_assignee=task.assignee
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if initial.get(k) != v}
            if "assignee" in data and data["assignee"].pk == task.assignee_id:
                del data["assignee"]
            try:
                services.task_update(user=request.user, task=task, data=data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return _saved(request, _("Task saved."), reverse("tasks:detail", args=[task.pk]))
        status = INVALID if is_htmx(request) else 200
    context = {"form": form, "customer": task.customer, "task": task, "in_dialog": is_htmx(request)}
    template = "tasks/partials/task_form.html" if is_htmx(request) else "tasks/task_form.html"
    return render(request, template, context, status=status)


@require_POST
def task_done(request: AuthenticatedRequest, task_id: int) -> HttpResponse:
    task = task_get_for_user(user=request.user, task_id=task_id)
    services.task_done(user=request.user, task=task)
    if is_htmx(request):
        return render(request, "tasks/partials/task_status.html", {"task": task})
    messages.success(request, _("Done."))
    return redirect(next_url(request, reverse("tasks:detail", args=[task.pk])))


@require_POST
def task_reopen(request: AuthenticatedRequest, task_id: int) -> HttpResponse:
    task = task_get_for_user(user=request.user, task_id=task_id)
    services.task_reopen(user=request.user, task=task)
    if is_htmx(request):
        return render(request, "tasks/partials/task_status.html", {"task": task})
    return redirect(reverse("tasks:detail", args=[task.pk]))


@login_not_required
@require_GET
def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's work as iCalendar, for a phone's calendar app (no session: the signed token
    in the URL names the user)."""
    user = ical.user_for_token(token)
    if user is None:
        raise Http404
    body = ical.feed(user=user, today=timezone.localdate())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
