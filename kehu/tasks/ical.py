"""The iCalendar feed of a user's work, at a signed URL a phone calendar can subscribe to."""

from datetime import date, timedelta

from django.core import signing
from django.utils import timezone
from icalendar import Calendar, Event

from kehu.accounts.models import User
from kehu.tasks.work import work_items

SALT = "kehu.tasks.ical"
# The feed shows this much of the past and the future.
PAST_DAYS = 30
FUTURE_DAYS = 90


def feed_token(user: User) -> str:
    """A token naming ``user``; it stops working when the password changes (the password hash
    is part of the signature), so a leaked URL is revoked by changing the password."""
    return signing.Signer(salt=f"{SALT}:{user.password}").sign(str(user.pk)).replace(":", ".")


def user_for_token(token: str) -> User | None:
    user_id, _sep, _signature = token.partition(".")
    if not user_id.isdigit():
        return None
    user = User.objects.filter(pk=int(user_id), is_active=True).first()
    if user is None:
        return None
    try:
        signing.Signer(salt=f"{SALT}:{user.password}").unsign(token.replace(".", ":"))
    except signing.BadSignature:
        return None
    return user


def feed(*, user: User, today: date) -> bytes:
    """The user's work from ``PAST_DAYS`` ago to ``FUTURE_DAYS`` ahead as an iCalendar file."""
    calendar = Calendar()
    calendar.add("prodid", "-//Kehu//work//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Kehu · {user}")
    stamp = timezone.now()
    items = work_items(
        user=user,
        since=today - timedelta(days=PAST_DAYS),
        until=today + timedelta(days=FUTURE_DAYS),
        today=today,
    )
    for item in items:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        summary = f"{item.label}: {item.title}"
        if item.customer is not None:
            summary = f"{summary} · {item.customer.name}"
        event.add("summary", summary)
        if item.at is not None:
            event.add("dtstart", item.at)
            event.add("dtend", item.at + timedelta(minutes=30))
        else:
            event.add("dtstart", item.day)
            event.add("dtend", item.day + timedelta(days=1))
        event.add("url", item.url)
        calendar.add_component(event)
    feed: bytes = calendar.to_ical()
    return feed
