"""``{% load kehu_navigation %}{% main_navigation %}``: the main menu, rendered once per kind
of menu (``kehu.core.navigation.nav_html``)."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from kehu.core.navigation import nav_html

register = template.Library()


@register.simple_tag(takes_context=True)
def main_navigation(context: dict[str, Any]) -> SafeString:
    """The menu of the context's ``nav_items`` (from the ``navigation`` context processor)."""
    return nav_html(context.get("nav_items", []), context.get("nav_section", ""))
