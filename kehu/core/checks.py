from typing import Any

from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError


@register()
def field_encryption_key_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Refuse to start with a malformed field-encryption key, before any data is written."""
    from kehu.core.encryption import _fernet

    try:
        _fernet()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="kehu.E001")]
    return []


@register(Tags.security, deploy=True)
def demo_password_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """``check --deploy``: no active account may have the published demo password."""
    from kehu.accounts.models import User
    from kehu.demo.customers import DEMO_PASSWORD_DEFAULT

    try:
        # "!…" is an unusable password (set_unusable_password).
        users = list(User.objects.filter(is_active=True).exclude(password__startswith="!"))  # noqa: S106
    except DatabaseError:
        return []  # no database yet: nothing to check
    found = [u.username for u in users if u.check_password(DEMO_PASSWORD_DEFAULT)]
    if not found:
        return []
    return [
        Warning(
            "These accounts sign in with the published demo password: " + ", ".join(found),
            hint="Disable them (kehu user disable NAME) or change their passwords.",
            id="kehu.W001",
        )
    ]
