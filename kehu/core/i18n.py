"""The language a message to a user is written in: their setting, else the site's default."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import translation

if TYPE_CHECKING:
    from kehu.accounts.models import User


def language_of(user: User | None) -> str:
    """The user's chosen language; the site's default when they chose none or there is no user."""
    return (user.language if user is not None else "") or settings.LANGUAGE_CODE


def in_language_of(user: User | None) -> translation.override:
    """Translate inside the block in ``language_of(user)`` (for mail and notifications)."""
    return translation.override(language_of(user))
