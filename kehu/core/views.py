import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kehu.core.access import can_manage_accounts, can_view_audit, require
from kehu.core.api import error_body
from kehu.core.audit import audit_csv_rows, audit_events, audit_log
from kehu.core.audit_display import events_for_display
from kehu.core.forms import AuditFilterForm
from kehu.core.home import home_cards, role_label
from kehu.core.http import AuthenticatedRequest
from kehu.core.models import AuditEvent
from kehu.core.navigation import REVIEWS_DUE_BADGE, badge_counts
from kehu.core.pagination import CappedPaginator


@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The home of the user's role: small cards (see ``kehu.core.home``)."""
    role, cards = home_cards(user=request.user, today=timezone.localdate())
    context = {
        "role": role,
        "role_label": role_label(request.user, role),
        "cards": cards,
        # From the menu's badge query, so the home page reads it at no cost of its own.
        "reviews_due": badge_counts(request.user).get(REVIEWS_DUE_BADGE),
    }
    return render(request, "core/home.html", context)


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and `kehu serve`'s start-up check: the app answers and the DB too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _error_page(request: HttpRequest, status: int) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse(error_body(status), status=status)
    return render(request, "core/error.html", {"status": status}, status=status)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "core/error.html", {"status": 403, "csrf": True}, status=403)


@require_GET
def audit_list(request: AuthenticatedRequest) -> HttpResponse:
    """The audit trail (reveals, exports, sign-ins) for archive administrators and admins."""
    require(request.user, can_view_audit)
    form = AuditFilterForm(request.GET or None)
    values = form.values() if form.is_bound else {}
    events = _filtered_events(values)
    page = CappedPaginator(events, 50).get_page(request.GET.get("page"))
    page.object_list = events_for_display(list(page.object_list), viewer=request.user)
    context = {
        "form": form,
        "page": page,
        "can_export": can_manage_accounts(request.user),
        "query": request.GET.urlencode(),
    }
    return render(request, "core/audit_list.html", context)


def _filtered_events(values: dict[str, Any]) -> QuerySet[AuditEvent]:
    return audit_events(
        action=values.get("action") or "",
        username=values.get("username") or "",
        date_from=values.get("date_from"),
        date_to=values.get("date_to"),
        object_type=values.get("object_type") or "",
        object_id=values.get("object_id") or "",
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def audit_csv_response(events: QuerySet[AuditEvent]) -> StreamingHttpResponse:
    """The events as a streamed CSV download (UTF-8 with BOM, for spreadsheets)."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"
        for row in audit_csv_rows(events):
            yield writer.writerow(row)

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


@require_GET
def audit_export(request: AuthenticatedRequest) -> StreamingHttpResponse:
    """The filtered audit trail as CSV, for admins; the export itself is audited."""
    require(request.user, can_manage_accounts)
    form = AuditFilterForm(request.GET or None)
    values = form.values() if form.is_bound else {}
    events = _filtered_events(values)
    audit_log(
        action=AuditEvent.Action.AUDIT_EXPORTED,
        actor=request.user,
        request=request,
        object_type="audit",
        detail={k: str(v) for k, v in values.items() if v},
    )
    return audit_csv_response(events)
