from django import template

from kehu.core.phones import format_phone_local

register = template.Library()


@register.filter
def phone_local(e164: str) -> str:
    """A stored E.164 number as people in China write it."""
    return format_phone_local(e164) if e164 else ""
