"""Responses, unsubscribes and the do-not-contact list."""

from datetime import datetime, timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_manage_campaigns
from kehu.customers.models import Customer
from kehu.marketing.models import (
    CampaignChannel,
    CampaignMember,
    DoNotContact,
    Response,
    Send,
)
from kehu.marketing.services.common import PURPOSE_OF, UNSUBSCRIBE_SALT, _require_manager, _touch
from kehu.privacy.models import ConsentMethod, Purpose
from kehu.privacy.selectors import customers_consenting


@transaction.atomic
def response_record(
    *,
    user: User | None,
    member: CampaignMember,
    kind: str,
    channel: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Response:
    """What a member did in answer (replied, registered, attended, clicked, called back,
    unsubscribed)."""
    if user is not None and not (can_manage_campaigns(user) or member.assigned_to_id == user.pk):
        raise Http404
    errors: dict[str, list[str]] = {}
    if kind not in Response.Kind.values:
        errors["kind"] = [_("Unknown response.")]
    if channel and channel not in CampaignChannel.values:
        errors["channel"] = [_("Unknown channel.")]
    when = at or timezone.now()
    if when > timezone.now() + timedelta(minutes=5):
        errors["at"] = [_("A response cannot be in the future.")]
    if member.campaign.launched_at is None:
        errors["member"] = [_("The campaign has not been launched.")]
    if errors:
        raise ValidationError(errors)
    if not channel:
        last = member.sends.filter(status__in=[Send.Status.SENT, Send.Status.DELIVERED]).last()
        channel = last.channel if last else ""
    _touch(member.campaign_id)
    return Response.objects.create(
        member=member, kind=kind, channel=channel, at=when, note=note.strip()[:300],
        recorded_by=user,
    )  # fmt: skip


def unsubscribe_read(token: str) -> tuple[CampaignMember, str]:
    """The member and channel a signed unsubscribe link names; ``Http404`` if it is forged."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        member_id, channel = int(data["m"]), str(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Http404 from None
    member = CampaignMember.objects.select_related("campaign", "customer").filter(pk=member_id)
    found = member.first()
    if found is None or channel not in CampaignChannel.values:
        raise Http404
    return found, channel


@transaction.atomic
def unsubscribe(*, token: str, ip_address: str | None = None) -> CampaignMember:
    """The one-click unsubscribe: withdraws the channel's consent in the consent register and
    records the response. Clicking twice records it once."""
    from kehu.privacy.services import consent_record

    member, channel = unsubscribe_read(token)
    purpose = PURPOSE_OF.get(CampaignChannel(channel), Purpose.MARKETING_EMAIL)
    reference = f"unsubscribe link, campaign {member.campaign.code}"
    if member.customer_id in set(
        customers_consenting(purpose, Customer.objects.filter(pk=member.customer_id)).values_list(
            "pk", flat=True
        )
    ):
        consent_record(
            user=None,
            customer=member.customer,
            purpose=purpose,
            granted=False,
            method=ConsentMethod.WEB_FORM,
            reference=reference,
            ip_address=ip_address,
        )
    if not member.responses.filter(kind=Response.Kind.UNSUBSCRIBED).exists():
        response_record(user=None, member=member, kind=Response.Kind.UNSUBSCRIBED, channel=channel)
    return member


@transaction.atomic
def do_not_contact_set(
    *, user: User, customer: Customer, on: bool, reason: str = ""
) -> DoNotContact | None:
    """Mark a customer "do not contact" for every campaign (or clear the mark)."""
    _require_manager(user)
    if not on:
        DoNotContact.objects.filter(customer=customer).delete()
        return None
    mark, _created = DoNotContact.objects.update_or_create(
        customer=customer,
        defaults={"reason": reason.strip()[:200], "at": timezone.now(), "by": user},
    )
    return mark
