"""The search box in the top bar: results as you type (htmx), and a page without JavaScript."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods

from kehu.core.http import AuthenticatedRequest
from kehu.search.selectors import customer_search


@require_http_methods(["GET", "POST"])
def search(request: AuthenticatedRequest) -> HttpResponse:
    # The forms post the query, so a phone or ID number typed into them stays out of URLs
    # (browser history, proxy and server logs); a GET still works for links and bookmarks.
    data = request.POST if request.method == "POST" else request.GET
    q = data.get("q", "").strip()[:100]
    result = customer_search(user=request.user, q=q, limit=10 if _is_htmx(request) else 50)
    if len(result.records) == 1 and not _is_htmx(request):
        return redirect(result.records[0].url)  # a number names one order, case or opportunity
    template = "search/partials/search_results.html" if _is_htmx(request) else "search/search.html"
    response = render(request, template, {"q": q, "result": result})
    patch_vary_headers(response, ["HX-Request"])
    return response


def _is_htmx(request: AuthenticatedRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
