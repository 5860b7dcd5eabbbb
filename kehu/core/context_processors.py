from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from kehu.core.access import can_log_contact
from kehu.core.home import home_role, role_label
from kehu.core.navigation import BELL, badge_counts, nav_for, nav_section


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = request.resolver_match
    # Lazy and computed once: htmx fragments never render the navigation, so they never pay
    # for its badge counts; full pages render it twice (sidebar and menu) from one result.
    return {
        "nav_items": SimpleLazyObject(lambda: nav_for(user)),
        "nav_section": nav_section(match.namespace, match.url_name or "") if match else "",
        "can_log_contact": can_log_contact(user),
        # Counted in the menu's one query of badges.
        "unread_notifications": SimpleLazyObject(lambda: badge_counts(user)[BELL]),
        # A rep who manages a team is shown as team manager in the top bar.
        "user_role_label": SimpleLazyObject(lambda: str(role_label(user, home_role(user)))),
    }
