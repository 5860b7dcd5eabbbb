"""Scheduled launches: a campaign set to launch at a date and time, launched by the periodic
task ``launch_due_campaigns`` (every minute) as the marketer who scheduled it."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.exceptions import Conflict
from kehu.marketing.models import Campaign
from kehu.marketing.services.common import EDITABLE, _require_manager, log
from kehu.marketing.services.launch import campaign_launch


@transaction.atomic
def campaign_schedule(*, user: User, campaign: Campaign, at: datetime | None) -> Campaign:
    """Schedule the campaign's launch at ``at`` (later than now), or, with None, take the
    schedule back (a draft again)."""
    _require_manager(user)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in EDITABLE:
        raise Conflict(_("This campaign was launched already."))
    if at is None:
        campaign.status = Campaign.Status.DRAFT
        campaign.scheduled_at = None
        campaign.scheduled_by = None
    else:
        if timezone.is_naive(at):
            at = timezone.make_aware(at)
        if at <= timezone.now():
            raise ValidationError({"at": [_("Choose a time later than now.")]})
        campaign.status = Campaign.Status.SCHEDULED
        campaign.scheduled_at = at
        campaign.scheduled_by = user
    campaign.save(update_fields=["status", "scheduled_at", "scheduled_by", "updated_at"])
    return campaign


def campaigns_launch_due(*, now: datetime | None = None) -> list[int]:
    """Launch every scheduled campaign whose time has come, as who scheduled it (else its
    owner); returns the ids launched. Idempotent: a launched campaign is no longer scheduled,
    and two runs at once launch it once (the launch locks the campaign and refuses a second
    time). A campaign that cannot launch (an empty audience, a scheduler no longer a
    marketer) goes back to draft, with the reason in the log."""
    now = now or timezone.now()
    launched = []
    due = Campaign.objects.filter(
        status=Campaign.Status.SCHEDULED, scheduled_at__lte=now
    ).select_related("scheduled_by", "owner")
    for campaign in due.order_by("scheduled_at", "id"):
        user = campaign.scheduled_by or campaign.owner
        try:
            campaign_launch(user=user, campaign=campaign, now=now)
        except Conflict:
            continue  # launched meanwhile
        except (ValidationError, PermissionDenied) as exc:
            log.warning("scheduled campaign %s not launched: %s", campaign.pk, exc)
            Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SCHEDULED).update(
                status=Campaign.Status.DRAFT, updated_at=timezone.now()
            )
            continue
        launched.append(campaign.pk)
    return launched
