"""What the archive's reads share."""

from typing import cast

from django.db import connections, models
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


def sql_names(alias: str, model: type[models.Model], *fields: str) -> list[str]:
    """The quoted names of ``model``'s table and of the columns of ``fields``, for raw SQL on
    the database ``alias``: names from the model, never typed twice."""
    quote = connections[alias].ops.quote_name
    columns = [cast(models.Field, model._meta.get_field(name)).column for name in fields]  # type: ignore[type-arg]
    return [quote(model._meta.db_table)] + [quote(column) for column in columns]
