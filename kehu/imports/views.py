"""Imports in the browser: the list, the upload, one import's page (column mapping, dry-run
report, progress polled with htmx, result with per-row outcomes, undo) and report download."""

from itertools import islice
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.accounts.models import User
from kehu.core.access import require_archive_admin
from kehu.core.http import AuthenticatedRequest, client_ip
from kehu.customers.models import Channel, Customer
from kehu.imports import file_templates, orders, selectors, services
from kehu.imports.api import report_response
from kehu.imports.engine import open_table
from kehu.imports.kinds import import_targets
from kehu.imports.models import ImportBatch, ImportMapping

LIST_SIZE = 50
REPORT_SIZE = 200
PREVIEW_ROWS = 3


def _require(request: AuthenticatedRequest) -> None:
    require_archive_admin(request.user)


def _options() -> dict[str, Any]:
    return {
        "channels": Channel.objects.filter(is_active=True),
        "owners": User.objects.filter(is_active=True).order_by("username"),
        "policies": ImportBatch.Duplicates.choices,
        "kinds": [*Customer.Kind.choices, (orders.ORDERS, _("Order history (one row per line)"))],
        "saved_mappings": ImportMapping.objects.order_by("name"),
    }


def _templates() -> list[dict[str, Any]]:
    """The import templates offered for download, one line per kind of file."""
    return [
        {"kind": kind, "label": file_templates.kind_label(kind)} for kind in file_templates.KINDS
    ]


@require_GET
def import_list(request: AuthenticatedRequest) -> HttpResponse:
    batches = list(selectors.import_batches(user=request.user)[:LIST_SIZE])
    return render(request, "imports/import_list.html", {"batches": batches})


@require_http_methods(["GET", "POST"])
def import_new(request: AuthenticatedRequest) -> HttpResponse:
    _require(request)
    errors: list[str] = []
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors.append(_("Choose a file to upload."))
        else:
            try:
                batch = services.import_upload(
                    user=request.user,
                    upload=upload,
                    name=upload.name or "",
                    kind=request.POST.get("kind", "person"),
                    channel=request.POST.get("channel") or None,
                    owner=request.POST.get("owner") or None,
                    duplicates=request.POST.get("duplicates", "skip"),
                    mapping=request.POST.get("mapping") or None,
                    create_products=request.POST.get("create_products", "1") == "1",
                )
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                return redirect("imports:detail", batch_id=batch.pk)
    context = {"errors": errors, "values": values, **_options()}
    context["default_channel"] = services.DEFAULT_CHANNEL
    context["templates"] = _templates()
    return render(request, "imports/import_new.html", context, status=422 if errors else 200)


def _mapping_rows(batch: ImportBatch) -> list[dict[str, Any]]:
    """One line per column: header, a few sample values, the field it is mapped to."""
    samples: list[list[str]] = []
    try:
        table = open_table(batch)
        samples = [cells for _number, cells, _problem in islice(table.rows(), PREVIEW_ROWS)]
    except (ValidationError, OSError):
        pass
    lines = []
    for index, header in enumerate(batch.columns):
        values = [row[index] for row in samples if index < len(row) and row[index]]
        lines.append(
            {
                "index": index,
                "header": header,
                "samples": values,
                "code": batch.mapping.get(header, ""),
            }
        )
    return lines


@require_http_methods(["GET", "POST"])
def import_detail(request: AuthenticatedRequest, batch_id: int) -> HttpResponse:
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    if request.method == "POST":
        return _act(request, batch)
    context: dict[str, Any] = {"batch": batch, **_options()}
    context["editable"] = not batch.processed_rows and batch.status in {
        ImportBatch.Status.UPLOADED,
        ImportBatch.Status.VALIDATED,
        ImportBatch.Status.FAILED,
    }
    if context["editable"]:
        context["lines"] = _mapping_rows(batch)
        context["targets"] = import_targets(batch.kind)
    if batch.status not in services.FINISHED:
        context["earlier_import"] = selectors.earlier_import(user=request.user, batch=batch)
    if batch.status in {
        ImportBatch.Status.VALIDATED,
        ImportBatch.Status.DONE,
        ImportBatch.Status.UNDONE,
    }:
        report = selectors.import_report(user=request.user, batch=batch)
        context["report"] = list(selectors.report_lines(batch, report[:REPORT_SIZE]))
        context["report_more"] = report.count() > REPORT_SIZE
    return render(request, "imports/import_detail.html", context)


def _act(request: AuthenticatedRequest, batch: ImportBatch) -> HttpResponse:
    action = request.POST.get("action", "")
    try:
        if action in {"save", "dry_run", "start"} and "map-0" in request.POST:
            mapping = {
                header: request.POST.get(f"map-{index}", "")
                for index, header in enumerate(batch.columns)
            }
            services.import_configure(
                user=request.user,
                batch=batch,
                mapping=mapping,
                channel=request.POST.get("channel") or None,
                owner=request.POST.get("owner", ""),
                duplicates=request.POST.get("duplicates") or None,
                save_as=request.POST.get("save_as", ""),
                create_products=request.POST.get("create_products", "1") == "1",
            )
            batch.refresh_from_db()
        if action == "dry_run":
            services.import_request_dry_run(user=request.user, batch=batch)
        elif action == "start":
            services.import_request_run(user=request.user, batch=batch)
        elif action == "undo":
            batch = services.import_request_undo(
                user=request.user, batch=batch, ip_address=client_ip(request)
            )
            if batch.status == ImportBatch.Status.UNDONE:
                messages.success(
                    request,
                    _(
                        "Import undone: %(deleted)s customers removed, %(archived)s archived "
                        "(something was attached to them since), %(restored)s fields restored."
                    )
                    % services.undo_counts(batch),
                )
            elif not batch.error:
                messages.success(request, _("The import is being undone."))
        elif action == "save":
            messages.success(request, _("Mapping saved."))
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    return redirect("imports:detail", batch_id=batch.pk)


@require_GET
def import_template(request: AuthenticatedRequest, kind: str, file_format: str) -> HttpResponse:
    """A file to fill in: the headers the mapper recognises (in the user's language) and one
    example row."""
    _require(request)
    if kind not in file_templates.KINDS or file_format not in file_templates.FORMATS:
        raise Http404
    return HttpResponse(
        file_templates.template_file(kind, file_format),
        content_type=file_templates.FORMATS[file_format],
        headers={
            "Content-Disposition": content_disposition_header(
                True, file_templates.template_name(kind, file_format)
            )
        },
    )


@require_GET
def import_progress(request: AuthenticatedRequest, batch_id: int) -> HttpResponse:
    """The progress fragment, polled while the dry run or import runs; when it has finished,
    htmx is told to reload the page (HX-Refresh) to show the report."""
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    response = render(request, "imports/partials/progress.html", {"batch": batch})
    if not batch.is_running and request.headers.get("HX-Request") == "true":
        response["HX-Refresh"] = "true"
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def import_report(request: AuthenticatedRequest, batch_id: int) -> FileResponse:
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    return report_response(request.user, batch)
