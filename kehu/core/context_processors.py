from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from kehu.core.access import can_log_contact
from kehu.core.home import home_role, role_label
from kehu.core.navigation import nav_for, nav_section
from kehu.interactions.selectors import notifications_unread_count


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
        "unread_notifications": SimpleLazyObject(lambda: notifications_unread_count(user)),
        # A rep who manages a team is shown as team manager in the top bar.
        "user_role_label": SimpleLazyObject(lambda: str(role_label(user, home_role(user)))),
    }
