from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("interactions/partials/timeline_card.html", takes_context=True)
def customer_timeline(context: dict[str, Any], customer: Any) -> dict[str, Any]:
    """The timeline card of the 360° page: ``{% customer_timeline customer %}``."""
    from kehu.interactions.views import timeline_context

    request = context["request"]
    return {
        **timeline_context(request, customer),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def duration(seconds: int | None) -> str:
    """A call's or visit's length as h:mm:ss or m:ss."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
