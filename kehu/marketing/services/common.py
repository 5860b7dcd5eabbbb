"""What the campaign writes share: the refusals, the campaign lock, the contact rules."""

import logging
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_manage_campaigns, require
from kehu.interactions.models import Interaction
from kehu.marketing.models import (
    Campaign,
    CampaignChannel,
)
from kehu.privacy.models import Purpose

log = logging.getLogger(__name__)

REFUSED = _("Only marketers and administrators may plan and send campaigns.")
UNSUBSCRIBE_SALT = "kehu.marketing.unsubscribe"

# The consent each channel needs (同意的用途); channels without one need no register entry but
# still respect the do-not-contact list.
PURPOSE_OF = {
    CampaignChannel.EMAIL: Purpose.MARKETING_EMAIL,
    CampaignChannel.SMS: Purpose.MARKETING_SMS,
    CampaignChannel.PHONE: Purpose.MARKETING_PHONE,
}
# Channels Kehu sends itself (queued at launch); the others are logged by people.
SENT_BY_KEHU = (CampaignChannel.EMAIL, CampaignChannel.SMS)
INTERACTION_TYPE = {
    CampaignChannel.EMAIL: Interaction.Type.EMAIL,
    CampaignChannel.SMS: Interaction.Type.SMS,
    CampaignChannel.PHONE: Interaction.Type.PHONE_CALL,
    CampaignChannel.DIRECT_MAIL: Interaction.Type.OTHER,
    CampaignChannel.EVENT: Interaction.Type.MARKETING_EVENT,
    CampaignChannel.WECHAT: Interaction.Type.IM,
}
EDITABLE = (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED)


def _config(key: str) -> Any:
    return settings.KEHU_MARKETING[key]


def _require_manager(user: User) -> None:
    require(user, can_manage_campaigns, REFUSED)


def _touch(campaign_id: int) -> None:
    """Mark the campaign changed: its cached results (keyed on ``updated_at``) are stale."""
    Campaign.objects.filter(pk=campaign_id).update(updated_at=timezone.now())
