"""Open and click tracking (an option per campaign, off by default): the e-mail's links go
through a signed click-through redirect and its HTML carries a one-pixel image; following
either records the member's response once (*opened*, *clicked*; a click counts as an open)."""

import re
from html import unescape as html_unescape
from urllib.parse import urlsplit

from django.core import signing
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.html import escape

from kehu.marketing.models import CampaignChannel, CampaignMember, Response
from kehu.marketing.services.common import _config
from kehu.marketing.services.responses import response_record

TRACK_SALT = "kehu.marketing.track"
# An http(s) link in a message: ASCII URL characters (no quotes or angle brackets); trailing
# sentence punctuation is not part of it.
LINK = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+")
TRAILING = ".,;:!?)]"


def _public(name: str, token: str) -> str:
    path = reverse(f"marketing_public:{name}", args=[token])
    return str(_config("base_url")).rstrip("/") + path


def open_url(member_id: int) -> str:
    return _public("open", signing.dumps({"m": member_id}, salt=TRACK_SALT, compress=True))


def click_url(member_id: int, url: str) -> str:
    token = signing.dumps({"m": member_id, "u": url}, salt=TRACK_SALT, compress=True)
    return _public("click", token)


def _split(found: str) -> tuple[str, str]:
    """The link and the punctuation after it."""
    link = found.rstrip(TRAILING)
    return link, found[len(link) :]


def track_links(*, text: str, html: str, member_id: int) -> tuple[str, str]:
    """The message's plain and HTML parts with every http(s) link (except Kehu's own public
    links, such as the unsubscribe link) replaced by its signed click-through, and the open
    pixel added to the HTML."""
    own = str(_config("base_url")).rstrip("/") + "/m/"

    def in_text(match: re.Match[str]) -> str:
        link, rest = _split(match.group(0))
        return (link if link.startswith(own) else click_url(member_id, link)) + rest

    def in_html(match: re.Match[str]) -> str:
        shown, rest = _split(match.group(0))
        link = html_unescape(shown)
        if link.startswith(own):
            return match.group(0)
        return f'<a href="{escape(click_url(member_id, link))}">{shown}</a>{rest}'

    pixel = f'<img src="{escape(open_url(member_id))}" width="1" height="1" alt="">'
    return LINK.sub(in_text, text), LINK.sub(in_html, html) + "\n" + pixel


def _read(token: str, *, with_url: bool) -> tuple[CampaignMember, str]:
    try:
        data = signing.loads(token, salt=TRACK_SALT)
        member_id, url = int(data["m"]), str(data["u"]) if with_url else ""
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Http404 from None
    if with_url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Http404
    member = (
        CampaignMember.objects.select_for_update()
        .select_related("campaign")
        .filter(pk=member_id, campaign__track_responses=True, campaign__launched_at__isnull=False)
        .first()
    )
    if member is None:
        raise Http404
    return member, url


def _once(member: CampaignMember, kind: str) -> None:
    if not member.responses.filter(kind=kind).exists():
        response_record(user=None, member=member, kind=kind, channel=CampaignChannel.EMAIL)


@transaction.atomic
def track_open(*, token: str) -> CampaignMember:
    """The open pixel was loaded: *opened*, once per member. ``Http404`` for a forged token."""
    member, _url = _read(token, with_url=False)
    _once(member, Response.Kind.OPENED)
    return member


@transaction.atomic
def track_click(*, token: str) -> str:
    """A click-through was followed: *clicked* (and *opened*), once per member; the link the
    message carried, the only place the redirect goes. ``Http404`` for a forged token."""
    member, url = _read(token, with_url=True)
    _once(member, Response.Kind.OPENED)
    _once(member, Response.Kind.CLICKED)
    return url
