"""Contacts by people: call lists, direct mail, events."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_log_contact, can_manage_campaigns
from kehu.core.exceptions import Conflict
from kehu.interactions.models import Interaction
from kehu.interactions.services import interaction_log
from kehu.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignMember,
    Send,
)
from kehu.marketing.services.common import INTERACTION_TYPE, SENT_BY_KEHU, _require_manager, _touch
from kehu.marketing.services.responses import response_record
from kehu.marketing.services.sending import _may_contact


def labels_export_log(
    *,
    user: User,
    campaign: Campaign,
    rows: int,
    format: str,
    revealed: bool,
    ip_address: str | None,
) -> None:
    """Audit a direct-mail label list as an export of personal data (and, when home addresses
    were shown in clear, as their reveal)."""
    from kehu.core.audit import audit_log
    from kehu.core.models import AuditEvent

    audit_log(
        action=AuditEvent.Action.EXPORT,
        actor=user,
        ip_address=ip_address,
        object_type="marketing.campaign",
        object_id=campaign.pk,
        detail={"what": "mailing labels", "rows": rows, "format": format},
    )
    if revealed:
        audit_log(
            action=AuditEvent.Action.REVEAL,
            actor=user,
            ip_address=ip_address,
            object_type="marketing.campaign",
            object_id=campaign.pk,
            detail={"field": "person.home_address", "group": "address", "rows": rows},
        )


@transaction.atomic
def call_list_assign(*, user: User, campaign: Campaign, agents: list[User]) -> int:
    """Split the campaign's target members not yet assigned among ``agents`` (reps or service
    agents), in turn; returns how many were assigned."""
    _require_manager(user)
    if campaign.status != Campaign.Status.RUNNING:
        raise Conflict(_("Launch the campaign before splitting its call list."))
    agents = [a for a in agents if a.is_active and can_log_contact(a)]
    if not agents:
        raise ValidationError({"agent_ids": [_("Choose who makes the calls.")]})
    ids = list(
        CampaignMember.objects.filter(
            campaign=campaign, group=CampaignMember.Group.TARGET, assigned_to__isnull=True
        )
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for index, agent in enumerate(agents):
        share = ids[index :: len(agents)]
        for start in range(0, len(share), 500):
            CampaignMember.objects.filter(pk__in=share[start : start + 500]).update(
                assigned_to=agent
            )
    return len(ids)


@transaction.atomic
def contact_log(
    *,
    user: User,
    member: CampaignMember,
    channel: str,
    outcome: str,
    note: str = "",
    response: str = "",
) -> Send:
    """A contact made by a person (a call, a letter, an invitation, a WeChat message): logged
    as a sent contact and an interaction on the customer's timeline with its outcome; a
    response (called back, registered…) may be recorded with it."""
    campaign = member.campaign
    if not (can_manage_campaigns(user) or member.assigned_to_id == user.pk):
        raise Http404
    if campaign.status != Campaign.Status.RUNNING:
        raise Conflict(_("Only a running campaign's members are contacted."))
    if channel not in campaign.channels or channel in SENT_BY_KEHU:
        raise ValidationError({"channel": [_("This campaign does not use this channel.")]})
    if member.group != CampaignMember.Group.TARGET:
        raise ValidationError({"member": [_("This member is not to be contacted.")]})
    if not outcome.strip():
        raise ValidationError({"outcome": [_("Say how the contact went.")]})
    if member.customer_id not in _may_contact([member.customer_id], channel):
        raise ValidationError(
            {"member": [_("This customer may not be contacted through this channel.")]}
        )
    send = Send.objects.create(
        campaign=campaign,
        member=member,
        channel=channel,
        status=Send.Status.SENT,
        sent_at=timezone.now(),
        attempts=1,
        outcome=outcome.strip()[:200],
        by=user,
    )
    interaction, _created = interaction_log(
        user=user,
        customer=member.customer,
        type=INTERACTION_TYPE[CampaignChannel(channel)],
        summary=(
            _("Campaign “%(campaign)s”: %(note)s")
            % {"campaign": campaign.name, "note": note.strip() or outcome.strip()}
        ),
        outcome=outcome,
        source=Interaction.Source.SYSTEM,
        external_id=f"campaign-send:{send.pk}",
        details={"campaign_id": campaign.pk, "campaign": campaign.name, "send_id": send.pk},
    )
    send.interaction = interaction
    send.save(update_fields=["interaction"])
    _touch(campaign.pk)
    if response:
        response_record(user=user, member=member, kind=response, channel=channel)
    return send
