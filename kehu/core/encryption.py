"""Encryption at rest for sensitive customer fields (ID numbers, income, family details).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under ``KEHU_FIELD_ENCRYPTION_KEY``.
Several comma-separated keys allow rotation: the first encrypts, every key decrypts.
"""

from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.strip()) for key in settings.FIELD_ENCRYPTION_KEYS])
    except ValueError:
        raise ImproperlyConfigured(
            "KEHU_FIELD_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64 bytes); "
            "generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from None


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The clear text; raises ``InvalidToken`` when no configured key opens it."""
    return _fernet().decrypt(token.encode()).decode()


class EncryptedTextField(models.TextField[str, str]):
    """A text column stored encrypted; Python code sees the clear text.

    It cannot be filtered or ordered by value: look values up through a keyed hash column.
    """

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)


__all__ = ["EncryptedTextField", "InvalidToken", "decrypt", "encrypt"]
