"""Every read of customers goes through here, scoped by ``kehu.core.access``."""

from kehu.customers.selectors.common import (
    HISTORY_ONLY_LABELS,
)
from kehu.customers.selectors.fields import (
    CUSTOM_TYPES,
    custom_field_spec,
    custom_fields_for,
    customer_field_specs,
    field_label,
    field_specs_for,
)
from kehu.customers.selectors.history import (
    ChangeView,
    customer_history,
)
from kehu.customers.selectors.lists import (
    ORDERINGS,
    CustomerFilters,
    customer_list,
)
from kehu.customers.selectors.lookups import (
    channel_get,
    channel_given,
    channels_active,
    channels_all,
    contact_get,
    contact_given,
    custom_field_get,
    custom_fields_all,
)
from kehu.customers.selectors.pool import (
    bulk_owner_choices,
    customers_in_pool_visible_to,
)
from kehu.customers.selectors.profile import (
    Completeness,
    FieldView,
    GroupView,
    ProfileView,
    Source,
    channel_labels,
    completeness_of,
    customer_completeness,
    customer_profile,
    display_text,
    latest_sources,
    values_as_of,
)
from kehu.customers.selectors.scope import (
    ARCHIVE_GROUPS,
    customer_can_change,
    customer_can_record_facts,
    customer_get_for_user,
    customers_changeable_by,
    customers_changeable_q,
    customers_visible_q,
    customers_visible_to,
    fact_field_allowed,
    require_customer_change,
)

__all__ = [
    "ARCHIVE_GROUPS",
    "CUSTOM_TYPES",
    "ChangeView",
    "Completeness",
    "CustomerFilters",
    "FieldView",
    "GroupView",
    "HISTORY_ONLY_LABELS",
    "ORDERINGS",
    "ProfileView",
    "Source",
    "bulk_owner_choices",
    "channel_get",
    "channel_given",
    "channel_labels",
    "channels_active",
    "channels_all",
    "completeness_of",
    "contact_get",
    "contact_given",
    "custom_field_get",
    "custom_field_spec",
    "custom_fields_all",
    "custom_fields_for",
    "customer_can_change",
    "customer_can_record_facts",
    "customer_completeness",
    "customer_field_specs",
    "customer_get_for_user",
    "customer_history",
    "customer_list",
    "customer_profile",
    "customers_changeable_by",
    "customers_changeable_q",
    "customers_in_pool_visible_to",
    "customers_visible_q",
    "customers_visible_to",
    "display_text",
    "fact_field_allowed",
    "field_label",
    "field_specs_for",
    "latest_sources",
    "require_customer_change",
    "values_as_of",
]
