"""The archive's keys: which encrypt and which find, canaries that prove they are the right
ones, and what to do when they are not.

- **Field-encryption keys** (``KEHU_FIELD_ENCRYPTION_KEY`` / ``data/field_encryption_key``,
  Fernet): the first encrypts, every one decrypts.
- **Lookup keys** (``KEHU_FIELD_LOOKUP_KEY`` / ``data/field_lookup_key``): the keyed hashes
  (HMAC-SHA256) that find an encrypted ID number, an e-mail or a credit code exactly. The first
  writes; a lookup searches under every one, so lookups keep working while ``kehu keys
  rotate`` recomputes the stored hashes. An archive made before lookup keys had their own key
  hashed with a key derived from the first encryption key ("legacy"); while the
  ``legacy`` canary row exists, those derivations are searched too.
- **Canaries** (``core_keycanary``): a known text encrypted (or hashed) under each key in use.
  A canary no configured key opens means data under a key that is missing: Kehu refuses to
  start (``kehu check`` reports it) instead of answering 500 on every encrypted field, and a
  new key is never generated while encrypted data exists.
"""

import hashlib
import hmac
import os
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, models

CANARY_TEXT = b"kehu-key-canary-v1"
LEGACY = "legacy"
# How long a process trusts what it read of the canary table (legacy lookups on or off).
STATE_SECONDS = 60


class KeyProblem(ImproperlyConfigured):
    """The configured keys cannot read the archive; the message says what to do."""


def fingerprint(key: str | bytes) -> str:
    """A short name of a key that reveals nothing of it."""
    raw = key if isinstance(key, bytes) else key.strip().encode()
    return hashlib.sha256(b"kehu-key-fingerprint:" + raw).hexdigest()[:16]


RECOVERY_STEPS = (
    "What to do: 1) find the key that was in use (the file field_encryption_key of the data "
    "directory in a backup, a password manager, or KEHU_FIELD_ENCRYPTION_KEY of the old server) "
    "and put it back — in the file, or first in KEHU_FIELD_ENCRYPTION_KEY; 2) run 'kehu check' "
    "until it is clean. Do not delete the database: without the key its encrypted fields "
    "cannot be read, and with it nothing is lost. If the key is truly lost, restore the last "
    "backup that includes it (kehu restore). See docs/operations.md, 'A lost or wrong key'."
)


# --- which keys ---------------------------------------------------------------------------------


def _encrypted_data_exists() -> bool:
    from django.apps import apps

    changes = apps.get_model("customers", "CustomerChange")._default_manager
    if any(
        model._default_manager.exclude(**{name: ""}).exists() for model, name in encrypted_columns()
    ):
        return True
    return changes.filter(sensitive=True).exists() or _export_files_exist()


def _export_files_exist() -> bool:
    folder = settings.DATA_DIR / "exports"
    return folder.is_dir() and any(p.is_file() and p.suffix != ".part" for p in folder.rglob("*"))


def field_keys() -> list[str]:
    """The configured field-encryption keys. In the embedded setup a missing key file is
    generated, but only when the archive holds no encrypted data; otherwise ``KeyProblem``."""
    if settings.FIELD_ENCRYPTION_KEYS:
        return list(settings.FIELD_ENCRYPTION_KEYS)
    path: Path = settings.FIELD_ENCRYPTION_KEY_FILE
    if path.exists():
        return [k.strip() for k in path.read_text().split(",") if k.strip()]
    try:
        exists = _encrypted_data_exists()
    except DatabaseError:
        exists = False  # no tables yet: a new archive
    if exists:
        raise KeyProblem(
            f"The field-encryption key file {path} is missing and KEHU_FIELD_ENCRYPTION_KEY is "
            f"not set, but the archive holds encrypted data. Kehu does not make a new key: "
            f"the data would stay unreadable. {RECOVERY_STEPS}"
        )
    key = Fernet.generate_key().decode()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return [k.strip() for k in path.read_text().split(",") if k.strip()]
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return [key]


def _legacy_lookup_key(field_key: str) -> bytes:
    return hashlib.sha256(b"kehu-lookup-v1:" + field_key.encode()).digest()


def _own_lookup_key(key: str) -> bytes:
    return key.strip().encode()


_state: dict[str, float | bool] = {"at": 0.0, "legacy": False}


def legacy_lookups_in_use() -> bool:
    """Whether hashes made with the legacy derivation may still be stored (cached a minute)."""
    from kehu.core.models import KeyCanary

    now = time.monotonic()
    if now - float(_state["at"]) > STATE_SECONDS:
        try:
            legacy = KeyCanary.objects.filter(
                purpose=KeyCanary.Purpose.LOOKUP, fingerprint=LEGACY
            ).exists()
        except DatabaseError:
            legacy = False
        _state.update(at=now, legacy=legacy)
    return bool(_state["legacy"])


def remember_state(*, legacy: bool) -> None:
    """Take ``legacy`` as read from the canary table just now (tests)."""
    _state.update(at=time.monotonic(), legacy=legacy)


def forget_state() -> None:
    """Read the canary table again at the next lookup (tests; after a rotation)."""
    _state["at"] = 0.0


def lookup_write_key() -> bytes:
    if settings.FIELD_LOOKUP_KEYS:
        return _own_lookup_key(settings.FIELD_LOOKUP_KEYS[0])
    return _legacy_lookup_key(field_keys()[0])


def lookup_read_keys() -> list[bytes]:
    keys = [lookup_write_key()]
    keys += [_own_lookup_key(k) for k in settings.FIELD_LOOKUP_KEYS[1:]]
    if not settings.FIELD_LOOKUP_KEYS or legacy_lookups_in_use():
        keys += [_legacy_lookup_key(k) for k in field_keys()]
    return list(dict.fromkeys(keys))


def keyed_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


# --- where encrypted values live ------------------------------------------------------------


def encrypted_columns() -> list[tuple[type[models.Model], str]]:
    """Every ``EncryptedTextField`` of every installed model: (model, field name)."""
    from django.apps import apps

    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if getattr(field, "is_encrypted", False)  # EncryptedTextField
    ]


# --- canaries ---------------------------------------------------------------------------------


def canaries_record() -> None:
    """Record a canary for the key that encrypts and the key that hashes, if new. Called by
    ``kehu setup``, ``kehu serve``, after migrations and after a rotation."""
    from kehu.core.models import KeyCanary

    field_key = field_keys()[0]
    KeyCanary.objects.get_or_create(
        purpose=KeyCanary.Purpose.FIELD,
        fingerprint=fingerprint(field_key),
        defaults={"token": Fernet(field_key.encode()).encrypt(CANARY_TEXT).decode()},
    )
    lookup = lookup_write_key()
    KeyCanary.objects.get_or_create(
        purpose=KeyCanary.Purpose.LOOKUP,
        fingerprint=fingerprint(lookup),
        defaults={"token": keyed_hash(lookup, CANARY_TEXT.decode())},
    )


def _sample_tokens(limit: int = 3) -> list[str]:
    """A few stored encrypted values of each column (the newest), read without decrypting."""
    from django.db import connection

    tokens: list[str] = []
    for model, name in encrypted_columns():
        column = str(getattr(model._meta.get_field(name), "column", name))
        table = model._meta.db_table
        pk = str(getattr(model._meta.pk, "column", "id"))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {connection.ops.quote_name(column)} FROM "  # noqa: S608  # names from _meta
                f"{connection.ops.quote_name(table)} WHERE {connection.ops.quote_name(column)} "
                f"<> '' ORDER BY {connection.ops.quote_name(pk)} DESC LIMIT %s",
                [limit],
            )
            tokens += [row[0] for row in cursor.fetchall()]
    return tokens


def key_problems() -> list[str]:
    """What stops the configured keys from reading this archive (nothing: all is well)."""
    from kehu.core.models import KeyCanary

    try:
        keys = field_keys()
    except KeyProblem as exc:
        return [str(exc)]
    try:
        fernet = MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError:
        return [
            "KEHU_FIELD_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64 bytes); "
            "generate one with: kehu keys new"
        ]
    problems = []
    try:
        canaries = list(KeyCanary.objects.all())
        samples = _sample_tokens() if canaries or _encrypted_data_exists() else []
    except DatabaseError:
        return []  # no tables yet: nothing is encrypted
    unreadable = []
    for canary in canaries:
        if canary.purpose != KeyCanary.Purpose.FIELD:
            continue
        try:
            fernet.decrypt(canary.token.encode())
        except InvalidToken:
            unreadable.append(canary.fingerprint)
    bad_samples = 0
    for token in samples:
        try:
            fernet.decrypt(token.encode())
        except InvalidToken:
            bad_samples += 1
    if bad_samples or (unreadable and samples):
        problems.append(
            "Encrypted data in this archive cannot be decrypted with the configured "
            "field-encryption key(s)"
            + (f" (data was encrypted under key {', '.join(unreadable)})" if unreadable else "")
            + f". Configured: {', '.join(fingerprint(k) for k in keys)}. {RECOVERY_STEPS}"
        )
    read_keys = lookup_read_keys()
    lookups = {keyed_hash(k, CANARY_TEXT.decode()) for k in read_keys}
    lost = [
        c.fingerprint
        for c in canaries
        if c.purpose == KeyCanary.Purpose.LOOKUP and c.fingerprint != LEGACY
        if c.token not in lookups
    ]
    if lost and samples and not problems:
        problems.append(
            f"The lookup key that hashed stored ID numbers, e-mails and credit codes "
            f"({', '.join(lost)}) is not configured: exact searches and the unique-ID check would "
            f"miss existing customers. Put it back (data/field_lookup_key or first in "
            f"KEHU_FIELD_LOOKUP_KEY), or, if it is lost, add the current one and run "
            f"'kehu keys rotate', which recomputes every lookup hash from the encrypted values."
        )
    return problems


def require_readable_keys() -> None:
    """Raise ``KeyProblem`` when the keys cannot read the archive (``kehu serve``/``setup``)."""
    problems = key_problems()
    if problems:
        raise KeyProblem(" ".join(problems))
