"""Asking a signed-in person for their password again before a sensitive step."""

from django.contrib.auth import authenticate
from django.http import HttpRequest

from kehu.accounts.models import User


def password_confirms(request: HttpRequest, *, user: User, password: str) -> bool:
    """Whether ``password`` is ``user``'s. Goes through the sign-in backends, so a wrong
    password counts towards the sign-in lockout like any failed sign-in."""
    if not password:
        return False
    confirmed = authenticate(request, username=user.get_username(), password=password)
    return confirmed is not None and confirmed.pk == user.pk
