"""The HTTP API root: ``/api/v1/``. Each app contributes a router from its ``api.py``."""

import functools
from typing import Any

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from kehu.accounts.api import router as accounts_router
from kehu.core.api import (
    ErrorBody,
    SessionAuth,
    TokenAuth,
    default_error,
    error_response,
    install_error_handlers,
)
from kehu.customers.api import router as customers_router
from kehu.customers.api import settings_router as archive_settings_router


def docs_decorator(view: Any) -> Any:
    """The schema and its docs page are for signed-in users, or programs with an API token.

    A request with ``Authorization: Bearer …`` is judged by its token alone (401 in JSON when it
    is not valid); a browser without a session goes to the sign-in page. Swagger UI needs
    inline styles.
    """
    page = login_required(csp_update({"style-src": ["'self'", "'unsafe-inline'"]})(view))

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.headers.get("Authorization"):
            if TokenAuth()(request) is None:
                return error_response(
                    api,
                    request,
                    401,
                    "not_authenticated",
                    _("Sign in, or send a valid API token as “Authorization: Bearer …”."),
                )
            return view(request, *args, **kwargs)  # type: ignore[no-any-return]
        return page(request, *args, **kwargs)

    return wrapped


class KehuAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """The schema, with the error answers any operation can give listed on every one."""
        schema = super().get_openapi_schema(**kwargs)
        error = {
            "description": "Error",
            "content": {"application/json": {"schema": {"$ref": ERROR_BODY_REF}}},
        }
        schema["components"]["schemas"].setdefault("ErrorBody", ErrorBody.model_json_schema())
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status in GENERIC_ERRORS:
                    operation["responses"].setdefault(status, error)
        return schema


# Malformed request (400), no or bad credentials (401), refused (403), unknown id (404), body
# too large (413), invalid input (422).
GENERIC_ERRORS = (400, 401, 403, 404, 413, 422)
ERROR_BODY_REF = "#/components/schemas/ErrorBody"


api = KehuAPI(
    title="Kehu API",
    version="1",
    description=(
        "Kehu customer information management. Authenticate with the browser session or a "
        "personal API token (`Authorization: Bearer kehu_…`, create one under Settings → API "
        "tokens or with `kehu token create USERNAME`). Errors share one body: "
        "`{code, message, errors: [{field, message}]}`. Lists are cursor-paginated: "
        "`?page_size=&cursor=` → `{results, next, previous}`."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_decorator=docs_decorator,
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/customers", customers_router)
api.add_router("/", archive_settings_router)

from kehu.search.api import router as search_router  # noqa: E402

api.add_router("/", search_router)

from kehu.customers.api.segments import router as segments_router  # noqa: E402

api.add_router("/segments", segments_router)

from kehu.interactions.api import reminders_router  # noqa: E402
from kehu.interactions.api import router as interactions_router  # noqa: E402
from kehu.pool.api import router as pool_router  # noqa: E402

api.add_router("/interactions", interactions_router)
api.add_router("/reminders", reminders_router)
api.add_router("/pool", pool_router)

from kehu.intake.api import calls_router as intake_calls_router  # noqa: E402
from kehu.intake.api import forms_router as intake_forms_router  # noqa: E402

api.add_router("/", intake_calls_router)
api.add_router("/", intake_forms_router)

from kehu.sales import api as sales_api  # noqa: E402

api.add_router("/products", sales_api.products_router)
api.add_router("/orders", sales_api.orders_router)
api.add_router("/payments", sales_api.payments_router)
api.add_router("/customers", sales_api.receivables_router)
api.add_router("/opportunities", sales_api.opportunities_router)
api.add_router("/reports", sales_api.reports_router)

from kehu.service.api import cases_router as service_cases_router  # noqa: E402
from kehu.service.api import email_router as service_email_router  # noqa: E402
from kehu.service.api import feedback_router as service_feedback_router  # noqa: E402

api.add_router("/cases", service_cases_router)
api.add_router("/feedback", service_feedback_router)
api.add_router("/", service_email_router)

from kehu.exports.api import router as exports_router  # noqa: E402

api.add_router("/exports", exports_router)

from kehu.quality.api import router as quality_router  # noqa: E402

api.add_router("/quality", quality_router)

from kehu.imports.api import mappings_router as import_mappings_router  # noqa: E402
from kehu.imports.api import router as imports_router  # noqa: E402

api.add_router("/imports", imports_router)
api.add_router("/import-mappings", import_mappings_router)

from kehu.dedup.api import duplicates_router, merges_router  # noqa: E402

api.add_router("/duplicates", duplicates_router)
api.add_router("/merges", merges_router)

from kehu.analytics.api import router as analytics_router  # noqa: E402

api.add_router("/analytics", analytics_router)
from kehu.tasks.api import router as tasks_router  # noqa: E402

api.add_router("/tasks", tasks_router)
from kehu.basket.api import router as basket_router  # noqa: E402

api.add_router("/basket", basket_router)
from kehu.knowledge.api import router as knowledge_router  # noqa: E402

api.add_router("/knowledge", knowledge_router)
from kehu.core.audit_api import router as audit_router  # noqa: E402
from kehu.privacy.api import router as privacy_router  # noqa: E402

api.add_router("/audit", audit_router)
api.add_router("/privacy", privacy_router)
from kehu.loyalty.api import router as loyalty_router  # noqa: E402

api.add_router("/loyalty", loyalty_router)

from kehu.marketing.api import router as marketing_router  # noqa: E402

api.add_router("/campaigns", marketing_router)

from kehu.oversight.api import router as oversight_router  # noqa: E402

api.add_router("/oversight", oversight_router)
from kehu.surveys.api import router as surveys_router  # noqa: E402

api.add_router("/surveys", surveys_router)
from kehu.insight.api import router as insight_router  # noqa: E402

api.add_router("/insight", insight_router)


@csrf_exempt  # ninja checks CSRF itself for session-authenticated unsafe requests
def other_slash(request: HttpRequest, rest: str = "") -> HttpResponseBase:
    """An API path without its trailing slash (or with one too many) answers as the canonical
    path does, without a redirect: a redirected POST would lose its body. Collections end in
    ``/`` (``/api/v1/customers/``), records and actions do not (``/api/v1/customers/7``). A path
    that is not the API's answers the JSON 404."""
    path = request.path_info
    alternative = path[:-1] if path.endswith("/") else f"{path}/"
    try:
        match = resolve(alternative)
    except Resolver404:
        match = None
    if match is None or match.func is other_slash:
        code, message = default_error(404)
        return error_response(api, request, 404, code, message)
    request.path_info = alternative
    request.resolver_match = match
    response: HttpResponseBase = match.func(request, *match.args, **match.kwargs)
    return response
