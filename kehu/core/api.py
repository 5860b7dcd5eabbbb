"""API conventions every app's ``api.py`` follows: authentication, errors, pagination.

Error body, for every 4xx and 5xx::

    {"code": "validation_error", "message": "…", "errors": [{"field": "name", "message": "…"}]}

``code`` is stable and meant for programs; ``message`` is for people, in the request's language
(``Accept-Language`` or the user's setting); ``errors`` lists field problems (may be empty).

Pagination: list endpoints use cursor pagination (``?page_size=50&cursor=…``) and answer
``{"results": […], "next": url|null, "previous": url|null}``; counts are separate endpoints
where they are needed, because exact counts over a million rows are slow.
"""

import logging
import re
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi import schema as ninja_openapi_schema
from ninja.schema import NinjaGenerateJsonSchema
from ninja.security import APIKeyCookie, HttpBearer
from pydantic.json_schema import DefsRef

from kehu.accounts.selectors import api_token_authenticate
from kehu.core.audit import audit_log
from kehu.core.exceptions import Conflict
from kehu.core.models import AuditEvent

logger = logging.getLogger(__name__)

# A choices class of a model module, e.g. "kehu.accounts.models.Role:140…" (pydantic's core ref).
_MODEL_CHOICES = re.compile(r"kehu\.(\w+)\.models\.([\w.]+):\d+$")


class SchemaNames(NinjaGenerateJsonSchema):
    """Names model choices in the OpenAPI components by app and class (``accounts.Role``,
    ``customers.Contact.Role``). ninja merges each schema's definitions by their short name, so
    two enums called ``Role`` (or ``Status``, ``Kind``) would otherwise overwrite each other."""

    def get_defs_ref(self, core_mode_ref: Any) -> DefsRef:
        defs_ref = super().get_defs_ref(core_mode_ref)
        match = _MODEL_CHOICES.match(core_mode_ref[0])
        if match:
            qualified = DefsRef(f"{match[1]}.{match[2]}")
            self._prioritized_defsref_choices[defs_ref].insert(0, qualified)
        return defs_ref


# ninja's OpenAPI builder refers to its generator by this module attribute.
ninja_openapi_schema.NinjaGenerateJsonSchema = SchemaNames  # type: ignore[attr-defined]


class FieldError(Schema):
    field: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    errors: list[FieldError] = []


# Responses every authenticated endpoint may give; handlers add their own (404, 409, 422).
ERROR_RESPONSES: dict[int, type[Schema]] = {400: ErrorBody, 401: ErrorBody, 403: ErrorBody}


class TokenAuth(HttpBearer):
    """``Authorization: Bearer kehu_…`` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token=token)
        if user is not None:
            request.user = user
            request.kehu_token_auth = True  # type: ignore[attr-defined]
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session cookie; unsafe methods also need the CSRF token (ninja checks)."""

    param_name = "kehu_session"

    def __call__(self, request: HttpRequest) -> Any:
        # A request that sent a token is judged by its token alone: an invalid or expired one
        # answers 401, not the session's CSRF refusal.
        if request.headers.get("Authorization"):
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        return user if user.is_authenticated else None


# At most one audit event per user and kind of refusal in this many seconds, so that a client
# probing ids or retrying a refused export cannot flood the audit log.
REFUSAL_AUDIT_INTERVAL = 60


def audit_refusal(request: HttpRequest, kind: str) -> None:
    """Record in the audit log that a signed-in user was refused (403) or asked for a record
    that is not theirs to see (404), rate-limited per user and kind."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    if not cache.add(f"kehu:refusal:{user.pk}:{kind}", 1, REFUSAL_AUDIT_INTERVAL):
        return
    audit_log(
        action=AuditEvent.Action.DENIED,
        actor=user,
        request=request,
        object_type="api",
        object_id=request.path[:64],
        detail={"kind": kind, "method": request.method},
    )


def default_error(status: int) -> tuple[str, str]:
    """The code and message for a bare HTTP status."""
    known = {
        400: ("bad_request", _("The request could not be read; send valid JSON.")),
        401: ("not_authenticated", _("Sign in, or send a valid API token.")),
        403: ("permission_denied", _("You do not have permission to do this.")),
        404: ("not_found", _("Not found.")),
        405: ("method_not_allowed", _("This method is not allowed here.")),
        409: ("conflict", _("This clashes with the current state of the record.")),
        413: ("too_large", _("The request is too large.")),
        429: ("rate_limited", _("Too many requests; try again later.")),
        500: ("server_error", _("Something went wrong on our side. Please try again.")),
    }
    return known.get(status, ("error", _("The request failed.")))


def error_body(status: int) -> dict[str, Any]:
    code, message = default_error(status)
    return {"code": code, "message": message, "errors": []}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    errors: list[dict[str, str]] | None = None,
) -> HttpResponse:
    body = {"code": code, "message": message, "errors": errors or []}
    return api.create_response(request, body, status=status)


# Messages for the pydantic error types people meet; others keep pydantic's English text.
def _pydantic_message(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    messages = {
        "missing": _("This field is required."),
        "string_too_long": _("At most %(n)s characters.") % {"n": ctx.get("max_length")},
        "string_too_short": _("At least %(n)s characters.") % {"n": ctx.get("min_length")},
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "float_parsing": _("Enter a number."),
        "bool_parsing": _("Enter true or false."),
        "string_type": _("Enter text."),
        "datetime_from_date_parsing": _("Enter a date and time, e.g. 2026-03-01T09:30:00+08:00."),
        "datetime_parsing": _("Enter a date and time, e.g. 2026-03-01T09:30:00+08:00."),
        "date_from_datetime_parsing": _("Enter a date, e.g. 2026-03-01."),
        "date_parsing": _("Enter a date, e.g. 2026-03-01."),
        "enum": _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "literal_error": _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "greater_than_equal": _("Must be at least %(n)s.") % {"n": ctx.get("ge")},
        "less_than_equal": _("Must be at most %(n)s.") % {"n": ctx.get("le")},
        "model_attributes_type": _("Send a JSON object."),
        "dict_type": _("Send a JSON object."),
    }
    return str(messages.get(kind, error.get("msg", _("Invalid value."))))


def _field_path(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja prefixes the location with where the value came from ("body", "query", "path")
    # and the name of the handler's parameter; people want the field.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
        if len(parts) > 1:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


def install_error_handlers(api: NinjaAPI) -> None:
    """Route every exception a handler can raise to the one error body."""

    @api.exception_handler(NinjaValidationError)
    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {"field": _field_path(err.get("loc", ())), "message": _pydantic_message(err)}
            for err in exc.errors
        ]
        return error_response(
            api, request, 422, "validation_error", _("Some fields are not valid."), errors
        )

    @api.exception_handler(DjangoValidationError)
    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": field, "message": str(message)}
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
        else:
            errors = [{"field": "__all__", "message": str(m)} for m in exc.messages]
        return error_response(
            api, request, 422, "validation_error", _("Some fields are not valid."), errors
        )

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api,
            request,
            401,
            "not_authenticated",
            _("Sign in, or send a valid API token as “Authorization: Bearer …”."),
        )

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        audit_refusal(request, "forbidden")
        message = str(exc) or _("You do not have permission to do this.")
        return error_response(api, request, 403, "permission_denied", message)

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # A record id that is not there, or not the user's to see: a possible probe.
        if request.resolver_match and request.resolver_match.kwargs:
            audit_refusal(request, "not_found")
        return api.create_response(request, error_body(404), status=404)

    @api.exception_handler(Conflict)
    def on_conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return error_response(api, request, 409, "conflict", exc.message)

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code, message = default_error(exc.status_code)
        if exc.status_code == 403 and "CSRF" in exc.message:
            message = _("The CSRF token is missing or wrong; reload the page and try again.")
        elif code == "error":
            message = exc.message
        return error_response(api, request, exc.status_code, code, message)

    @api.exception_handler(RequestDataTooBig)
    def on_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = _("The request is too large; at most %(n)s bytes.") % {"n": limit}
        return error_response(api, request, 413, "too_large", message)

    @api.exception_handler(MultiPartParserError)
    def on_bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        message = _("The upload could not be read; send multipart/form-data with a boundary.")
        return error_response(api, request, 400, "bad_request", message)

    @api.exception_handler(UnicodeError)
    def on_bad_text(request: HttpRequest, exc: UnicodeError) -> HttpResponse:
        # e.g. a lone surrogate ("\\ud800") in JSON: valid JSON, but not text a database stores.
        message = _("The request contains characters that are not valid text.")
        return error_response(api, request, 400, "bad_request", message)

    @api.exception_handler(OverflowError)
    def on_overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # A number no database column holds (an id of 2**63 or more). PostgreSQL reports the
        # same as a DataError, handled below.
        return _out_of_range(request)

    @api.exception_handler(DataError)
    def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        return _out_of_range(request)

    def _out_of_range(request: HttpRequest) -> HttpResponse:
        message = _("A number in the request is out of range.")
        return error_response(api, request, 422, "validation_error", message)

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled API error on %s %s", request.method, request.path)
        return api.create_response(request, error_body(500), status=500)
