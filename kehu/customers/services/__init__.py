"""Every write to the customer archive. Each fact that changes leaves a ``CustomerChange``."""

from kehu.customers.services.cleaning import (
    cross_check_id_number,
)
from kehu.customers.services.common import (
    DEFAULT_CHANNEL,
)
from kehu.customers.services.contacts import (
    contact_delete,
    contact_save,
    contact_summary,
)
from kehu.customers.services.customers import (
    customer_archive,
    customer_assign,
    customer_create,
    customer_mark_reviewed,
    customer_restore,
    customer_share,
    customer_update,
    record_change,
    write_value,
)
from kehu.customers.services.pool import (
    customer_claim,
)
from kehu.customers.services.reveal import (
    customer_field_reveal,
)
from kehu.customers.services.settings import (
    channel_save,
    custom_field_save,
)

__all__ = [
    "DEFAULT_CHANNEL",
    "channel_save",
    "contact_delete",
    "contact_save",
    "contact_summary",
    "cross_check_id_number",
    "custom_field_save",
    "customer_archive",
    "customer_assign",
    "customer_claim",
    "customer_create",
    "customer_field_reveal",
    "customer_mark_reviewed",
    "customer_restore",
    "customer_share",
    "customer_update",
    "record_change",
    "write_value",
]
