"""``{% load sales_access %}``: who may do what in sales, for templates."""

from django import template

from kehu.accounts.models import User
from kehu.core.access import can_manage_catalogue

register = template.Library()


@register.filter
def keeps_pipeline(user: User) -> bool:
    """Archive administrators and admins keep the catalogue and the pipeline."""
    return can_manage_catalogue(user)
