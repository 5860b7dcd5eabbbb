"""Notifications: a line in a user's bell menu with a link, about a topic the user may turn off
or also have e-mailed (their preferences on ``User``). Imports only models, so any app's
services can notify without depending on the interactions services."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import NotificationTopic, User
from kehu.core.i18n import in_language_of
from kehu.interactions.models import Notification

Topic = NotificationTopic
log = logging.getLogger(__name__)


def wants(user: User, topic: str) -> bool:
    """Whether ``topic`` reaches ``user``'s bell (security notices always do)."""
    return topic == Topic.SECURITY or topic not in user.notifications_muted


def notify(*, user: User, text: str, url: str = "", topic: str) -> Notification | None:
    """Notify ``user`` unless they turned ``topic`` off; e-mail it too if they asked for that
    (after the commit). Returns the notification, or None when not wanted."""
    if not wants(user, topic):
        return None
    note = Notification.objects.create(user=user, text=text[:300], url=url[:300])
    notifications_email([note], topic)
    return note


def notifications_email(notes: Iterable[Notification], topic: str) -> None:
    """After the commit, e-mail the notifications whose users asked for ``topic`` by e-mail."""
    wanted = [n for n in notes if topic in n.user.notifications_emailed and n.user.email]
    if wanted:
        transaction.on_commit(lambda: _send(wanted))


def _send(notes: list[Notification]) -> None:
    base = str(settings.KEHU_MARKETING["base_url"]).rstrip("/")
    for note in notes:
        with in_language_of(note.user):
            subject = _("Kehu: %(text)s") % {"text": note.text[:60]}
            body = note.text + (f"\n\n{base}{note.url}" if note.url else "")
        try:
            send_mail(subject, body, None, [note.user.email])
        except OSError:  # the bell has it; a mail server that is down must not fail the change
            log.warning("notification %s could not be e-mailed", note.pk, exc_info=True)
