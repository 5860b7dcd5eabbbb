"""The main navigation. Each module adds its entry here, with the check that shows it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.core.access import can_manage_accounts, can_view_audit


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    icon: str  # name of an icon in templates/core/partials/icons.html
    section: str  # URL namespace, marks the item active on every page of its app
    visible: Callable[[Any], bool] = lambda user: True


NAV_ITEMS = [
    NavItem(_("Home"), "core:home", "home", "core"),
    NavItem(_("Customers"), "customers:list", "users", "customers"),
    NavItem(
        _("Archive settings"),
        "archive_admin:channels",
        "sliders",
        "archive_admin",
        can_manage_accounts,
    ),
    NavItem(_("Audit log"), "audit:list", "log", "audit", can_view_audit),
    NavItem(_("Settings"), "accounts:settings", "settings", "accounts"),
    NavItem(_("API"), "api:openapi-view", "code", "api"),
    NavItem(_("Administration"), "admin:index", "shield", "admin", can_manage_accounts),
]


def nav_for(user: Any) -> list[NavItem]:
    return [item for item in NAV_ITEMS if item.visible(user)]
