"""Facts about the HTTP request, and answers to it, that several apps need."""

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme

if TYPE_CHECKING:
    from kehu.accounts.models import User


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry that the last trusted
    proxy (KEHU_PROXY_COUNT of them) appended. Never trusts a client-supplied header beyond that.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.KEHU_PROXY_COUNT
    if not proxies:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    return str(forwarded[-proxies])


class AuthenticatedRequest(HttpRequest):
    """A request that passed authentication; for type checking views and API handlers."""

    user: "User"


def kept_figures_poll(request: HttpRequest, stale: bool) -> HttpResponse | None:
    """A page showing kept figures while newer ones are computed polls itself (htmx, see
    ``kehu.core.kept``): nothing to do yet (204), or reload now that they are in (HX-Refresh).
    None for an ordinary request: render the page."""
    if not request.headers.get("HX-Request"):
        return None
    response = HttpResponse(status=204)
    if not stale:
        response["HX-Refresh"] = "true"
    return response


def client_ip_or_none(request: HttpRequest) -> str | None:
    """``client_ip``, or None when unknown (for the audit's nullable address)."""
    return client_ip(request) or None


def download_response(chunks: Iterator[bytes], *, filename: str, content_type: str) -> FileResponse:
    """A download streamed from ``chunks`` under ``filename``. Django's ``FileResponse`` names
    only a file-like download; from an iterator it would leave the browser to guess a name."""
    response = FileResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


def flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    """Show each of a service's validation messages on the next page, without field names."""
    for problem in exc.messages:
        messages.error(request, problem)


def next_url(request: HttpRequest, default: str) -> str:
    """The form's ``next`` page when it is on this site, else ``default``: a crafted link must
    not send a user elsewhere after an action (an open redirect)."""
    wanted = request.POST.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, {request.get_host()}, request.is_secure()
    ):
        return wanted
    return default
