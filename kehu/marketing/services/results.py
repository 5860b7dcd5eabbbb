"""The kept results of a campaign, computed in the background (``tasks.keep_results``)."""

from datetime import date

from kehu.marketing.models import Campaign
from kehu.marketing.selectors import campaign_results_keep


def campaign_results_keep_for(campaign_id: int, day: str) -> None:
    """Compute a campaign's results for ``day`` and keep them, unless it was deleted since."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is not None:
        campaign_results_keep(campaign, date.fromisoformat(day))
