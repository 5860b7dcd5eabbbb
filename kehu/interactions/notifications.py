"""Notifications: a line in a user's bell menu with a link. Imports only models, so any app's
services can notify without depending on the interactions services."""

from kehu.accounts.models import User
from kehu.interactions.models import Notification


def notify(*, user: User, text: str, url: str = "") -> Notification:
    return Notification.objects.create(user=user, text=text[:300], url=url[:300])
