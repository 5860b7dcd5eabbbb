"""The main navigation. Each module adds its entry here, with the check that shows it."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Role, User
from kehu.core.access import (
    can_administer_archive,
    can_export,
    can_hand_over_work,
    can_handle_privacy_requests,
    can_log_contact,
    can_manage_accounts,
    can_read_knowledge,
    can_read_survey_results,
    can_view_audit,
    can_view_campaigns,
    can_view_pool,
)
from kehu.core.counts import counts_in_one_query
from kehu.core.fragments import FragmentCache
from kehu.core.home import home_role


def can_use_surveys(user: User) -> bool:
    """Those who run or read surveys, and those who interview customers by phone."""
    return can_read_survey_results(user) or can_log_contact(user)


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    icon: str  # name of an icon in templates/core/partials/icons.html
    section: str  # URL namespace, marks the item active on every page of its app
    visible: Callable[[Any], bool] = lambda user: True
    # Dotted path of ``f(user) -> QuerySet | None``: how many rows it has is shown beside the
    # label. Every badge of the menu is counted in one query (``badge_counts``).
    badge: str = ""
    # What the badge counts, as its tooltip.
    badge_title: str | Promise = ""
    count: int = 0


def is_superuser(user: User) -> bool:
    """Django's admin site is for superusers only: daily administration is in Kehu's pages."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def may_hand_over(user: User) -> bool:
    """``can_hand_over_work``, answered for a sales rep from the home page's role (kept on the
    user for the request), so the menu costs no query of its own."""
    if user.is_authenticated and user.role == Role.SALES_REP and not user.is_superuser:
        return user.is_active and home_role(user) == "manager"
    return can_hand_over_work(user)


# Customers of the user's scope due for periodic review (kehu.oversight), on the menu and the
# home page's "today" card.
REVIEWS_DUE_BADGE = "kehu.oversight.selectors.reviews_due_badge_rows"

NAV_ITEMS = [
    NavItem(_("Home"), "core:home", "home", "core"),
    NavItem(_("Customers"), "customers:list", "users", "customers"),
    NavItem(
        _("My work"),
        "tasks:my_work",
        "calendar",
        "tasks",
        badge="kehu.tasks.work.work_due_rows",
        badge_title=_("Tasks due today or overdue"),
    ),
    NavItem(
        _("My day"),
        "interactions:my_day",
        "sun",
        "interactions",
        badge="kehu.interactions.selectors.reminders_due_rows",
        badge_title=_("Reminders due today or overdue"),
    ),
    NavItem(_("Public pool"), "pool:list", "pool", "pool", can_view_pool),
    NavItem(_("Sales"), "sales:orders", "cart", "sales"),
    NavItem(_("Customer value"), "analytics:overview", "chart", "analytics", can_view_pool),
    NavItem(_("Bought together"), "basket:rules", "cart", "basket"),
    NavItem(_("Members and care"), "loyalty:overview", "users", "loyalty"),
    NavItem(_("Campaigns"), "marketing:list", "chart", "marketing", can_view_campaigns),
    NavItem(
        _("My call lists"),
        "marketing:my_calls",
        "phone",
        "marketing",
        lambda user: not can_view_campaigns(user) and can_log_contact(user),
    ),
    NavItem(
        _("Key accounts"),
        "oversight:dashboard",
        "chart",
        "oversight",
        can_view_pool,
        badge=REVIEWS_DUE_BADGE,
        badge_title=_("Customers due for review"),
    ),
    NavItem(_("Surveys"), "surveys:list", "form", "surveys", can_use_surveys),
    NavItem(_("Profile insight"), "insight:explorer", "chart", "insight", can_view_pool),
    NavItem(
        _("Archive settings"),
        "archive_admin:channels",
        "sliders",
        "archive_admin",
        can_manage_accounts,
    ),
    NavItem(_("Service"), "service:queue", "lifebuoy", "service"),
    NavItem(_("Knowledge"), "knowledge:list", "form", "knowledge", can_read_knowledge),
    NavItem(_("Caller lookup"), "calls:lookup", "phone", "calls"),
    NavItem(_("Web forms"), "intake_admin:forms", "form", "intake_admin", can_manage_accounts),
    NavItem(_("My exports"), "exports:list", "form", "exports", can_export),
    NavItem(_("Data quality"), "quality:overview", "shield", "quality", can_administer_archive),
    NavItem(
        _("Duplicates"),
        "dedup:queue",
        "users",
        "dedup",
        can_administer_archive,
        badge="kehu.dedup.selectors.duplicates_pending_rows_for",
        badge_title=_("Pairs waiting for review"),
    ),
    NavItem(_("Imports"), "imports:list", "form", "imports", can_administer_archive),
    NavItem(
        _("Privacy requests"),
        "privacy:list",
        "shield",
        "privacy",
        can_handle_privacy_requests,
        badge="kehu.privacy.selectors.privacy_open_rows",
        badge_title=_("Open privacy requests"),
    ),
    NavItem(_("Audit log"), "audit:list", "log", "audit", can_view_audit),
    NavItem(_("Sign-in locks"), "accounts:lockouts", "shield", "lockouts", can_manage_accounts),
    NavItem(_("Users and teams"), "accounts:users", "users", "accounts_admin", can_manage_accounts),
    NavItem(_("Handover"), "accounts:handover", "users", "handover", may_hand_over),
    NavItem(_("Settings"), "accounts:settings", "settings", "accounts"),
    NavItem(_("API"), "api:openapi-view", "code", "api"),
    NavItem(_("Administration"), "admin:index", "shield", "admin", is_superuser),
]


def nav_for(user: User) -> list[NavItem]:
    items = [item for item in NAV_ITEMS if item.visible(user)]
    counts = badge_counts(user)
    return [replace(item, count=counts[item.badge]) if item.badge else item for item in items]


_MENUS: FragmentCache[SafeString] = FragmentCache()


def nav_html(items: list[NavItem], section: str) -> SafeString:
    """The menu of ``items`` (``nav_for``) with ``section`` marked active, rendered once per
    language, set of entries, active section and badge counts and then reused.

    The counts are part of what is looked up, so a badge is never stale: they are counted on
    every page (one query) and only the rendering is saved. Each page shows the menu twice
    (sidebar and the small screen's menu)."""
    key = (
        get_language(),
        get_script_prefix(),
        get_urlconf(settings.ROOT_URLCONF),
        section,
        tuple((item.url_name, item.count) for item in items),
    )
    return _MENUS.get(
        key,
        lambda: render_to_string(
            "core/partials/nav.html", {"nav_items": items, "nav_section": section}
        ),
    )


# The top bar's bell: the user's unread notifications, counted with the menu's badges.
BELL = "kehu.interactions.selectors.notifications_unread_of"


def badge_counts(user: User) -> dict[str, int]:
    """The count of each badge of ``user``'s menu and of the top bar's ``BELL`` (dotted path
    → count), read in one query and kept on the user for the request: the home page's cards
    show some of them too."""
    counts: dict[str, int] | None = getattr(user, "_kehu_badge_counts", None)
    if counts is not None:
        return counts
    paths = [item.badge for item in NAV_ITEMS if item.badge and item.visible(user)] + [BELL]
    rows = [import_string(path)(user) for path in paths]
    found = counts_in_one_query([r for r in rows if r is not None])
    numbers = iter(found)
    counts = {path: 0 if r is None else next(numbers) for path, r in zip(paths, rows, strict=True)}
    user._kehu_badge_counts = counts  # type: ignore[attr-defined]
    return counts


# Pages of one URL namespace that belong to another menu entry: accounts' administration.
SECTION_OF_PAGE = {
    **dict.fromkeys(
        ("users", "user_new", "user_detail", "teams", "team_new", "team_edit"), "accounts_admin"
    ),
    "handover": "handover",
    "handover_detail": "handover",
}


def nav_section(namespace: str, url_name: str) -> str:
    """The menu entry a page is under (marked active): its URL namespace, with exceptions."""
    if namespace == "accounts":
        return SECTION_OF_PAGE.get(url_name, namespace)
    return namespace
