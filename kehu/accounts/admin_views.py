"""Administrators' pages for users and teams: Kehu's own, so Django's admin site is needed
for nothing day to day. Every other user is refused (403)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts import handover, reset_links, selectors, services, tasks
from kehu.accounts.forms import (
    HandoverForm,
    TeamForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
)
from kehu.accounts.models import Handover, Membership, Team, User
from kehu.core.access import (
    can_hand_over_work,
    can_manage_accounts,
    require,
    require_account_admin,
)
from kehu.core.http import AuthenticatedRequest, client_ip_or_none
from kehu.customers.forms import apply_service_errors

# The session key of a generated password waiting to be shown once: {"user_id", "password"}.
SHOW_ONCE_KEY = "kehu_password_once"
# The session key of a reset link waiting to be shown once: {"user_id", "url", "expires",
# "emailed_to", "mail_failed"}.
LINK_ONCE_KEY = "kehu_reset_link_once"


def _require(request: AuthenticatedRequest) -> None:
    require_account_admin(request.user)


def _show_once(request: AuthenticatedRequest, user: User, password: str) -> None:
    request.session[SHOW_ONCE_KEY] = {"user_id": user.pk, "password": password}


@require_GET
def user_list(request: AuthenticatedRequest) -> HttpResponse:
    _require(request)
    form = UserFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    team = values.get("team")
    users = selectors.users_filtered(
        q=(values.get("q") or "").strip(),
        role=values.get("role") or "",
        team_id=team.pk if team else None,
        active=values.get("active") or "",
    )
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"form": form, "page": page})


@require_http_methods(["GET", "POST"])
def user_new(request: AuthenticatedRequest) -> HttpResponse:
    _require(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = services.password_generate()
        try:
            with transaction.atomic():
                user = services.user_create(
                    username=data["username"],
                    role=data["role"],
                    password=password,
                    display_name=data["display_name"],
                    email=data["email"],
                    language=data["language"],
                    superuser=False,
                    created_by=request.user,
                )
                services.user_memberships_set(
                    user=user,
                    teams=list(data["teams"]),
                    managed=list(data["managed"]),
                    changed_by=request.user,
                    ip_address=client_ip_or_none(request),
                )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            _show_once(request, user, password)
            messages.success(request, _("User “%(name)s” created.") % {"name": user.username})
            return redirect("accounts:user_detail", user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "target": None})


@require_http_methods(["GET", "POST"])
def user_detail(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    _require(request)
    target = get_object_or_404(User, pk=user_id)
    memberships = list(Membership.objects.filter(user=target).select_related("team"))
    initial = {
        "display_name": target.display_name,
        "email": target.email,
        "role": target.role,
        "language": target.language,
        "teams": [m.team for m in memberships],
        "managed": [m.team for m in memberships if m.is_manager],
    }
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.user_update(
                    user=target,
                    changed_by=request.user,
                    data={name: data[name] for name in services.USER_FIELDS},
                    ip_address=client_ip_or_none(request),
                )
                services.user_memberships_set(
                    user=target,
                    teams=list(data["teams"]),
                    managed=list(data["managed"]),
                    changed_by=request.user,
                    ip_address=client_ip_or_none(request),
                )
        except ValidationError as exc:
            target.refresh_from_db()
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:user_detail", target.pk)
    once = request.session.pop(SHOW_ONCE_KEY, None)
    password = once["password"] if once and once.get("user_id") == target.pk else ""
    link = request.session.pop(LINK_ONCE_KEY, None)
    if not link or link.get("user_id") != target.pk:
        link = None
    context = {"form": form, "target": target, "new_password": password, "reset_link": link}
    return render(request, "accounts/user_form.html", context)


@require_POST
def user_active(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    """Disable or re-enable an account (``active`` = 1 or 0)."""
    _require(request)
    target = get_object_or_404(User, pk=user_id)
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(user=target, active=active, changed_by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            (_("“%(name)s” is enabled.") if active else _("“%(name)s” is disabled."))
            % {"name": target.username},
        )
    return redirect("accounts:user_detail", target.pk)


@require_POST
def user_password_reset(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    """A new generated password, shown once on the user's page."""
    _require(request)
    target = get_object_or_404(User, pk=user_id)
    try:
        password = services.user_password_reset(
            user=target, reset_by=request.user, ip_address=client_ip_or_none(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        _show_once(request, target, password)
    return redirect("accounts:user_detail", target.pk)


@require_POST
def user_reset_link(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    """A one-time link for the user to set a new password, shown once on the user's page (and
    e-mailed when they have an address)."""
    _require(request)
    target = get_object_or_404(User, pk=user_id)
    try:
        link = reset_links.password_reset_link_create(
            user=target,
            made_by=request.user,
            base_url=request.build_absolute_uri("/"),
            ip_address=client_ip_or_none(request),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        request.session[LINK_ONCE_KEY] = {
            "user_id": target.pk,
            "url": link.url,
            "expires": timezone.localtime(link.expires_at).strftime("%Y-%m-%d %H:%M"),
            "emailed_to": link.emailed_to,
            "mail_failed": link.mail_failed,
        }
    return redirect("accounts:user_detail", target.pk)


@require_GET
def team_list(request: AuthenticatedRequest) -> HttpResponse:
    _require(request)
    teams = selectors.teams_with_counts()
    managers: dict[int, list[User]] = {}
    for m in Membership.objects.filter(is_manager=True).select_related("user"):
        managers.setdefault(m.team_id, []).append(m.user)
    rows = [{"team": team, "managers": managers.get(team.pk, [])} for team in teams]
    return render(request, "accounts/team_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def team_edit(request: AuthenticatedRequest, team_id: int | None = None) -> HttpResponse:
    _require(request)
    team = get_object_or_404(Team, pk=team_id) if team_id else None
    initial: dict[str, Any] = {}
    if team is not None:
        memberships = list(Membership.objects.filter(team=team).select_related("user"))
        initial = {
            "name": team.name,
            "description": team.description,
            "members": [m.user for m in memberships],
            "managers": [m.user for m in memberships if m.is_manager],
        }
    form = TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                saved = services.team_save(
                    team=team,
                    name=data["name"],
                    description=data["description"],
                    changed_by=request.user,
                )
                services.team_members_set(
                    team=saved,
                    members=list(data["members"]),
                    managers=list(data["managers"]),
                    changed_by=request.user,
                    ip_address=client_ip_or_none(request),
                )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Team “%(name)s” saved.") % {"name": saved.name})
            return redirect("accounts:teams")
    return render(request, "accounts/team_form.html", {"form": form, "team": team})


# --- handover ---------------------------------------------------------------------------------


def _handover_form(request: AuthenticatedRequest, data: Any) -> HandoverForm:
    return HandoverForm(
        data,
        sources=handover.handover_sources(user=request.user),
        recipients=handover.handover_recipients(user=request.user),
    )


@require_http_methods(["GET", "POST"])
def handover_page(request: AuthenticatedRequest) -> HttpResponse:
    """Choose whose work, which of it and to whom; see the counts; confirm."""
    require(request.user, can_hand_over_work)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = _handover_form(request, data)
    preview = None
    if form.is_bound and form.is_valid():
        values = form.cleaned_data
        scope = handover.HandoverScope(
            from_user=values["from_user"], stage=values["stage"], grade=values["grade"]
        )
        preview = handover.handover_preview(scope=scope)
        if request.method == "POST":
            try:
                with transaction.atomic():
                    row, background = handover.handover_start(
                        user=request.user, scope=scope, to_users=list(values["to_users"])
                    )
                    if background:
                        transaction.on_commit(lambda: tasks.run_handover(row.pk))
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if not background:
                    handover.handover_execute(handover_id=row.pk)
                return redirect("accounts:handover_detail", row.pk)
    recent = Handover.objects.select_related("from_user").prefetch_related("to_users")
    if not can_manage_accounts(request.user):
        recent = recent.filter(created_by=request.user)
    context = {
        "form": form,
        "preview": preview,
        "recent": recent[:20],
        "background_above": handover.BACKGROUND_ABOVE,
        "is_admin": can_manage_accounts(request.user),
    }
    return render(request, "accounts/handover.html", context)


@require_GET
def handover_detail(request: AuthenticatedRequest, handover_id: int) -> HttpResponse:
    require(request.user, can_hand_over_work)
    rows = Handover.objects.select_related("from_user", "created_by")
    if not can_manage_accounts(request.user):
        rows = rows.filter(created_by=request.user)
    row = get_object_or_404(rows, pk=handover_id)
    kinds = [
        ("customers", _("Customers")),
        ("opportunities", _("Open opportunities")),
        ("cases", _("Open cases")),
        ("tasks", _("Open tasks")),
        ("reminders", _("Follow-up reminders")),
    ]
    counts = [
        {
            "label": label,
            "before": row.preview.get(kind, 0),
            "moved": row.moved.get(kind, 0),
            "skipped": row.skipped.get(kind, 0),
        }
        for kind, label in kinds
    ]
    context = {"row": row, "counts": counts, "to_users": list(row.to_users.all())}
    return render(request, "accounts/handover_detail.html", context)
