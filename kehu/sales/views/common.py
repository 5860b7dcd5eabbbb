"""What the sales pages share: the list size, the error and line-form helpers."""

from django.core.exceptions import ValidationError

from kehu.core.http import AuthenticatedRequest

PAGE_SIZE = 50
INVALID = 422


def is_htmx(request: AuthenticatedRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for messages_ in exc.message_dict.values() for m in messages_]
    return [str(m) for m in exc.messages]
