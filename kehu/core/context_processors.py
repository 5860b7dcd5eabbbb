from typing import Any

from django.http import HttpRequest

from kehu.core.navigation import nav_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = request.resolver_match
    return {"nav_items": nav_for(user), "nav_section": match.namespace if match else ""}
