"""Sending a campaign's messages in the background, batch by batch; what failed is tried again
a minute later until its attempts run out."""

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from kehu.marketing.models import Send

RETRY_SECONDS = 60


@db_task()
def send_campaign(campaign_id: int, channel: str) -> None:
    from kehu.marketing.services import sends_process

    with HUEY.lock_task(f"marketing-send-{campaign_id}-{channel}"):
        counts = sends_process(campaign_id=campaign_id, channel=channel)
    if (
        counts["retry"]
        and Send.objects.filter(
            campaign_id=campaign_id, channel=channel, status=Send.Status.QUEUED
        ).exists()
    ):
        send_campaign.schedule((campaign_id, channel), delay=RETRY_SECONDS)


@db_periodic_task(crontab(minute="*"))
def launch_due_campaigns() -> None:
    """Every minute: launch the scheduled campaigns whose time has come."""
    from kehu.marketing.services import campaigns_launch_due

    with HUEY.lock_task("marketing-launch-due"):
        campaigns_launch_due()


@db_task()
def keep_results(campaign_id: int, day: str) -> None:
    """Compute a campaign's results and keep them (queued when a reader found them old)."""
    from kehu.marketing.services import campaign_results_keep_for

    campaign_results_keep_for(campaign_id, day)
