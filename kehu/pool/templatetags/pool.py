from django import template

from kehu.core.phones import mask_phone

register = template.Library()


@register.filter
def phone_masked(e164: str) -> str:
    """A stored number with its middle starred, as pool customers show it: 138****8000."""
    return mask_phone(e164)
