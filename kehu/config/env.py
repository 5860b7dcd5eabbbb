"""Reading configuration from the environment, and secrets kept in the data directory."""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _new_secret(kind: str) -> str:
    if kind == "fernet":
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode()
    if kind == "lookup":
        return secrets.token_urlsafe(32)
    return secrets.token_urlsafe(50)


def persistent_secret(name: str, path: Path, *, production: bool, kind: str) -> str:
    """The secret from the environment; else, outside production, one kept in ``path``.

    In production a missing secret stops the start: a generated one would silently differ
    between servers and be lost with the container.
    """
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if production:
        raise ImproperlyConfigured(
            f"{name} is not set. In production (KEHU_ENV=production) Kehu does not generate "
            f"secrets: set {name} in the environment (see docs/configuration.md)."
        )
    if path.exists():
        return path.read_text().strip()
    value = _new_secret(kind)
    # O_EXCL: when two processes start at once, one writes and the other reads its value.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def secret_list(name: str, path: Path, *, production: bool, kind: str, generate: bool) -> list[str]:
    """Comma-separated secrets from the environment or ``path``; ``[]`` when neither has them
    and ``generate`` is false (the caller decides later whether a new one is safe)."""
    if os.environ.get(name, "").strip() or production or generate or path.exists():
        value = persistent_secret(name, path, production=production, kind=kind)
        return [part.strip() for part in value.split(",") if part.strip()]
    return []
