"""The default channel through which the archive learns a fact."""

from kehu.customers.models import (
    Channel,
)

DEFAULT_CHANNEL = "direct_entry"


def _default_channel() -> Channel | None:
    return Channel.objects.filter(code=DEFAULT_CHANNEL).first()
