"""Exports in the browser: the export dialog (opened from the customer list with its
filters), "my exports" with their status (polled with htmx while one runs) and downloads.
Exports of rows selected on the other lists are asked for through their bulk bar (``kehu.bulk``).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.access import SensitiveGroup, can_export, can_reveal, require
from kehu.core.encryption import decrypted_chunks
from kehu.core.http import AuthenticatedRequest, client_ip, download_response
from kehu.customers.forms import CustomerFilterForm
from kehu.exports import selectors, services
from kehu.exports.columns import export_columns
from kehu.exports.forms import ExportForm
from kehu.exports.models import ExportJob, RecordKind
from kehu.exports.records import RECORD_LISTS

LIST_SIZE = 50


@require_http_methods(["GET", "POST"])
def export_new(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, can_export)
    columns = export_columns()
    if request.method == "POST":
        form = ExportForm(request.POST, columns=columns)
    else:
        form = ExportForm(columns=columns, initial={"query": request.GET.urlencode()})
    if request.method == "POST" and form.is_valid():
        query = form.cleaned_data["query"]
        filters = CustomerFilterForm(QueryDict(query)).filters()
        try:
            job = services.export_request(
                user=request.user,
                filters=filters,
                columns=form.cleaned_data["columns"],
                format=form.cleaned_data["format"],
                purpose=form.cleaned_data["purpose"],
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            for problem in exc.messages:
                form.add_error(None, problem)
        else:
            if job.status == ExportJob.Status.DONE:
                messages.success(request, _("Your export is ready."))
            elif job.status == ExportJob.Status.FAILED:
                messages.error(request, job.error)
            else:
                messages.info(
                    request, _("Your export is large; it is being written in the background.")
                )
            return redirect("exports:list")
    query = form["query"].value() or ""
    sensitive = {
        code: can_reveal(request.user, SensitiveGroup(column.sensitive))
        for code, column in columns.items()
        if column.sensitive
    }
    options = [(option, sensitive.get(option.data["value"])) for option in form["columns"]]
    context = {"form": form, "query": query, "column_options": options}
    return render(request, "exports/export_new.html", context)


@require_GET
def export_list(request: AuthenticatedRequest) -> HttpResponse:
    jobs = list(selectors.export_jobs_for(request.user)[:LIST_SIZE])
    running = any(not job.is_finished for job in jobs)
    labels = {code: str(column.label) for code, column in export_columns().items()}
    for job in jobs:
        # The columns in words, as the export dialog names them (a removed field: its code);
        # a list's selected records have that list's columns.
        listed = RECORD_LISTS.get(job.kind)
        if job.kind == RecordKind.RESPONSES:
            job.column_labels = [  # type: ignore[attr-defined]
                _("survey %(id)s") % {"id": job.filters.get("survey")}
            ]
        else:
            job.column_labels = (  # type: ignore[attr-defined]
                listed.header() if listed else [labels.get(code, code) for code in job.columns]
            )
    context = {"jobs": jobs, "running": running}
    fragment = request.headers.get("HX-Request") == "true"
    template = "exports/partials/job_table.html" if fragment else "exports/export_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def export_download(request: AuthenticatedRequest, job_id: int) -> FileResponse:
    job = selectors.export_job_get_for_user(user=request.user, job_id=job_id)
    path = selectors.export_file(job)
    if path is None:
        raise Http404
    return download_response(
        decrypted_chunks(path), filename=job.file_name, content_type=job.content_type
    )
