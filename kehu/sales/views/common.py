"""What the sales pages share: the list size, the status of an invalid form, the htmx check."""

from kehu.core.http import AuthenticatedRequest

PAGE_SIZE = 50
INVALID = 422


def is_htmx(request: AuthenticatedRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
