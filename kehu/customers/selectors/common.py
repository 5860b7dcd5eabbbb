"""What the archive's reads share."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Fields recorded in history that are not profile fields.
HISTORY_ONLY_LABELS: dict[str, str | Promise] = {
    "owner": _("owner"),
    "status": _("status"),
    "shared_with": _("shared with"),
    "contacts": _("contacts"),
    "reviewed_at": _("reviewed at"),
    "merged_from": _("merged from"),
}
