"""Domain errors: what services and selectors raise when a request cannot be carried out.

They know nothing of HTTP; the edges map them to answers (``kehu.core.api`` for the API, each
view for its page). ``django.core.exceptions.ValidationError`` (bad input, 422),
``PermissionDenied`` (a role that may not, 403, raised through ``kehu.core.access.require``) and
``Http404`` (a record outside the user's scope) are the other three a service raises.
"""

from django.utils.functional import Promise


class Conflict(Exception):
    """The request is well formed but clashes with the current state of the record (HTTP 409
    in the API): a case already closed, a customer someone else claimed first."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(message)
        self.message = str(message)
