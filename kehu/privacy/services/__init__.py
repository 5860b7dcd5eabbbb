"""Every write of privacy rights: the request register and each step of a request (copy,
correction, erasure, withdrawal of consent), the consent register, retention rules and runs.

Only archive administrators and admins act here (``can_handle_privacy_requests``); each step
is in the audit trail (``AuditEvent``: PRIVACY_REQUEST, PRIVACY_COPY, ERASED, CONSENT,
RETENTION), with ids and field codes but never the person's values.
"""

from kehu.privacy.services.consent import (
    consent_from_web_form,
    consent_record,
    consents_derive_from_web_forms,
    privacy_withdraw,
)
from kehu.privacy.services.requests import (
    COPY_DIR,
    DSR_CHANNEL,
    PRIVACY_REFUSED,
    dsr_channel,
    history_forget,
    is_erased,
    privacy_copy_handed_over,
    privacy_copy_make,
    privacy_copy_open,
    privacy_correct,
    privacy_erase,
    privacy_request_create,
    privacy_request_update,
)
from kehu.privacy.services.retention import (
    retention_candidates,
    retention_decide,
    retention_rule_save,
    retention_run,
)

__all__ = [
    "COPY_DIR",
    "DSR_CHANNEL",
    "PRIVACY_REFUSED",
    "consent_from_web_form",
    "consent_record",
    "consents_derive_from_web_forms",
    "dsr_channel",
    "history_forget",
    "is_erased",
    "privacy_copy_handed_over",
    "privacy_copy_make",
    "privacy_copy_open",
    "privacy_correct",
    "privacy_erase",
    "privacy_request_create",
    "privacy_request_update",
    "privacy_withdraw",
    "retention_candidates",
    "retention_decide",
    "retention_rule_save",
    "retention_run",
]
