"""Encryption at rest for sensitive customer fields (ID numbers, income, family details).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under ``KEHU_FIELD_ENCRYPTION_KEY``.
Several comma-separated keys allow rotation: the first encrypts, every key decrypts. Export
files are encrypted at rest with the same keys (``encrypt_file``).
"""

import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import IO, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet() -> MultiFernet:
    from kehu.core.keys import field_keys

    try:
        return MultiFernet([Fernet(key.strip()) for key in field_keys()])
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

    # How ``kehu.core.keys`` finds every encrypted column without importing this module (this
    # module reads its keys from there).
    is_encrypted = True

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


# --- files at rest ------------------------------------------------------------------------------
# A file is a sequence of frames: a 4-byte big-endian length, then a Fernet token of up to
# FILE_CHUNK bytes of the clear file. Fernet is not a streaming cipher; frames keep memory flat.
FILE_CHUNK = 1 << 20


def encrypt_file(source: Path, target: Path) -> None:
    """Write ``source`` encrypted to ``target`` (mode 0600), frame by frame."""
    fernet = _fernet()
    with source.open("rb") as clear, private_file(target) as out:
        while chunk := clear.read(FILE_CHUNK):
            token = fernet.encrypt(chunk)
            out.write(len(token).to_bytes(4, "big"))
            out.write(token)


def decrypted_chunks(path: Path) -> Iterator[bytes]:
    """The clear content of a file written by ``encrypt_file``, a chunk at a time."""
    fernet = _fernet()
    with path.open("rb") as encrypted:
        while header := encrypted.read(4):
            yield fernet.decrypt(encrypted.read(int.from_bytes(header, "big")))


def private_file(path: Path) -> IO[bytes]:
    """Open ``path`` for writing, created readable and writable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(descriptor, "wb")
