from typing import Any

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def field_encryption_key_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Refuse to start with a malformed field-encryption key, before any data is written."""
    from kehu.core.encryption import _fernet

    try:
        _fernet()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="kehu.E001")]
    return []
