from typing import Any

from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError


@register()
def field_encryption_key_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Refuse to start with a malformed field-encryption key, or with keys that cannot read the
    encrypted data already in the archive (a lost or wrong key is never silent)."""
    from kehu.core.encryption import _fernet
    from kehu.core.keys import KeyProblem, key_problems

    try:
        _fernet()
    except KeyProblem as exc:
        return [Error(str(exc), id="kehu.E002")]
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="kehu.E001")]
    return [Error(problem, id="kehu.E002") for problem in key_problems()]


@register()
def two_factor_roles_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from django.conf import settings

    from kehu.accounts.models import Role

    unknown = sorted(set(settings.KEHU_2FA_REQUIRED_ROLES) - set(Role.values))
    if not unknown:
        return []
    return [
        Error(
            f"KEHU_2FA_REQUIRED_ROLES names unknown roles: {', '.join(unknown)}.",
            hint=f"Roles: {', '.join(Role.values)}.",
            id="kehu.E003",
        )
    ]


@register(Tags.security, deploy=True)
def lookup_key_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """``check --deploy``: lookup hashes should have their own key, not one derived from the
    field-encryption key (rotating that key would otherwise change every lookup hash)."""
    from django.conf import settings

    if settings.FIELD_LOOKUP_KEYS:
        return []
    return [
        Warning(
            "KEHU_FIELD_LOOKUP_KEY is not set: lookup hashes are derived from the "
            "field-encryption key.",
            hint="Set KEHU_FIELD_LOOKUP_KEY (kehu keys new --lookup) and run 'kehu keys rotate'.",
            id="kehu.W002",
        )
    ]


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
